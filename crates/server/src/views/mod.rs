//! Server-rendered pages (maud). Text is escaped by maud; only `SafeHtml` from the
//! Markdown pipeline and tantivy's escaped snippets are printed raw.

pub mod admin;
pub mod card;
pub mod collections;
pub mod editor;
pub mod health;
pub mod home;
pub mod layout;
pub mod login;
pub mod notifications;
pub mod search;
pub mod verify;

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use verity_core::Status;

/// The hidden field every posting form carries (see `crate::csrf`).
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(crate::auth::CSRF_FIELD) value=(token); }
}

pub fn status_badge(status: Status) -> Markup {
    html! { span class={ "badge badge-" (status.as_str()) } title={ "Verification: " (status.label()) } { (status.label()) } }
}

pub fn date(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y").to_string()
}

pub fn datetime(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// "3 days ago", "in 2 weeks": how people read due dates.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let (n, unit) = match secs.abs() {
        s if s < 3600 => return "just now".into(),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 86_400 * 14 => (s / 86_400, "day"),
        s if s < 86_400 * 60 => (s / (86_400 * 7), "week"),
        s if s < 86_400 * 730 => (s / (86_400 * 30), "month"),
        s => (s / (86_400 * 365), "year"),
    };
    let unit = if n == 1 { unit.to_string() } else { format!("{unit}s") };
    if secs < 0 { format!("{n} {unit} ago") } else { format!("in {n} {unit}") }
}

pub fn tag_link(tag: &str) -> Markup {
    html! { a class="tag" href={ "/search?tag=" (crate::auth::urlencode(tag)) } { "#" (tag) } }
}

/// An error message as a sentence: capitalised, with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}
