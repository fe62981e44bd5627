//! Admin pages for people and access: accounts, groups, a collection's access rules, and
//! one's own account (API tokens, the password, signing out everywhere).

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use verity_core::Role;
use verity_core::role::Level;
use verity_store::tokens::{ApiToken, Scope};
use verity_store::users::User;

use super::layout::page;
use super::{csrf_field, relative};
use crate::accounts::{MIN_PASSWORD_CHARS, RuleInput};
use crate::auth::Nav;

const ROLES: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];
const LEVELS: [Level; 4] = [Level::Read, Level::Write, Level::Verify, Level::Manage];

fn notice_and_error(notice: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(n) = notice { p class="notice" role="status" { (n) } }
        @if let Some(e) = error { p class="alert" role="alert" { (e) } }
    }
}

pub fn users(nav: &Nav, list: &[User], notice: Option<&str>, error: Option<&str>, now: DateTime<Utc>) -> Markup {
    page(
        "People",
        Some(nav),
        "",
        html! {
            h1 { "People" }
            (notice_and_error(notice, error))
            table class="health-table" {
                thead { tr { th { "Username" } th { "Name" } th { "Email" } th { "Role" } th { "Since" } th { "" } } }
                tbody {
                    @for u in list {
                        tr class=[u.disabled.then_some("disabled-row")] {
                            td { code { (u.username) } @if u.disabled { " " span class="badge badge-stale" { "disabled" } } }
                            td { (u.display_name) }
                            td { (u.email.as_deref().unwrap_or("—")) }
                            td {
                                form class="inline-form" method="post" action={ "/admin/users/" (u.username) } {
                                    (csrf_field(&nav.csrf))
                                    select name="role" aria-label={ "Role of " (u.username) } {
                                        @for r in ROLES { option value=(r.as_str()) selected[r == u.role] { (r.as_str()) } }
                                    }
                                    button type="submit" { "Change" }
                                }
                            }
                            td class="muted small" { (relative(u.created_at, now)) }
                            td {
                                form class="inline" method="post" action={ "/admin/users/" (u.username) } {
                                    (csrf_field(&nav.csrf))
                                    input type="hidden" name="disabled" value=(if u.disabled { "false" } else { "true" });
                                    button class="link" type="submit" { @if u.disabled { "Enable" } @else { "Disable" } }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Add someone" }
            form class="stack-form" method="post" action="/admin/users/new" {
                (csrf_field(&nav.csrf))
                label { "Username " input name="username" required pattern="[a-z0-9-]+" placeholder="lowercase, digits, dashes"; }
                label { "Name " input name="display_name"; }
                label { "Email " input name="email" type="email"; }
                label { "Role "
                    select name="role" { @for r in ROLES { option value=(r.as_str()) selected[r == Role::Editor] { (r.as_str()) } } }
                }
                label { "Password " input name="password" type="password" autocomplete="new-password" placeholder="leave empty to generate one"; }
                button type="submit" { "Add" }
            }
        },
    )
}

pub fn groups(nav: &Nav, list: &[(String, Vec<String>)], usernames: &[String], error: Option<&str>) -> Markup {
    page(
        "Groups",
        Some(nav),
        "",
        html! {
            h1 { "Groups" }
            p class="muted" { "Groups verify cards together and open restricted collections to their members." }
            (notice_and_error(None, error))
            @if list.is_empty() { div class="empty" { p { "No groups yet." } } }
            @for (name, members) in list {
                section class="group" {
                    h2 { code { (name) } }
                    ul class="card-list" {
                        @for m in members {
                            li {
                                (m) " "
                                form class="inline" method="post" action={ "/admin/groups/" (name) "/members/" (m) "/remove" } {
                                    (csrf_field(&nav.csrf))
                                    button class="link" type="submit" { "Remove" }
                                }
                            }
                        }
                    }
                    form class="inline-form" method="post" action={ "/admin/groups/" (name) "/members" } {
                        (csrf_field(&nav.csrf))
                        select name="username" aria-label={ "Add to " (name) } {
                            @for u in usernames { @if !members.contains(u) { option value=(u) { (u) } } }
                        }
                        button type="submit" { "Add member" }
                    }
                }
            }
            h2 { "New group" }
            form class="inline-form" method="post" action="/admin/groups" {
                (csrf_field(&nav.csrf))
                input name="name" required pattern="[a-z0-9-]+" placeholder="e.g. sre" aria-label="Group name";
                button type="submit" { "Create" }
            }
        },
    )
}

/// Rules as the text area shows them: `user alice write`, one per line.
pub fn rules_text(rules: &[RuleInput]) -> String {
    rules
        .iter()
        .map(|r| match (&r.user, &r.group) {
            (Some(u), _) => format!("user {u} {}", r.level),
            (_, Some(g)) => format!("group {g} {}", r.level),
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn access(nav: &Nav, slug: &str, name: &str, rules: &[RuleInput], error: Option<&str>, text: &str) -> Markup {
    page(
        "Access",
        Some(nav),
        "",
        html! {
            h1 { "Who may see " (name) }
            (notice_and_error(None, error))
            @if rules.is_empty() {
                p { "Open: everyone signed in may read it, and editors may write in it." }
            } @else {
                p { "Restricted: only these people see it — to everyone else it does not exist." }
                table class="health-table" {
                    thead { tr { th { "Who" } th { "May" } } }
                    tbody {
                        @for r in rules {
                            tr {
                                td { @if let Some(u) = &r.user { "user " code { (u) } } @if let Some(g) = &r.group { "group " code { (g) } } }
                                td { (r.level) }
                            }
                        }
                    }
                }
            }
            h2 { "Change" }
            form class="stack-form" method="post" action={ "/collections/" (slug) "/access" } {
                (csrf_field(&nav.csrf))
                label for="rules" { "One rule per line: " code { "user NAME LEVEL" } " or " code { "group NAME LEVEL" } ", where LEVEL is "
                    @for (i, l) in LEVELS.iter().enumerate() { @if i > 0 { ", " } code { (l) } } ". Leave it empty to open the collection to everyone." }
                textarea id="rules" name="rules" rows="8" { (text) }
                button type="submit" { "Save" }
            }
            p { a href="/collections" { "Back to collections" } }
        },
    )
}

/// How long a new token may last, as the account page offers it (days; empty: never).
const TOKEN_LIFETIMES: [(&str, &str); 5] =
    [("", "never expires"), ("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "a year")];

pub struct AccountPage<'a> {
    pub tokens: &'a [ApiToken],
    /// A token just made: shown this once.
    pub new_token: Option<&'a str>,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub fn account(nav: &Nav, view: &AccountPage<'_>, now: DateTime<Utc>) -> Markup {
    page(
        "Your account",
        Some(nav),
        "",
        html! {
            h1 { "Your account" }
            p { (nav.user.display_name) " · " code { (nav.user.username) } " · " (nav.user.role.as_str()) }
            (notice_and_error(view.notice, view.error))
            p { a href="/account/password" { "Change your password" } }
            h2 { "API tokens" }
            p class="muted" {
                "For scripts: send " code { "Authorization: Bearer TOKEN" } " to the JSON API. A token does at most what you can, limited by its scope: "
                strong { "read" } " only reads; " strong { "write" } " also changes cards, verifications, notifications and attachments; "
                strong { "admin" } " also manages people, groups and collections. No token can make tokens or change a password."
            }
            @if let Some(t) = view.new_token {
                div class="notice" role="status" {
                    p { "Your new token — copy it now, it is not shown again:" }
                    p { code class="token" { (t) } }
                }
            }
            @if view.tokens.is_empty() { p class="muted" { "No tokens." } } @else {
                table class="health-table" {
                    thead { tr { th { "Name" } th { "Scope" } th { "Created" } th { "Last used" } th { "Expires" } th { "" } } }
                    tbody {
                        @for t in view.tokens {
                            tr {
                                td { (t.name) }
                                td { (t.scope.as_str()) }
                                td class="muted small" { (relative(t.created_at, now)) }
                                td class="muted small" { @match t.last_used_at { Some(at) => (relative(at, now)), None => "never" } }
                                td class="muted small" {
                                    @match t.expires_at {
                                        None => "never",
                                        Some(at) if at <= now => { span class="badge badge-stale" { "expired" } " " (relative(at, now)) },
                                        Some(at) => (relative(at, now)),
                                    }
                                }
                                td {
                                    form class="inline" method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                        (csrf_field(&nav.csrf))
                                        button class="link" type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form class="inline-form" method="post" action="/account/tokens" {
                (csrf_field(&nav.csrf))
                input name="name" required placeholder="what will use it" aria-label="Token name";
                select name="scope" aria-label="Scope" {
                    @for scope in Scope::ALL { option value=(scope.as_str()) selected[scope == Scope::Read] { (scope.as_str()) } }
                }
                select name="expires_in_days" aria-label="Expires" {
                    @for (days, label) in TOKEN_LIFETIMES { option value=(days) { (label) } }
                }
                button type="submit" { "Create token" }
            }
            h2 { "Sessions" }
            p class="muted" { "Lost a laptop? Sign out of every browser and app at once; your API tokens are revoked too." }
            form class="stack-form" method="post" action="/account/sign-out-everywhere" {
                (csrf_field(&nav.csrf))
                button type="submit" { "Sign out everywhere" }
            }
        },
    )
}

pub fn password(nav: &Nav, error: Option<&str>) -> Markup {
    page(
        "Change your password",
        Some(nav),
        "",
        html! {
            h1 { "Change your password" }
            (notice_and_error(None, error))
            p class="muted" { "This signs you out of every other browser and app and revokes your API tokens; this browser stays signed in." }
            form class="stack-form" method="post" action="/account/password" {
                (csrf_field(&nav.csrf))
                input type="hidden" name="username" value=(nav.user.username) autocomplete="username";
                label { "Current password " input name="current_password" type="password" autocomplete="current-password" required; }
                label { "New password " input name="password" type="password" autocomplete="new-password" required minlength=(MIN_PASSWORD_CHARS); }
                label { "New password again " input name="confirm" type="password" autocomplete="new-password" required minlength=(MIN_PASSWORD_CHARS); }
                button type="submit" { "Change password" }
            }
            p { a href="/account" { "Back to your account" } }
        },
    )
}
