use maud::{DOCTYPE, Markup, html};
use verity_store::users::User;

/// The frame of every page: header with search, main content, footer.
pub fn page(title: &str, user: Option<&User>, query: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Verity" }
                link rel="stylesheet" href="/static/verity.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
            }
            body {
                header class="topbar" {
                    a class="brand" href="/" { span class="brand-mark" { "✓" } "Verity" }
                    @if user.is_some() {
                        form class="topsearch" action="/search" method="get" role="search" {
                            input type="search" name="q" value=(query) placeholder="Search the knowledge base" aria-label="Search";
                        }
                        nav class="topnav" {
                            a href="/collections" { "Collections" }
                        }
                    }
                    @if let Some(user) = user {
                        div class="who" {
                            span class="username" title=(user.role.as_str()) { (user.display_name) }
                            form action="/logout" method="post" { button class="link" type="submit" { "Sign out" } }
                        }
                    }
                }
                main class="content" { (content) }
                footer class="footer" { "Verity — knowledge you can trust." }
            }
        }
    }
}
