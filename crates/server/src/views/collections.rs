use chrono::{DateTime, Utc};
use maud::{Markup, html};
use verity_store::cards::Card;
use verity_store::collections::Collection;

use super::layout::page;
use super::status_badge;
use crate::auth::Nav;

/// A collection on the overview: its cards, whether it is restricted, and whether this
/// person may change who sees it.
pub struct Listed {
    pub collection: Collection,
    pub cards: Vec<Card>,
    pub restricted: bool,
    pub manage: bool,
}

pub fn collections(nav: &Nav, list: &[Listed], now: DateTime<Utc>) -> Markup {
    page(
        "Collections",
        Some(nav),
        "",
        html! {
            h1 { "Collections" }
            nav class="toc" {
                @for l in list { a href={ "#" (l.collection.slug) } { (l.collection.name) " " span class="muted" { (l.cards.len()) } } }
            }
            @for Listed { collection: c, cards, restricted, manage } in list {
                section class="collection" id=(c.slug) {
                    h2 {
                        (c.name) " "
                        @if *restricted { span class="badge badge-due_soon" title="Only the people it lists see this collection" { "restricted" } " " }
                        a class="muted small" href={ "/search?collection=" (c.slug) } { "search in " (c.slug) }
                        @if *manage { " · " a class="muted small" href={ "/collections/" (c.slug) "/access" } { "who may see it" } }
                    }
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
