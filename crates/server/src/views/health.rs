use std::fmt::Write;

use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use verity_core::Status;

use super::layout::page;
use super::{date, relative};
use crate::auth::Nav;
use crate::health::{Day, Group, Health};

pub fn health(nav: &Nav, h: &Health, now: DateTime<Utc>) -> Markup {
    page(
        "Health",
        Some(nav),
        "",
        html! {
            h1 { "Knowledge health" }
            p class="muted" { (percent(h.verified_share)) " of " (h.overall.total) " cards are vouched for (verified or due soon)." }
            section class="health" aria-label="Cards by status" {
                @for status in Status::ALL {
                    a class={ "stat stat-" (status.as_str()) } href={ "/search?status=" (status.as_str()) } {
                        strong { (h.overall.get(status)) } span { (status.label()) }
                    }
                }
                div class="stat" { strong { (percent(h.verified_share)) } span { "vouched for" } }
            }
            section {
                h2 { "Verified share over time" }
                (chart(&h.history))
            }
            div class="columns" {
                section { h2 { "By collection" } (table(&h.collections, "Collection", |g| format!("/search?collection={}", g.key))) }
                section { h2 { "By verifier" } (table(&h.verifiers, "Verifier", |_| String::new())) }
            }
            section {
                h2 { "Oldest overdue" }
                @if h.oldest_overdue.is_empty() { p class="muted" { "Nothing is overdue." } }
                ul class="card-list" {
                    @for c in &h.oldest_overdue {
                        li {
                            a href={ "/cards/" (c.slug) } { (c.title) }
                            span class="muted small" { " · " (c.collection) " · stale since " (date(c.due_at)) " (" (relative(c.due_at, now)) ")"
                                @if let Some(v) = &c.verifier { " · " (v) } }
                        }
                    }
                }
            }
        },
    )
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

fn table(groups: &[Group], label: &str, link: impl Fn(&Group) -> String) -> Markup {
    html! {
        table class="health-table" {
            thead { tr { th { (label) } th { "Cards" } @for s in Status::ALL { th { (s.label()) } } th { "Vouched" } } }
            tbody {
                @for g in groups {
                    tr {
                        td { @let href = link(g); @if href.is_empty() { (g.name) } @else { a href=(href) { (g.name) } } }
                        td { (g.tally.total) }
                        @for s in Status::ALL { td class={ "n n-" (s.as_str()) } { (g.tally.get(s)) } }
                        td { meter min="0" max="1" value=(format!("{:.3}", g.verified_share)) {} " " (percent(g.verified_share)) }
                    }
                }
            }
        }
    }
}

/// A small line chart of the vouched-for share per day, drawn as SVG on the server.
fn chart(days: &[Day]) -> Markup {
    if days.is_empty() {
        return html! { p class="muted" { "The first snapshot is taken within minutes of start-up." } };
    }
    let (w, h, pad) = (640.0, 160.0, 28.0);
    let x =
        |i: usize| if days.len() == 1 { w / 2.0 } else { pad + (w - 2.0 * pad) * i as f64 / (days.len() - 1) as f64 };
    let y = |share: f64| h - pad - (h - 2.0 * pad) * share.clamp(0.0, 1.0);
    let mut points = String::new();
    for (i, d) in days.iter().enumerate() {
        let _ = write!(points, "{:.1},{:.1} ", x(i), y(d.verified_share));
    }
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="Vouched-for share per day" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (share, label) in [(0.0, "0 %"), (0.5, "50 %"), (1.0, "100 %")] {
        let _ = write!(
            svg,
            r#"<line x1="{pad}" x2="{}" y1="{y:.1}" y2="{y:.1}" class="grid"/><text x="2" y="{:.1}" class="axis">{label}</text>"#,
            w - pad,
            y(share) + 4.0,
            y = y(share)
        );
    }
    let _ = write!(svg, r#"<polyline points="{}" class="line"/>"#, points.trim());
    for (i, d) in days.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="3" class="dot"><title>{}: {:.0} %</title></circle>"#,
            x(i),
            y(d.verified_share),
            d.day,
            d.verified_share * 100.0
        );
    }
    let first = &days[0].day;
    let last = &days[days.len() - 1].day;
    let _ = write!(svg, r#"<text x="{pad}" y="{}" class="axis">{first}</text>"#, h - 6.0);
    if days.len() > 1 {
        let _ = write!(svg, r#"<text x="{}" y="{}" class="axis" text-anchor="end">{last}</text>"#, w - pad, h - 6.0);
    }
    svg.push_str("</svg>");
    // Built from numbers and ISO dates only; nothing user-supplied goes in.
    html! { (PreEscaped(svg)) }
}
