use chrono::{DateTime, Utc};
use maud::{Markup, html};
use verity_core::Status;
use verity_store::cards::RecentChange;

use super::layout::page;
use super::{relative, status_badge};
use crate::auth::Nav;

pub struct Home<'a> {
    pub nav: &'a Nav,
    pub total: u64,
    pub statuses: &'a [(Status, u64)],
    pub recent: &'a [RecentChange],
    pub collections: &'a [(String, String, i64)],
    pub now: DateTime<Utc>,
}

pub fn home(h: &Home<'_>) -> Markup {
    let count = |s: Status| h.statuses.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
    page(
        "Home",
        Some(h.nav),
        "",
        html! {
            section class="hero" {
                h1 { "What do you need to know?" }
                form class="bigsearch" action="/search" method="get" role="search" {
                    input type="search" name="q" placeholder="Search cards, e.g. escalation policy" aria-label="Search" autofocus;
                    button class="primary" type="submit" { "Search" }
                }
            }
            section class="health" aria-label="Knowledge health" {
                a class="stat" href="/search" { strong { (h.total) } span { "cards" } }
                @for status in Status::ALL {
                    a class={ "stat stat-" (status.as_str()) } href={ "/search?status=" (status.as_str()) } {
                        strong { (count(status)) } span { (status.label()) }
                    }
                }
            }
            div class="columns" {
                section {
                    h2 { "Recent changes" }
                    @if h.recent.is_empty() { p class="muted" { "Nothing has changed yet." } }
                    ul class="changes" {
                        @for c in h.recent {
                            li {
                                a href={ "/cards/" (c.slug) } { (c.title) }
                                span class="muted" { " · " (c.collection) " · rev " (c.rev) " by " (c.author) " · " (relative(c.at, h.now)) }
                            }
                        }
                    }
                }
                section {
                    h2 { "Collections" }
                    ul class="collections-mini" {
                        @for (slug, name, n) in h.collections {
                            li { a href={ "/collections#" (slug) } { (name) } span class="muted" { " " (n) } }
                        }
                    }
                }
            }
            @if count(Status::Stale) > 0 {
                p class="hint" { (status_badge(Status::Stale)) " cards need their expert: "
                    a href="/search?status=stale" { "see what is stale" } "." }
            }
        },
    )
}
