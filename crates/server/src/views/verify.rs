use chrono::{DateTime, Utc};
use maud::{Markup, html};
use verity_store::verification::QueueEntry;

use super::layout::page;
use super::{date, relative, status_badge};
use crate::auth::Nav;

pub fn queue(nav: &Nav, entries: &[QueueEntry], verified: Option<usize>, now: DateTime<Utc>) -> Markup {
    page(
        "Verify",
        Some(nav),
        "",
        html! {
            h1 { "Your verification queue" }
            p class="muted" { "Cards you verify, directly or through a group, that are stale, due soon, unverified or have an open request — most overdue first." }
            @if let Some(n) = verified { p class="notice" role="status" { "Verified " (n) " " (if n == 1 { "card" } else { "cards" }) "." } }
            @if entries.is_empty() {
                div class="empty" { p { "Nothing is waiting for you. Everything you vouch for is current." } }
            } @else {
                form method="post" action="/verify" class="queue-form" { (crate::views::csrf_field(&nav.csrf))
                    table class="queue" {
                        thead { tr { th { input type="checkbox" disabled aria-hidden="true"; } th { "Card" } th { "Status" } th { "Waiting since" } th { "Verifier" } th { "Reassign" } } }
                        tbody {
                            @for e in entries {
                                tr {
                                    td { input type="checkbox" name="slug" value=(e.card.slug) aria-label={ "Select " (e.card.title) }; }
                                    td {
                                        a href={ "/cards/" (e.card.slug) } { (e.card.title) }
                                        div class="muted small" { (e.card.collection) }
                                    }
                                    td {
                                        (status_badge(e.card.status(now)))
                                        @if e.open_requests > 0 { " " span class="badge badge-request" { (e.open_requests) " open request" @if e.open_requests > 1 { "s" } } }
                                    }
                                    td title=(date(e.waiting_since)) { (relative(e.waiting_since, now)) }
                                    td { (e.card.verifier.as_deref().unwrap_or("—")) }
                                    td {
                                        // A form of its own, tied to this row by `form=`, so it can sit
                                        // inside the table of the bulk-verify form.
                                        input form={ "assign-" (e.card.slug) } name="verifier" class="small-input" placeholder="user or group" aria-label={ "New verifier for " (e.card.title) } required;
                                        " "
                                        button form={ "assign-" (e.card.slug) } class="link" type="submit" { "Reassign" }
                                    }
                                }
                            }
                        }
                    }
                    div class="queue-actions" {
                        label for="note" { "Note (optional)" }
                        input id="note" name="note" placeholder="e.g. checked against the new on-call rota";
                        button class="primary" type="submit" { "Verify selected" }
                    }
                }
                @for e in entries {
                    form id={ "assign-" (e.card.slug) } method="post" action={ "/cards/" (e.card.slug) "/assign" } { (crate::views::csrf_field(&nav.csrf))
                        input type="hidden" name="next" value="/verify";
                    }
                }
            }
        },
    )
}
