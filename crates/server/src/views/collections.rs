use chrono::{DateTime, Utc};
use maud::{Markup, html};
use verity_store::cards::Card;
use verity_store::collections::Collection;

use super::layout::page;
use super::status_badge;
use crate::auth::Nav;

pub fn collections(nav: &Nav, list: &[(Collection, Vec<Card>)], now: DateTime<Utc>) -> Markup {
    page(
        "Collections",
        Some(nav),
        "",
        html! {
            h1 { "Collections" }
            nav class="toc" {
                @for (c, cards) in list { a href={ "#" (c.slug) } { (c.name) " " span class="muted" { (cards.len()) } } }
            }
            @for (c, cards) in list {
                section class="collection" id=(c.slug) {
                    h2 { (c.name) " " a class="muted small" href={ "/search?collection=" (c.slug) } { "search in " (c.slug) } }
                    @if !c.description.is_empty() { p class="muted" { (c.description) } }
                    @if cards.is_empty() { p class="muted" { "No cards yet." } }
                    ul class="card-list" {
                        @for card in cards {
                            li { a href={ "/cards/" (card.slug) } { (card.title) } " " (status_badge(card.status(now))) }
                        }
                    }
                }
            }
        },
    )
}
