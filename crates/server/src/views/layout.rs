use maud::{DOCTYPE, Markup, html};

use crate::auth::Nav;

/// The frame of every page: header with search and navigation, main content, footer.
pub fn page(title: &str, nav: Option<&Nav>, query: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Verity" }
                link rel="stylesheet" href="/static/verity.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
                @if let Some(nav) = nav { meta name="csrf-token" content=(nav.csrf); }
            }
            body {
                header class="topbar" {
                    a class="brand" href="/" { span class="brand-mark" { "✓" } "Verity" }
                    @if let Some(nav) = nav {
                        form class="topsearch" action="/search" method="get" role="search" {
                            input type="search" name="q" value=(query) placeholder="Search the knowledge base" aria-label="Search";
                        }
                        nav class="topnav" {
                            a href="/collections" { "Collections" }
                            a href="/verify" { "Verify" @if nav.queue > 0 { " " span class="pill" title="Cards waiting for you" { (nav.queue) } } }
                            a href="/health" { "Health" }
                            a href="/notifications" aria-label="Notifications" { "Inbox" @if nav.unread > 0 { " " span class="pill" { (nav.unread) } } }
                            @if nav.user.role == verity_core::Role::Admin {
                                a href="/admin/users" { "People" }
                                a href="/admin/groups" { "Groups" }
                                a href="/admin/sync" { "Files" }
                                a href="/admin/search" { "Searches" }
                            }
                            @if nav.user.role.can_write() { a class="button" href="/cards/new" { "New card" } }
                        }
                        div class="who" {
                            a class="username" href="/account" title={ "Your account (" (nav.user.role.as_str()) ")" } { (nav.user.display_name) }
                            form action="/logout" method="post" { (crate::views::csrf_field(&nav.csrf)) button class="link" type="submit" { "Sign out" } }
                        }
                    }
                }
                main class="content" { (content) }
                footer class="footer" { "Verity — knowledge you can trust. Press / to search." }
                @if nav.is_some() { script src="/static/search.js" defer {} }
            }
        }
    }
}
