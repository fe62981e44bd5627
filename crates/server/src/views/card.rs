use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use verity_core::{SafeHtml, Status};
use verity_store::cards::Card;
use verity_store::verification::{Request, VerificationEvent};

use super::layout::page;
use super::{date, datetime, relative, status_badge, tag_link};
use crate::auth::Nav;

/// What the card page shows and offers about verification.
pub struct VerificationPanel {
    pub may_verify: bool,
    pub may_assign: bool,
    pub history: Vec<VerificationEvent>,
    pub requests: Vec<Request>,
}

/// Everything the card page shows.
pub struct CardPage<'a> {
    pub nav: &'a Nav,
    pub card: &'a Card,
    pub html_body: &'a SafeHtml,
    pub revisions: i64,
    pub panel: &'a VerificationPanel,
    pub backlinks: &'a [(String, String)],
    /// Cards like this one: (slug, title).
    pub related: &'a [(String, String)],
    pub notice: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// Whether this person may edit (and archive) the card.
    pub may_edit: bool,
}

pub fn card(p: &CardPage<'_>) -> Markup {
    let CardPage { nav, card, html_body, revisions, panel, backlinks, related, notice, now, may_edit } = *p;
    let status = card.status(now);
    page(
        &card.title,
        Some(nav),
        "",
        html! {
            @if let Some(n) = notice { p class="notice" role="status" { (n) } }
            article class="card" {
                div class="card-head" {
                    p class="crumbs" { a href="/collections" { "Collections" } " / " a href={ "/collections#" (card.collection) } { (card.collection) } }
                    div class="title-row" {
                        h1 { (card.title) }
                        div class="card-actions" {
                            @if may_edit { a class="button" href={ "/cards/" (card.slug) "/edit" } { "Edit" } }
                            a class="button" href={ "/cards/" (card.slug) "/history" } { "History" }
                            @if may_edit {
                                form class="inline" method="post" action={ "/cards/" (card.slug) "/archive" } { (crate::views::csrf_field(&p.nav.csrf))
                                    button class="link" type="submit" title="Remove from search and lists; history is kept" { "Archive" }
                                }
                            }
                        }
                    }
                    div class={ "verification verification-" (status.as_str()) } {
                        (status_badge(status))
                        span { (verification_sentence(card, status, now)) }
                        @if panel.may_verify {
                            form class="verify-form" method="post" action={ "/cards/" (card.slug) "/verify" } { (crate::views::csrf_field(&p.nav.csrf))
                                input name="note" placeholder="Note (optional)" aria-label="Verification note";
                                button class="primary" type="submit" { "Verify" }
                            }
                        }
                    }
                }
                @if card.sync_conflict {
                    p class="alert" role="alert" {
                        "This card and its file were changed in the same places. The app's version is shown; the file's version is kept in the history. Saving the card clears this notice."
                    }
                }
                div class="card-layout" {
                    div {
                        div class="markdown" { (PreEscaped(html_body.as_str())) }
                        (verification_panel(card, panel, &p.nav.csrf, now))
                    }
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
                            dt { "Revision" } dd { a href={ "/cards/" (card.slug) "/history" } { (card.head_rev) " of " (revisions) } }
                            dt { "Updated" } dd title=(datetime(card.updated_at)) { (relative(card.updated_at, now)) " by " (card.updated_by) }
                            @if let Some(path) = &card.source_path {
                                dt { "File" } dd { code { (path) } }
                            }
                            dt { "Linked from" }
                            dd {
                                @if backlinks.is_empty() { span class="muted" { "no other card" } }
                                ul class="backlinks" { @for (slug, title) in backlinks { li { a href={ "/cards/" (slug) } { (title) } } } }
                            }
                            @if !related.is_empty() {
                                dt { "Related" }
                                dd { ul class="backlinks related" { @for (slug, title) in related { li { a href={ "/cards/" (slug) } { (title) } } } } }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn verification_sentence(card: &Card, status: Status, now: DateTime<Utc>) -> String {
    let by = card.verified_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default();
    match (status, card.verified_at, card.due_times()) {
        (Status::Verified, Some(at), Some(due)) => {
            format!("Verified{by} on {}; next due {}.", date(at), date(due.due_at))
        }
        (Status::DueSoon, Some(at), Some(due)) => {
            format!("Verified{by} on {}; due {} ({}).", date(at), relative(due.due_at, now), date(due.due_at))
        }
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
            card.verifier.as_deref().map(|v| format!(": waiting for {v}")).unwrap_or_default()
        ),
    }
}

fn verification_panel(card: &Card, panel: &VerificationPanel, csrf: &str, now: DateTime<Utc>) -> Markup {
    let open: Vec<&Request> = panel.requests.iter().filter(|r| r.resolved_at.is_none()).collect();
    html! {
        section class="panel" id="verification" {
            h2 { "Verification" }
            @if !open.is_empty() {
                h3 { "Open requests" }
                ul class="requests" {
                    @for r in &open {
                        li {
                            strong { (r.requested_by) } span class="muted small" { " · " (relative(r.created_at, now)) }
                            p { (r.comment) }
                            @if panel.may_verify {
                                form class="inline-form" method="post" action={ "/cards/" (card.slug) "/requests/" (r.id) "/answer" } { (crate::views::csrf_field(csrf))
                                    input name="answer" required placeholder="Answer without verifying" aria-label="Answer";
                                    button type="submit" { "Answer" }
                                }
                            }
                        }
                    }
                }
            }
            details {
                summary { "Something looks wrong? Ask " (card.verifier.as_deref().unwrap_or("an expert")) " to check" }
                form class="stack-form" method="post" action={ "/cards/" (card.slug) "/request" } { (crate::views::csrf_field(csrf))
                    label for="comment" { "What looks wrong or out of date?" }
                    textarea id="comment" name="comment" rows="3" required {}
                    button type="submit" { "Request verification" }
                }
            }
            @if panel.may_assign {
                details {
                    summary { "Reassign verifier or change the interval" }
                    form class="stack-form" method="post" action={ "/cards/" (card.slug) "/assign" } { (crate::views::csrf_field(csrf))
                        label for="verifier" { "Verifier (a username or a group)" }
                        input id="verifier" name="verifier" required value=(card.verifier.as_deref().unwrap_or(""));
                        label for="verify_every" { "Verify every" }
                        select id="verify_every" name="verify_every" {
                            @for (value, label) in [("1w", "1 week"), ("2w", "2 weeks"), ("1m", "1 month"), ("3m", "3 months"), ("6m", "6 months"), ("1y", "1 year")] {
                                option value=(value) selected[card.interval.canonical() == value] { (label) }
                            }
                            @if !["1w", "2w", "1m", "3m", "6m", "1y"].contains(&card.interval.canonical().as_str()) {
                                option value=(card.interval.canonical()) selected { (card.interval.as_days()) " days" }
                            }
                        }
                        button type="submit" { "Save" }
                    }
                }
            }
            h3 { "History" }
            @if panel.history.is_empty() { p class="muted" { "Never verified." } }
            ul class="history" {
                @for v in &panel.history {
                    li {
                        (v.verified_by) " verified revision " (v.rev) " on " (date(v.verified_at))
                        @if !v.note.is_empty() { span class="muted" { " — " (v.note) } }
                    }
                }
                @for r in panel.requests.iter().filter(|r| r.resolved_at.is_some()) {
                    li class="muted" {
                        (r.requested_by) " asked: “" (r.comment) "” — "
                        @match r.resolution.as_deref() {
                            Some("answered") => { (r.resolved_by.as_deref().unwrap_or("")) " answered: " (r.answer.as_deref().unwrap_or("")) }
                            _ => { "closed by a verification" }
                        }
                    }
                }
            }
        }
    }
}
