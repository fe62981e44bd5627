use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use verity_core::{SafeHtml, Status};
use verity_store::cards::Card;
use verity_store::users::User;

use super::layout::page;
use super::{date, datetime, relative, status_badge, tag_link};

pub fn card(
    user: &User,
    card: &Card,
    html_body: &SafeHtml,
    revisions: usize,
    now: DateTime<Utc>,
) -> Markup {
    let status = card.status(now);
    page(
        &card.title,
        Some(user),
        "",
        html! {
            article class="card" {
                div class="card-head" {
                    p class="crumbs" { a href="/collections" { "Collections" } " / " a href={ "/collections#" (card.collection) } { (card.collection) } }
                    h1 { (card.title) }
                    div class={ "verification verification-" (status.as_str()) } {
                        (status_badge(status))
                        span { (verification_sentence(card, status, now)) }
                    }
                }
                div class="card-layout" {
                    div class="markdown" { (PreEscaped(html_body.as_str())) }
                    aside class="card-meta" {
                        dl {
                            dt { "Collection" } dd { a href={ "/search?collection=" (card.collection) } { (card.collection) } }
                            @if !card.tags.is_empty() {
                                dt { "Tags" } dd { @for t in &card.tags { (tag_link(t)) " " } }
                            }
                            dt { "Owner" } dd { (card.owner.as_deref().unwrap_or("—")) }
                            dt { "Verifier" } dd { (card.verifier.as_deref().unwrap_or("—")) }
                            dt { "Verify every" } dd { (card.interval.canonical()) }
                            @if let Some(at) = card.verified_at {
                                dt { "Last verified" } dd { (date(at)) @if let Some(by) = &card.verified_by { " by " (by) } }
                            }
                            @if let Some(due) = card.due_times() {
                                dt { "Next verification" } dd { (date(due.due_at)) }
                            }
                            dt { "Revision" } dd { (card.head_rev) " of " (revisions) }
                            dt { "Updated" } dd title=(datetime(card.updated_at)) { (relative(card.updated_at, now)) " by " (card.updated_by) }
                            @if let Some(path) = &card.source_path {
                                dt { "File" } dd { code { (path) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn verification_sentence(card: &Card, status: Status, now: DateTime<Utc>) -> String {
    let by = card
        .verified_by
        .as_deref()
        .map(|b| format!(" by {b}"))
        .unwrap_or_default();
    match (status, card.verified_at, card.due_times()) {
        (Status::Verified, Some(at), Some(due)) => format!(
            "Verified{by} on {}; next due {}.",
            date(at),
            date(due.due_at)
        ),
        (Status::DueSoon, Some(at), Some(due)) => format!(
            "Verified{by} on {}; due {} ({}).",
            date(at),
            relative(due.due_at, now),
            date(due.due_at)
        ),
        (Status::Stale, _, Some(due)) => format!(
            "Stale since {} ({}): {} should check it.",
            date(due.due_at),
            relative(due.due_at, now),
            card.verifier.as_deref().unwrap_or("its verifier")
        ),
        (_, Some(at), _) => format!(
            "Changed since it was verified{by} on {}: waiting for {} to look.",
            date(at),
            card.verifier.as_deref().unwrap_or("its verifier")
        ),
        _ => format!(
            "Not verified yet{}.",
            card.verifier
                .as_deref()
                .map(|v| format!(": waiting for {v}"))
                .unwrap_or_default()
        ),
    }
}
