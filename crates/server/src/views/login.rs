use maud::{Markup, html};

use super::layout::page;

pub fn login(next: &str, error: Option<&str>, username: &str) -> Markup {
    page(
        "Sign in",
        None,
        "",
        html! {
            section class="login-card" {
                h1 { "Sign in to Verity" }
                @if let Some(error) = error { p class="alert" role="alert" { (error) } }
                form method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    label for="username" { "Username" }
                    input id="username" name="username" autocomplete="username" required autofocus value=(username);
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    button class="primary" type="submit" { "Sign in" }
                }
            }
        },
    )
}
