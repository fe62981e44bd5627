//! The HTML pages: sign-in flow, rendering, sanitising, headers.

use actix_web::http::StatusCode;
use awc::http::Method;

use crate::support::{ADMIN_PASSWORD, TestApp, fixtures};

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.call(Method::GET, path, None, Some(&app.token)).await;
    (r.status, r.text())
}

#[actix_web::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_back() {
    let app = TestApp::new().await;
    let r = app.call(Method::GET, "/cards/x?y=1", None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/login?next=/cards/x%3Fy%3D1"));
    let login = app.call(Method::GET, "/login?next=/search", None, None).await;
    assert_eq!(login.status, StatusCode::OK);
    let html = login.text();
    assert!(html.contains(r#"name="username""#) && html.contains(r#"name="password""#), "{html}");
    assert!(html.contains(r#"value="/search""#));
}

#[actix_web::test]
async fn the_login_form_sets_an_http_only_cookie_that_pages_accept() {
    let app = TestApp::new().await;
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD), ("next", "/collections")];
    let res = app.client.post(app.server.url("/login")).send_form(&form).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers().get("location").unwrap(), "/collections");
    let cookie = res.cookie(verity::auth::COOKIE).expect("session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(actix_web::cookie::SameSite::Lax));
    let mut page = app.client.get(app.server.url("/collections")).cookie(cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let body = String::from_utf8(page.body().await.unwrap().to_vec()).unwrap();
    assert!(body.contains("<h1>Collections</h1>"), "{body}");

    let wrong = [("username", "admin"), ("password", "nope"), ("next", "/")];
    let mut res = app.client.post(app.server.url("/login")).send_form(&wrong).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.cookie(verity::auth::COOKIE).is_none());
    let body = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(body.contains("Wrong username or password"));

    let evil = [("username", "admin"), ("password", ADMIN_PASSWORD), ("next", "//evil.example/")];
    let res = app.client.post(app.server.url("/login")).send_form(&evil).await.unwrap();
    assert_eq!(res.headers().get("location").unwrap(), "/", "no open redirect");
}

#[actix_web::test]
async fn sign_out_clears_the_cookie() {
    let app = TestApp::new().await;
    let res = app.client.post(app.server.url("/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.cookie(verity::auth::COOKIE).expect("a removal cookie");
    assert_eq!(cookie.value(), "");
}

#[actix_web::test]
async fn the_card_page_renders_github_flavoured_markdown_and_verification() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    let (status, html) = page(&app, "/cards/people-time-off").await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "<table>",
        r#"type="checkbox""#,
        "<del>Ask your manager first.</del>",
        "footnote-definition",
        "Unverified",
        "amara",
        "people",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    assert_eq!(html.matches("<h1>").count(), 1, "the heading that repeats the title is not shown twice");
    let (_, html) = page(&app, "/cards/engineering-deploying").await;
    for expected in
        [r#"class="language-sh""#, "Verified by mei on 20 May 2026", "#deploys", "lucia", "engineering/deploying.md"]
    {
        assert!(html.contains(expected), "missing {expected}");
    }
    let (_, html) = page(&app, "/cards/engineering-tls-renewal").await;
    assert!(html.contains("Stale since"), "stale cards say so");
    assert_eq!(page(&app, "/cards/nope").await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn markdown_on_pages_never_carries_script() {
    let app = TestApp::new().await;
    let body = "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n\n<a href=\"JAVASCRIPT:alert(4)\" onclick=\"alert(5)\">y</a>";
    app.card("eng", "Hostile", body, &["<b>tag</b>"]).await;
    let (status, html) = page(&app, "/cards/hostile").await;
    assert_eq!(status, StatusCode::OK);
    let lower = html.to_lowercase();
    for bad in ["<script>alert", "onerror", "javascript:", "onclick", "<b>tag</b>"] {
        assert!(!lower.contains(bad), "{bad} reached the page");
    }
}

#[actix_web::test]
async fn home_search_and_collections_pages_show_the_knowledge_base() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    let (status, home) = page(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains(r#"action="/search""#), "a search box");
    assert!(home.contains("Recent changes") && home.contains("Deploying to production"));
    let (status, results) = page(&app, "/search?q=renewal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(results.contains("TLS certificate renewal") && results.contains("<b>renew</b>"));
    assert!(results.contains("/search?q=renewal&amp;collection=engineering"), "facet links keep the query");
    let (_, filtered) = page(&app, "/search?tag=runbook&status=stale").await;
    assert!(filtered.contains("1 card") && filtered.contains("TLS certificate renewal"));
    let (_, bad) = page(&app, "/search?q=x&status=great").await;
    assert!(bad.contains("0 cards") || bad.contains("No cards match"), "a bad filter is dropped, not an error page");
    let (status, collections) = page(&app, "/collections").await;
    assert_eq!(status, StatusCode::OK);
    for expected in ["Engineering", "People", "General", "Time off", "Welcome to the test handbook"] {
        assert!(collections.contains(expected), "missing {expected}");
    }
}

#[actix_web::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::new().await;
    for path in ["/login", "/api/v1/cards", "/static/verity.css"] {
        let r = app.call(Method::GET, path, None, Some(&app.token)).await;
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert!(r.header("referrer-policy").is_some());
    }
}

#[actix_web::test]
async fn assets_are_served_from_the_binary_and_unknown_pages_are_404() {
    let app = TestApp::new().await;
    let css = app.call(Method::GET, "/static/verity.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.text().contains(".badge-stale"));
    assert_eq!(app.call(Method::GET, "/static/nope.js", None, None).await.status, StatusCode::NOT_FOUND);
    let (status, html) = page(&app, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found"));
}
