use chrono::{DateTime, Utc};
use maud::{Markup, html};
use verity_store::reminders::Notification;

use super::layout::page;
use super::relative;
use crate::auth::Nav;

pub fn notifications(nav: &Nav, list: &[Notification], now: DateTime<Utc>) -> Markup {
    page(
        "Inbox",
        Some(nav),
        "",
        html! {
            div class="page-head" {
                h1 { "Inbox" }
                @if list.iter().any(|n| n.read_at.is_none()) {
                    form method="post" action="/notifications/read" { (crate::views::csrf_field(&nav.csrf)) button class="link" type="submit" { "Mark all as read" } }
                }
            }
            @if list.is_empty() { div class="empty" { p { "No notifications yet." } } }
            ul class="inbox" {
                @for n in list {
                    li class=[n.read_at.is_none().then_some("unread")] {
                        div class="inbox-head" { strong { (n.title) } span class="muted small" { " · " (relative(n.created_at, now)) } }
                        // Plain text, escaped; line breaks kept by CSS, card paths made links.
                        p class="inbox-body" { (linked(&n.body)) }
                    }
                }
            }
        },
    )
}

/// Escaped text in which every `/cards/…` path is a link.
fn linked(text: &str) -> Markup {
    html! {
        @for (i, line) in text.lines().enumerate() {
            @if i > 0 { "\n" }
            @for (j, word) in line.split(' ').enumerate() {
                @if j > 0 { " " }
                @if word.starts_with("/cards/") && word.len() > 7 { a href=(word) { (word) } } @else { (word) }
            }
        }
    }
}
