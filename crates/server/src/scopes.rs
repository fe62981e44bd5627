//! What a personal API token may call: one table from a route's method and pattern to the
//! scope it needs, consulted for every request that presents a token, before the route's
//! extractors run (`auth::check_api_token`). A route the table does not list is closed to tokens:
//! minting tokens, changing a password, signing out and every HTML page need a signed-in
//! session. A scope never adds rights: the owner's role and the collections' rules still
//! apply on top of it.
//!
//! - `read`: GET only — everything the owner may see.
//! - `write`: also what an editor's script does — cards (create, edit, archive, restore,
//!   verify, assign a verifier, request and answer verifications), previews,
//!   notifications and attachments.
//! - `admin`: also everything else the owner may do — accounts, groups, collections and
//!   their access rules, revoking tokens.

use actix_web::http::Method;
pub use verity_store::tokens::Scope;

use Scope::{Admin, Read, Write};

/// Every route a token may call: method, pattern (as `HttpRequest::match_pattern` gives
/// it) and the scope it needs.
pub const TOKEN_ROUTES: &[(&str, &str, Scope)] = &[
    // Reading.
    ("GET", "/healthz", Read),
    ("GET", "/api/v1/auth/me", Read),
    ("GET", "/api/v1/cards", Read),
    ("GET", "/api/v1/cards/{slug}", Read),
    ("GET", "/api/v1/cards/{slug}/revisions", Read),
    ("GET", "/api/v1/cards/{slug}/revisions/{rev}", Read),
    ("GET", "/api/v1/cards/{slug}/diff", Read),
    ("GET", "/api/v1/cards/{slug}/verifications", Read),
    ("GET", "/api/v1/verification/queue", Read),
    ("GET", "/api/v1/health", Read),
    ("GET", "/api/v1/notifications", Read),
    ("GET", "/api/v1/groups", Read),
    ("GET", "/api/v1/sync", Read),
    ("GET", "/api/v1/admin/search-analytics", Read),
    ("GET", "/api/v1/search", Read),
    ("GET", "/api/v1/collections", Read),
    ("GET", "/api/v1/collections/{slug}/access", Read),
    ("GET", "/api/v1/export", Read),
    ("GET", "/api/v1/users", Read),
    ("GET", "/api/v1/tokens", Read),
    ("GET", "/attachments/{reference}", Read),
    // An editor's script.
    ("POST", "/api/v1/cards", Write),
    ("PUT", "/api/v1/cards/{slug}", Write),
    ("DELETE", "/api/v1/cards/{slug}", Write),
    ("POST", "/api/v1/cards/{slug}/unarchive", Write),
    ("POST", "/api/v1/cards/{slug}/restore", Write),
    ("POST", "/api/v1/render", Write),
    ("POST", "/api/v1/cards/{slug}/verify", Write),
    ("PUT", "/api/v1/cards/{slug}/verification", Write),
    ("POST", "/api/v1/cards/{slug}/verification-requests", Write),
    ("POST", "/api/v1/cards/{slug}/verification-requests/{id}/answer", Write),
    ("POST", "/api/v1/notifications/read", Write),
    ("POST", "/api/v1/attachments", Write),
    // Running the place.
    ("POST", "/api/v1/users", Admin),
    ("PATCH", "/api/v1/users/{name}", Admin),
    ("POST", "/api/v1/groups", Admin),
    ("POST", "/api/v1/groups/{name}/members", Admin),
    ("DELETE", "/api/v1/groups/{name}/members/{username}", Admin),
    ("POST", "/api/v1/collections", Admin),
    ("PUT", "/api/v1/collections/{slug}/access", Admin),
    ("DELETE", "/api/v1/tokens/{id}", Admin),
];

/// The scope a token needs to call `method pattern`; `None` when no token may (only a
/// signed-in session may). HEAD is read like GET.
pub fn required_scope(method: &Method, pattern: &str) -> Option<Scope> {
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    TOKEN_ROUTES.iter().find(|(m, p, _)| *m == method && *p == pattern).map(|(_, _, scope)| *scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_is_for_safe_methods_only_and_each_route_is_listed_once() {
        for (method, pattern, scope) in TOKEN_ROUTES {
            assert_eq!(*method == "GET", *scope == Read, "{method} {pattern}");
            let listed = TOKEN_ROUTES.iter().filter(|(m, p, _)| m == method && p == pattern).count();
            assert_eq!(listed, 1, "{method} {pattern}");
        }
    }

    #[test]
    fn unlisted_routes_are_closed_to_tokens() {
        assert_eq!(required_scope(&Method::GET, "/api/v1/cards/{slug}"), Some(Read));
        assert_eq!(required_scope(&Method::HEAD, "/api/v1/cards/{slug}"), Some(Read));
        assert_eq!(required_scope(&Method::PUT, "/api/v1/cards/{slug}"), Some(Write));
        assert_eq!(required_scope(&Method::POST, "/api/v1/collections"), Some(Admin));
        for (method, pattern) in [
            (Method::POST, "/api/v1/tokens"),
            (Method::PUT, "/api/v1/users/{name}/password"),
            (Method::POST, "/api/v1/auth/logout"),
            (Method::GET, "/account"),
            (Method::POST, "/cards/{slug}/edit"),
            (Method::GET, "/api/v1/not-a-route"),
        ] {
            assert_eq!(required_scope(&method, pattern), None, "{method} {pattern}");
        }
    }
}
