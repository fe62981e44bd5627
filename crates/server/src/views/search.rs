use maud::{Markup, PreEscaped, html};
use verity_index::SearchResults;

use super::layout::page;
use super::{status_badge, tag_link};
use crate::auth::Nav;
use crate::auth::urlencode;
use crate::routes::api::SearchParams;

/// A link to these search parameters with one of them changed.
fn link(p: &SearchParams, change: impl FnOnce(&mut SearchParams)) -> String {
    let mut p = p.clone();
    change(&mut p);
    let mut parts = Vec::new();
    for (key, value) in [("q", Some(p.q.clone())), ("collection", p.collection), ("tag", p.tag), ("status", p.status)] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            parts.push(format!("{key}={}", urlencode(&v)));
        }
    }
    if let Some(o) = p.offset.filter(|o| *o > 0) {
        parts.push(format!("offset={o}"));
    }
    format!("/search?{}", parts.join("&"))
}

/// The suggested words with the filters typed in the box (`tag:x`) kept.
fn suggested_q(params: &SearchParams, suggestion: &str) -> String {
    let operators = params.q.split_whitespace().filter(|w| {
        ["collection:", "tag:", "status:"].iter().any(|op| w.strip_prefix(op).is_some_and(|v| !v.is_empty()))
    });
    std::iter::once(suggestion).chain(operators).collect::<Vec<_>>().join(" ")
}

/// The search page for a query over the limits of a search: why, and the query in the
/// box to shorten.
pub fn refused(nav: &Nav, params: &SearchParams, why: &str) -> Markup {
    page(
        "Search",
        Some(nav),
        &params.q,
        html! {
            section class="results" {
                h1 { "This search is too long or too complex" }
                div class="empty" role="alert" {
                    p { (super::sentence(why)) }
                    p class="muted" { "Shorten it in the search box above: a few words find more than many." }
                }
            }
        },
    )
}

pub fn search(
    nav: &Nav,
    params: &SearchParams,
    results: &SearchResults,
    took_ms: f64,
    per_page: usize,
    search_id: Option<i64>,
) -> Markup {
    // Result links carry the search, so analytics can count which searches led somewhere.
    let from = search_id.map(|id| format!("?from_search={id}")).unwrap_or_default();
    let offset = params.offset.unwrap_or(0);
    let active = |value: &Option<String>, v: &str| value.as_deref() == Some(v);
    let title = if params.q.trim().is_empty() { "All cards".to_string() } else { format!("“{}”", params.q.trim()) };
    page(
        "Search",
        Some(nav),
        &params.q,
        html! {
            div class="search-layout" {
                aside class="facets" aria-label="Filters" {
                    h2 { "Status" }
                    ul {
                        @for (status, n) in &results.facets.status {
                            li class=[active(&params.status, status.as_str()).then_some("active")] {
                                a href=(link(params, |p| { p.status = if active(&params.status, status.as_str()) { None } else { Some(status.as_str().into()) }; p.offset = None; })) {
                                    (status_badge(*status)) span class="count" { (n) }
                                }
                            }
                        }
                    }
                    h2 { "Collection" }
                    ul {
                        @for (c, n) in &results.facets.collection {
                            li class=[active(&params.collection, c).then_some("active")] {
                                a href=(link(params, |p| { p.collection = if active(&params.collection, c) { None } else { Some(c.clone()) }; p.offset = None; })) {
                                    (c) span class="count" { (n) }
                                }
                            }
                        }
                    }
                    h2 { "Tag" }
                    ul class="tagcloud" {
                        @for (t, n) in &results.facets.tag {
                            li class=[active(&params.tag, t).then_some("active")] {
                                a href=(link(params, |p| { p.tag = if active(&params.tag, t) { None } else { Some(t.clone()) }; p.offset = None; })) {
                                    "#" (t) span class="count" { (n) }
                                }
                            }
                        }
                    }
                }
                section class="results" {
                    h1 { (title) }
                    p class="muted summary" {
                        (results.total) " " (if results.total == 1 { "card" } else { "cards" })
                        " · " (format!("{took_ms:.1}")) " ms"
                        @for (label, value, clear) in [("collection", &params.collection, 0), ("tag", &params.tag, 1), ("status", &params.status, 2)] {
                            @if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                                " · " span class="filter" { (label) ": " strong { (v) } " "
                                    a href=(link(params, |p| { match clear { 0 => p.collection = None, 1 => p.tag = None, _ => p.status = None }; p.offset = None; })) aria-label={ "Remove " (label) " filter" } { "×" } }
                            }
                        }
                    }
                    @if let Some(suggestion) = &results.suggestion {
                        p class="suggestion" {
                            "Did you mean "
                            a href=(link(params, |p| { p.q = suggested_q(params, suggestion); p.offset = None; })) { (suggestion) }
                            "?"
                        }
                    }
                    @if results.hits.is_empty() {
                        div class="empty" {
                            p { "No cards match." }
                            p class="muted" { "Try fewer words, or remove a filter." }
                        }
                    }
                    ol class="hits" start=(offset.saturating_add(1)) {
                        @for hit in &results.hits {
                            li class="hit" {
                                div class="hit-head" {
                                    a class="hit-title" href={ "/cards/" (hit.slug) (from) } { (hit.title) }
                                    (status_badge(hit.status))
                                }
                                // Escaped by tantivy; only the matched words are wrapped in <b>.
                                p class="snippet" { (PreEscaped(&hit.snippet_html)) }
                                div class="hit-meta" {
                                    a class="hit-collection" href=(link(params, |p| { p.collection = Some(hit.collection.clone()); p.offset = None; })) { (hit.collection) }
                                    @for t in &hit.tags { " " (tag_link(t)) }
                                }
                            }
                        }
                    }
                    nav class="pager" {
                        @if offset > 0 {
                            a href=(link(params, |p| p.offset = Some(offset.saturating_sub(per_page)))) { "← Previous" }
                        }
                        @if offset.saturating_add(results.hits.len()) < results.total {
                            a href=(link(params, |p| p.offset = Some(offset.saturating_add(per_page)))) { "Next →" }
                        }
                    }
                }
            }
        },
    )
}
