//! The editor (works as a plain form; web/editor.js adds toolbar, shortcuts and the live
//! preview), history, one revision, and diffs.

use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use verity_core::SafeHtml;
use verity_store::cards::{Card, Revision};

use super::layout::page;
use super::{datetime, relative};
use crate::auth::Nav;
use crate::diff::{Line, Stats};

/// What the editor form holds.
pub struct Draft<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub tags: &'a str,
    pub message: &'a str,
    pub collection: &'a str,
    pub base_rev: i32,
}

/// When a save met someone else's overlapping edit: their version, to resolve against.
pub struct ConflictView<'a> {
    pub rev: i32,
    pub body: &'a str,
    pub lines: &'a [Line],
}

pub fn editor(
    nav: &Nav,
    card: Option<&Card>,
    draft: &Draft<'_>,
    collections: &[(String, String)],
    may_verify: bool,
    conflict: Option<&ConflictView<'_>>,
    error: Option<&str>,
) -> Markup {
    let (title, action) = match card {
        Some(c) => (format!("Edit: {}", c.title), format!("/cards/{}/edit", c.slug)),
        None => ("New card".to_owned(), "/cards/new".to_owned()),
    };
    page(
        &title,
        Some(nav),
        "",
        html! {
            h1 { (title) }
            @if let Some(e) = error { p class="alert" role="alert" { (e) } }
            @if let Some(c) = conflict {
                section class="conflict" role="alert" {
                    h2 { "Someone else changed the same lines" }
                    p { "Your text is still in the editor below and nothing was saved. The card is now at revision " (c.rev)
                        ". Compare, bring their changes into your text, and save again." }
                    details open {
                        summary { "Their version (revision " (c.rev) ") compared with yours" }
                        (diff_lines(c.lines))
                    }
                    details {
                        summary { "Their full text" }
                        pre class="their-text" { (c.body) }
                    }
                }
            }
            form class="editor" method="post" action=(action) data-card=(card.map(|c| c.slug.as_str()).unwrap_or("new")) { (crate::views::csrf_field(&nav.csrf))
                input type="hidden" name="base_rev" value=(draft.base_rev);
                div class="editor-fields" {
                    label { "Title" input name="title" required maxlength="300" value=(draft.title); }
                    @if card.is_none() {
                        label { "Collection"
                            select name="collection" required {
                                @for (slug, name) in collections { option value=(slug) selected[slug == draft.collection] { (name) } }
                            }
                        }
                    }
                    label { "Tags " span class="muted small" { "(comma separated)" } input name="tags" value=(draft.tags); }
                }
                div class="editor-panes" {
                    div class="editor-pane" {
                        label for="body" class="pane-label" { "Markdown" }
                        textarea id="body" name="body" rows="24" spellcheck="true" { (draft.body) }
                    }
                    div class="preview-pane" hidden {
                        span class="pane-label" { "Preview" }
                        div class="markdown preview" aria-live="polite" {}
                    }
                }
                label { "Change message " span class="muted small" { "(optional)" } input name="message" value=(draft.message) placeholder="What changed and why"; }
                div class="editor-actions" {
                    button class="primary" type="submit" name="action" value="save" { "Save" }
                    @if may_verify { button type="submit" name="action" value="save_verify" { "Save and verify" } }
                    @if let Some(c) = card { a href={ "/cards/" (c.slug) } { "Cancel" } }
                }
            }
            script src="/static/editor.js" defer {}
        },
    )
}

pub fn history(nav: &Nav, card: &Card, revisions: &[Revision], now: DateTime<Utc>) -> Markup {
    page(
        &format!("History: {}", card.title),
        Some(nav),
        "",
        html! {
            p class="crumbs" { a href={ "/cards/" (card.slug) } { "← " (card.title) } }
            h1 { "History" }
            table class="queue" {
                thead { tr { th { "Revision" } th { "Author" } th { "When" } th { "Message" } th { "Size" } th {} } }
                tbody {
                    @for (i, r) in revisions.iter().enumerate() {
                        @let previous = revisions.get(i + 1);
                        tr {
                            td { a href={ "/cards/" (card.slug) "/revisions/" (r.rev) } { "#" (r.rev) } @if r.rev == card.head_rev { " " span class="badge badge-verified" { "current" } } }
                            td { (r.author) }
                            td title=(datetime(r.created_at)) { (relative(r.created_at, now)) }
                            td { (r.message) }
                            td { (size_change(r, previous)) }
                            td {
                                @if let Some(p) = previous { a href={ "/cards/" (card.slug) "/diff?from=" (p.rev) "&to=" (r.rev) } { "diff" } }
                                @if r.rev != card.head_rev {
                                    form class="inline" method="post" action={ "/cards/" (card.slug) "/restore" } { (crate::views::csrf_field(&nav.csrf))
                                        input type="hidden" name="rev" value=(r.rev);
                                        button class="link" type="submit" { "restore" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn size_change(r: &Revision, previous: Option<&Revision>) -> String {
    let now = r.body.len() as i64;
    match previous {
        Some(p) => format!("{:+} bytes", now - p.body.len() as i64),
        None => format!("{now} bytes"),
    }
}

pub fn revision(nav: &Nav, card: &Card, r: &Revision, html_body: &SafeHtml) -> Markup {
    page(
        &format!("{} (revision {})", r.title, r.rev),
        Some(nav),
        "",
        html! {
            p class="crumbs" { a href={ "/cards/" (card.slug) "/history" } { "← History of " (card.title) } }
            h1 { (r.title) }
            p class="notice" { "Revision " (r.rev) " of " (card.head_rev) " by " (r.author) ", " (datetime(r.created_at)) "."
                @if r.rev != card.head_rev {
                    form class="inline" method="post" action={ "/cards/" (card.slug) "/restore" } { (crate::views::csrf_field(&nav.csrf))
                        input type="hidden" name="rev" value=(r.rev);
                        " " button class="link" type="submit" { "Restore this revision" }
                    }
                }
            }
            div class="markdown" { (PreEscaped(html_body.as_str())) }
        },
    )
}

pub fn diff(nav: &Nav, card: &Card, from: &Revision, to: &Revision, lines: &[Line], stats: &Stats) -> Markup {
    page(
        &format!("Changes to {}", card.title),
        Some(nav),
        "",
        html! {
            p class="crumbs" { a href={ "/cards/" (card.slug) "/history" } { "← History of " (card.title) } }
            h1 { "Revision " (from.rev) " → " (to.rev) }
            p class="muted" { "+" (stats.insertions) " −" (stats.deletions) " lines"
                @if from.title != to.title { " · title: “" (from.title) "” → “" (to.title) "”" }
                @if from.tags != to.tags { " · tags: " (from.tags.join(", ")) " → " (to.tags.join(", ")) } }
            (diff_lines(lines))
        },
    )
}

pub fn diff_lines(lines: &[Line]) -> Markup {
    html! {
        table class="diff" {
            tbody {
                @for l in lines {
                    tr class={ "diff-" (l.op) } {
                        td class="ln" { @if let Some(n) = l.old { (n) } }
                        td class="ln" { @if let Some(n) = l.new { (n) } }
                        td class="sign" { (match l.op { "insert" => "+", "delete" => "−", _ => " " }) }
                        td class="code" { @for s in &l.segments { @if s.changed { mark { (s.text) } } @else { (s.text) } } }
                    }
                }
            }
        }
    }
}
