//! Issue 17's findings on sessions, tokens, CSRF and the sign-in limiter, each sent as the
//! issue's reproduction requests over real HTTP.

use actix_web::http::StatusCode;
use awc::cookie::Cookie;
use awc::http::Method;
use serde_json::{Value, json};
use verity_core::Role;

use crate::support::{ADMIN_PASSWORD, ClockExt, TestApp};

/// What a raw request answered.
struct Answer {
    status: StatusCode,
    headers: awc::http::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn session_cookie(&self) -> Option<Cookie<'static>> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| Cookie::parse(v.to_str().ok()?.to_owned()).ok())
            .find(|c| c.name() == verity::auth::COOKIE && !c.value().is_empty())
    }
}

/// Sends a form or a JSON body with the given cookie and headers.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: Option<&Cookie<'static>>,
    headers: &[(&str, &str)],
    body: Body<'_>,
) -> Answer {
    let mut req = app.client.request(method, app.server.url(path));
    if let Some(cookie) = cookie {
        req = req.cookie(cookie.clone());
    }
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    let mut res = match body {
        Body::Form(form) => req.send_form(&form).await,
        Body::Json(value) => req.send_json(&value).await,
        Body::None => req.send().await,
    }
    .unwrap_or_else(|e| panic!("{path}: {e}"));
    let body = String::from_utf8_lossy(&res.body().limit(16 * 1024 * 1024).await.unwrap()).into_owned();
    Answer { status: res.status(), headers: res.headers().clone(), body }
}

enum Body<'a> {
    Form(Vec<(&'a str, &'a str)>),
    Json(Value),
    None,
}

/// Signs in through the form; returns the session cookie and the page's CSRF token.
async fn browser_session(app: &TestApp, username: &str, password: &str) -> (Cookie<'static>, String) {
    let form = Body::Form(vec![("username", username), ("password", password), ("next", "/")]);
    let signed_in = send(app, Method::POST, "/login", None, &[], form).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    let cookie = signed_in.session_cookie().expect("a session cookie");
    let page = send(app, Method::GET, "/account", Some(&cookie), &[], Body::None).await;
    (cookie, csrf_of(&page.body))
}

fn csrf_of(html: &str) -> String {
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = html.find(marker).expect("the page carries its CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn make_token(app: &TestApp, session: &str, body: Value) -> String {
    let r = app.call(Method::POST, "/api/v1/tokens", Some(body.clone()), Some(session)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{body}: {}", r.text());
    r.json()["token"].as_str().unwrap().to_owned()
}

async fn status_of(app: &TestApp, method: Method, path: &str, body: Option<Value>, token: &str) -> StatusCode {
    app.call(method, path, body, Some(token)).await.status
}

// ---- 4. CSRF and sign-in posts from other sites ----

#[actix_web::test]
async fn a_cookie_request_with_basic_auth_still_needs_the_csrf_token() {
    let app = TestApp::new().await;
    let (cookie, csrf) = browser_session(&app, "admin", ADMIN_PASSWORD).await;
    // What a browser behind an HTTP-auth proxy sends along with the session cookie.
    let basic = [("Authorization", "Basic dXNlcjpwYXNzd29yZA==")];
    let r = send(&app, Method::POST, "/notifications/read", Some(&cookie), &basic, Body::Form(vec![])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a form post without the token: {}", r.body);
    assert_eq!(r.json()["error"]["code"], "forbidden");
    let r = send(&app, Method::POST, "/api/v1/render", Some(&cookie), &basic, Body::Json(json!({"body": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a script's post without the header: {}", r.body);
    let form = Body::Form(vec![("csrf_token", csrf.as_str())]);
    let r = send(&app, Method::POST, "/notifications/read", Some(&cookie), &basic, form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "with the token it goes through: {}", r.body);
    // A bearer token that is what authenticates the request needs no CSRF token, cookie or not.
    let bearer = format!("Bearer {}", app.token);
    let headers = [("Authorization", bearer.as_str())];
    let r = send(&app, Method::POST, "/api/v1/render", Some(&cookie), &headers, Body::Json(json!({"body": "x"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[actix_web::test]
async fn sign_in_posts_from_another_site_are_refused() {
    let app = TestApp::new().await;
    let own_origin = app.server.url("").trim_end_matches('/').to_owned();
    let form = || Body::Form(vec![("username", "admin"), ("password", ADMIN_PASSWORD), ("next", "/")]);
    let json = || Body::Json(json!({"username": "admin", "password": ADMIN_PASSWORD}));
    for headers in [
        vec![("Origin", "https://evil.example")],
        vec![("Origin", "null")],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Origin", own_origin.as_str()), ("Sec-Fetch-Site", "cross-site")],
    ] {
        let r = send(&app, Method::POST, "/login", None, &headers, form()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], "forbidden");
        assert!(r.session_cookie().is_none(), "{headers:?}: no session for a cross-site sign-in");
        let r = send(&app, Method::POST, "/api/v1/auth/login", None, &headers, json()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}: {}", r.body);
        assert!(r.json()["token"].is_null());
    }
    // The browser on this site, and scripts that send neither header, sign in as before.
    for headers in [
        vec![("Origin", own_origin.as_str()), ("Sec-Fetch-Site", "same-origin")],
        vec![("Sec-Fetch-Site", "none")],
        vec![],
    ] {
        let r = send(&app, Method::POST, "/login", None, &headers, form()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{headers:?}: {}", r.body);
        assert!(r.session_cookie().is_some());
        let r = send(&app, Method::POST, "/api/v1/auth/login", None, &headers, json()).await;
        assert_eq!(r.status, StatusCode::OK, "{headers:?}: {}", r.body);
    }
}

// ---- 9. API tokens: scopes, expiry, revocation, current password ----

#[actix_web::test]
async fn no_api_token_may_mint_tokens_or_change_a_password() {
    let app = TestApp::new().await;
    let plain = make_token(&app, &app.token, json!({"name": "old script"})).await;
    let mint = json!({"name": "minted by a token"});
    let r = app.call(Method::POST, "/api/v1/tokens", Some(mint.clone()), Some(&plain)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a token minting tokens: {}", r.text());
    assert_eq!(r.error_code(), "forbidden");
    let new_password = json!({"password": "taken-over-1", "current_password": ADMIN_PASSWORD});
    let r = app.call(Method::PUT, "/api/v1/users/admin/password", Some(new_password.clone()), Some(&plain)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a token setting its owner's password: {}", r.text());
    // Not even a token with every scope.
    let admin_token = make_token(&app, &app.token, json!({"name": "everything", "scope": "admin"})).await;
    assert_eq!(status_of(&app, Method::POST, "/api/v1/tokens", Some(mint), &admin_token).await, StatusCode::FORBIDDEN);
    let r = app.call(Method::PUT, "/api/v1/users/admin/password", Some(new_password), Some(&admin_token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(r.text().contains("sign in"), "the error says what is needed: {}", r.text());
    app.login("admin", ADMIN_PASSWORD).await;
}

#[actix_web::test]
async fn a_token_does_only_what_its_scope_allows() {
    let app = TestApp::new().await;
    app.card("ops", "Paging", "Who gets paged.", &[]).await;
    let read = make_token(&app, &app.token, json!({"name": "dashboard", "scope": "read"})).await;
    let write = make_token(&app, &app.token, json!({"name": "importer", "scope": "write"})).await;
    let admin = make_token(&app, &app.token, json!({"name": "provisioning", "scope": "admin"})).await;
    let new_card = |title: &str| json!({"title": title, "body": "Text.", "collection": "ops"});

    for token in [&read, &write, &admin] {
        assert_eq!(status_of(&app, Method::GET, "/api/v1/cards/paging", None, token).await, StatusCode::OK);
        assert_eq!(status_of(&app, Method::GET, "/api/v1/search?q=paged", None, token).await, StatusCode::OK);
    }
    let r = app.call(Method::POST, "/api/v1/cards", Some(new_card("By read")), Some(&read)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a read token cannot write: {}", r.text());
    assert!(r.text().contains("write"), "the error names the scope needed: {}", r.text());
    assert_eq!(
        status_of(&app, Method::POST, "/api/v1/render", Some(json!({"body": "x"})), &read).await,
        StatusCode::FORBIDDEN,
        "read is GET and HEAD only"
    );
    assert_eq!(
        status_of(&app, Method::POST, "/api/v1/cards", Some(new_card("By write")), &write).await,
        StatusCode::CREATED
    );
    let verify = app.call(Method::POST, "/api/v1/cards/paging/verify", Some(json!({})), Some(&write)).await;
    assert_eq!(verify.status, StatusCode::OK, "verifying is an editor's script's work: {}", verify.text());
    let collection = json!({"slug": "hr", "name": "HR"});
    assert_eq!(
        status_of(&app, Method::POST, "/api/v1/collections", Some(collection.clone()), &write).await,
        StatusCode::FORBIDDEN,
        "managing collections is admin work"
    );
    let user = json!({"username": "zed", "password": "long enough", "role": "viewer"});
    assert_eq!(status_of(&app, Method::POST, "/api/v1/users", Some(user.clone()), &write).await, StatusCode::FORBIDDEN);
    assert_eq!(
        status_of(&app, Method::POST, "/api/v1/collections", Some(collection), &admin).await,
        StatusCode::CREATED
    );
    assert_eq!(status_of(&app, Method::POST, "/api/v1/users", Some(user), &admin).await, StatusCode::CREATED);
    // A scope never lends more than the owner has: an editor's admin token is still an editor.
    let ed = app.user("ed", Role::Editor).await;
    let ed_admin = make_token(&app, &ed, json!({"name": "x", "scope": "admin"})).await;
    let user = json!({"username": "zoe", "password": "long enough", "role": "admin"});
    assert_eq!(status_of(&app, Method::POST, "/api/v1/users", Some(user), &ed_admin).await, StatusCode::FORBIDDEN);
    // Tokens are for the JSON API; pages need a browser session.
    assert_eq!(status_of(&app, Method::GET, "/account", None, &admin).await, StatusCode::FORBIDDEN);
    // Bad scopes are refused when the token is made.
    for body in [json!({"name": "x", "scope": "root"}), json!({"name": "x", "scope": ""})] {
        let r = app.post("/api/v1/tokens", body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text());
    }
}

#[actix_web::test]
async fn new_tokens_are_read_only_unless_asked_and_the_list_shows_scope_and_expiry() {
    let app = TestApp::new().await;
    let r = app.post("/api/v1/tokens", json!({"name": "dashboard"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["scope"], "read");
    assert!(r.json()["expires_at"].is_null());
    let r = app.post("/api/v1/tokens", json!({"name": "ci", "scope": "write", "expires_in_days": 30})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let listed = app.get("/api/v1/tokens").await.json();
    let ci = &listed["tokens"][0];
    assert_eq!((ci["name"].as_str(), ci["scope"].as_str()), (Some("ci"), Some("write")));
    let expires: chrono::DateTime<chrono::Utc> = serde_json::from_value(ci["expires_at"].clone()).unwrap();
    assert_eq!(expires - crate::support::t0(), chrono::Duration::days(30));
    assert_eq!(ci["expired"], false);
    assert_eq!(listed["tokens"][1]["scope"], "read");
    for days in [json!(0), json!(-1), json!(100_000), json!("soon")] {
        let r = app.post("/api/v1/tokens", json!({"name": "x", "expires_in_days": days})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{days}: {}", r.text());
    }
}

#[actix_web::test]
async fn an_expired_token_is_refused() {
    let app = TestApp::new().await;
    let token = make_token(&app, &app.token, json!({"name": "short-lived", "expires_in_days": 1})).await;
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &token).await, StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(23));
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &token).await, StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(2));
    let r = app.call(Method::GET, "/api/v1/cards", None, Some(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert_eq!(r.error_code(), "unauthorized");
    assert_eq!(app.get("/api/v1/tokens").await.json()["tokens"][0]["expired"], true, "listed as expired");
}

#[actix_web::test]
async fn signing_out_everywhere_and_password_changes_revoke_api_tokens() {
    let app = TestApp::new().await;
    let ann = app.user("ann", Role::Editor).await;
    let token = make_token(&app, &ann, json!({"name": "script"})).await;
    let r = app.call(Method::POST, "/api/v1/auth/logout", Some(json!({"everywhere": true})), Some(&ann)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &token).await, StatusCode::UNAUTHORIZED);

    // Through the page's button too.
    let (cookie, csrf) = browser_session(&app, "ann", "password-123").await;
    let ann = app.login("ann", "password-123").await;
    let token = make_token(&app, &ann, json!({"name": "script"})).await;
    let form = Body::Form(vec![("csrf_token", csrf.as_str())]);
    let r = send(&app, Method::POST, "/account/sign-out-everywhere", Some(&cookie), &[], form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &token).await, StatusCode::UNAUTHORIZED);

    // A password change by the person, by an admin, or with `verity user passwd`.
    let ann = app.login("ann", "password-123").await;
    let token = make_token(&app, &ann, json!({"name": "script"})).await;
    let change = json!({"current_password": "password-123", "password": "password-456"});
    let r = app.call(Method::PUT, "/api/v1/users/ann/password", Some(change), Some(&ann)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &token).await, StatusCode::UNAUTHORIZED);
    let ann = app.login("ann", "password-456").await;
    let token = make_token(&app, &ann, json!({"name": "script"})).await;
    let r = app.put("/api/v1/users/ann/password", json!({"password": "password-789"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &token).await, StatusCode::UNAUTHORIZED);
    let ann = app.login("ann", "password-789").await;
    let token = make_token(&app, &ann, json!({"name": "script"})).await;
    let hash = verity::auth::hash_password("password-abc").unwrap();
    app.state.store.write(|c| verity_store::users::set_password_hash(c, "ann", &hash)).unwrap();
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &token).await, StatusCode::UNAUTHORIZED);
    assert!(app.call(Method::GET, "/api/v1/tokens", None, Some(&app.login("ann", "password-abc").await)).await.json()
        ["tokens"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[actix_web::test]
async fn changing_ones_own_password_needs_the_current_one() {
    let app = TestApp::new().await;
    let ann = app.user("ann", Role::Editor).await;
    let put = async |body: Value| app.call(Method::PUT, "/api/v1/users/ann/password", Some(body), Some(&ann)).await;
    let r = put(json!({"password": "stolen-session-1"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "without the current password: {}", r.text());
    assert_eq!(r.error_code(), "forbidden");
    let r = put(json!({"current_password": "a guess", "password": "stolen-session-1"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "with a wrong one: {}", r.text());
    // Wrong guesses count as failed sign-ins: after five the account must wait.
    for _ in 0..4 {
        put(json!({"current_password": "a guess", "password": "stolen-session-1"})).await;
    }
    let r = put(json!({"current_password": "password-123", "password": "stolen-session-1"})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    let login = json!({"username": "ann", "password": "password-123"});
    assert_eq!(
        app.call(Method::POST, "/api/v1/auth/login", Some(login), None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(chrono::Duration::minutes(1));
    let r = put(json!({"current_password": "password-123", "password": "password-456"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    app.login("ann", "password-456").await;
    // An admin resetting someone else's password does not know it.
    let r = app.put("/api/v1/users/ann/password", json!({"password": "password-789"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    // But needs their own to change their own.
    let r = app.put("/api/v1/users/admin/password", json!({"password": "password-789"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
}

#[actix_web::test]
async fn the_password_page_changes_the_password_without_javascript() {
    let app = TestApp::new().await;
    app.user("ann", Role::Editor).await;
    let (cookie, csrf) = browser_session(&app, "ann", "password-123").await;
    let account = send(&app, Method::GET, "/account", Some(&cookie), &[], Body::None).await;
    assert!(account.body.contains(r#"href="/account/password""#), "linked from /account");
    let page = send(&app, Method::GET, "/account/password", Some(&cookie), &[], Body::None).await;
    assert_eq!(page.status, StatusCode::OK);
    for field in [r#"name="csrf_token""#, r#"name="current_password""#, r#"name="password""#, r#"name="confirm""#] {
        assert!(page.body.contains(field), "{field} in {}", page.body);
    }
    let post = async |fields: Vec<(&str, &str)>| {
        send(&app, Method::POST, "/account/password", Some(&cookie), &[], Body::Form(fields)).await
    };
    let r = post(vec![("current_password", "password-123"), ("password", "password-456"), ("confirm", "password-456")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = post(vec![
        ("csrf_token", &csrf),
        ("current_password", "wrong one"),
        ("password", "password-456"),
        ("confirm", "password-456"),
    ])
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("current password is wrong"), "said on the page: {}", r.body);
    let r = post(vec![
        ("csrf_token", &csrf),
        ("current_password", "password-123"),
        ("password", "password-456"),
        ("confirm", "password-457"),
    ])
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("do not match"), "{}", r.body);
    let r = post(vec![
        ("csrf_token", &csrf),
        ("current_password", "password-123"),
        ("password", "password-456"),
        ("confirm", "password-456"),
    ])
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/account?password=changed"));
    // This browser stays signed in with a new session; the old one is over.
    let fresh = r.session_cookie().expect("a new session for this browser");
    let page = send(&app, Method::GET, "/account?password=changed", Some(&fresh), &[], Body::None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Password changed"), "{}", page.body);
    let old = send(&app, Method::GET, "/account", Some(&cookie), &[], Body::None).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER, "the old session was signed out");
    app.login("ann", "password-456").await;
}

// ---- 10. The sign-in limiter behind a proxy ----

#[actix_web::test]
async fn without_trusted_proxies_a_forged_forwarded_for_changes_nothing() {
    let app = TestApp::new().await;
    for i in 0..20 {
        let forged = format!("203.0.113.{i}");
        let body = Body::Json(json!({"username": format!("nobody{i}"), "password": "wrong"}));
        let r = send(&app, Method::POST, "/api/v1/auth/login", None, &[("X-Forwarded-For", &forged)], body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let body = Body::Json(json!({"username": "admin", "password": ADMIN_PASSWORD}));
    let r = send(&app, Method::POST, "/api/v1/auth/login", None, &[("X-Forwarded-For", "198.51.100.1")], body).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the address limit counts the real peer: {}", r.body);
}

fn behind(proxies: &[&str], public_url: Option<&str>) -> verity::site::Site {
    verity::site::Site {
        public_url: public_url.map(|u| verity::site::parse_public_url(u).unwrap()),
        trusted_proxies: proxies.iter().map(|p| verity::site::parse_trusted_proxy(p).unwrap()).collect(),
    }
}

async fn sign_in_from(app: &TestApp, forwarded_for: &str, username: &str, password: &str) -> StatusCode {
    let body = Body::Json(json!({"username": username, "password": password}));
    send(app, Method::POST, "/api/v1/auth/login", None, &[("X-Forwarded-For", forwarded_for)], body).await.status
}

#[actix_web::test]
async fn behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_another() {
    // The test server's peer is 127.0.0.1: here, the proxy.
    let app = TestApp::with_site(behind(&["127.0.0.1"], None)).await;
    for i in 0..20 {
        // The client may write what it likes on the left; the proxy appends the real address.
        let chain = format!("10.{i}.0.1, 203.0.113.7");
        assert_eq!(sign_in_from(&app, &chain, &format!("nobody{i}"), "wrong").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_from(&app, "203.0.113.7", "admin", ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing client waits"
    );
    assert_eq!(
        sign_in_from(&app, "198.51.100.9", "admin", ADMIN_PASSWORD).await,
        StatusCode::OK,
        "everyone else behind the proxy signs in"
    );
    // The per-account limit stays, from whichever client.
    for i in 0..5 {
        let client = format!("198.51.100.{}", 20 + i);
        assert_eq!(sign_in_from(&app, &client, "admin", "wrong").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(sign_in_from(&app, "198.51.100.99", "admin", ADMIN_PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
}

// ---- 12. Lower findings ----

#[actix_web::test]
async fn over_https_cookies_are_secure_and_responses_carry_hsts() {
    let form = || Body::Form(vec![("username", "admin"), ("password", ADMIN_PASSWORD), ("next", "/")]);
    let https = [("X-Forwarded-Proto", "https")];

    // Plain http, and an untrusted peer claiming https: neither.
    let app = TestApp::new().await;
    for headers in [&[][..], &https[..]] {
        let r = send(&app, Method::POST, "/login", None, headers, form()).await;
        assert!(!r.session_cookie().unwrap().secure().unwrap_or(false), "{headers:?}");
        assert_eq!(r.header("strict-transport-security"), None, "{headers:?}");
    }

    // An https public URL.
    let app = TestApp::with_site(behind(&[], Some("https://kb.example.com"))).await;
    let r = send(&app, Method::POST, "/login", None, &[("Origin", "https://kb.example.com")], form()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the public URL's origin may sign in: {}", r.body);
    assert_eq!(r.session_cookie().unwrap().secure(), Some(true));
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"));
    let r = send(&app, Method::GET, "/login", None, &[], Body::None).await;
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"), "on every response");
    let r =
        send(&app, Method::POST, "/login", None, &[("Origin", "https://kb.example.com.evil.example")], form()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A trusted proxy that terminates TLS.
    let app = TestApp::with_site(behind(&["127.0.0.0/8"], None)).await;
    let r = send(&app, Method::POST, "/login", None, &https, form()).await;
    assert_eq!(r.session_cookie().unwrap().secure(), Some(true));
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"));
    let cookie = r.session_cookie().unwrap();
    let page = send(&app, Method::GET, "/account", Some(&cookie), &https, Body::None).await;
    let csrf = csrf_of(&page.body);
    let out = send(&app, Method::POST, "/logout", Some(&cookie), &https, Body::Form(vec![("csrf_token", &csrf)])).await;
    let removal = out.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap();
    assert!(removal.contains("Secure"), "the removal matches the cookie: {removal}");
    let r = send(&app, Method::POST, "/login", None, &[], form()).await;
    assert!(!r.session_cookie().unwrap().secure().unwrap_or(false), "plain http through the proxy");
    assert_eq!(r.header("strict-transport-security"), None);
}

#[actix_web::test]
async fn a_short_jwt_secret_is_refused_at_start() {
    let open = |data_dir: &std::path::Path, secret: &str| {
        let opened = verity::app::Runtime::open(verity::app::Options {
            data_dir: data_dir.to_owned(),
            database_url: None,
            clock: std::sync::Arc::new(verity_core::SystemClock),
            admin_password: None,
            content: None,
            session_hours: None,
            jwt_secret: Some(secret.to_owned()),
            site: Default::default(),
        });
        opened.map(verity::app::Runtime::shutdown).map_err(|e| format!("{e:#}"))
    };
    let dir = tempfile::tempdir().unwrap();
    let short = "correct-horse-battery-staple-31";
    let error = open(dir.path(), short).expect_err("31 bytes are refused");
    assert!(error.contains("VERITY_JWT_SECRET") && error.contains("at least 32"), "{error}");
    assert!(!error.contains(short), "the secret is not shown: {error}");
    assert!(!dir.path().join("verity.db").exists(), "refused before anything is created");
    open(dir.path(), "correct-horse-battery-staple-32!").expect("32 bytes are enough");
}

#[actix_web::test]
async fn the_scheduled_round_purges_revoked_sessions_once_they_expire() {
    let app = TestApp::new().await;
    let session = app.login("admin", ADMIN_PASSWORD).await;
    let r = app.call(Method::POST, "/api/v1/auth/logout", None, Some(&session)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let revoked = || {
        app.state
            .store
            .read(|c| -> verity_store::Result<bool> { verity_store::tokens::session_revoked(c, &jti_of(&session)) })
            .unwrap()
    };
    verity::reminders::tick(&app.state, None).unwrap();
    assert!(revoked(), "kept while the token could still be presented");
    // Session tokens expire by the wall clock; the round asks the app's clock.
    app.clock.set(chrono::Utc::now() + chrono::Duration::hours(13));
    verity::reminders::tick(&app.state, None).unwrap();
    assert!(!revoked(), "forgotten once the token has expired anyway");
}

fn jti_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_bad_database_url_never_shows_its_password() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "mysql://root:hunter2-secret@db.internal/verity",
        "postgres://verity:hunter2-secret@127.0.0.1:1/verity",
        "postgres://verity:hunter2-secret%zz@127.0.0.1:1/verity",
        "postgres://127.0.0.1:1/verity?user=verity&password=hunter2-secret",
        "postgresql://verity:hunter2-secret@[::1/verity",
    ] {
        let e = verity::app::open_store(dir.path(), Some(url)).expect_err(url);
        let shown = format!("{e:#} {e:?}");
        assert!(!shown.contains("hunter2"), "{url} shows its password: {shown}");
        println!("{url}: {e:#}");
    }
    let e = verity::app::open_store(dir.path(), Some("mysql://root:hunter2-secret@db.internal/verity")).unwrap_err();
    assert!(format!("{e:#}").contains("`mysql://root:***@db.internal/verity`"), "the rest still helps: {e:#}");
}

/// The scope table names real routes: a token of the listed scope gets past the check on
/// each (whatever the handler then answers), and a token of a lower scope does not.
#[actix_web::test]
async fn every_route_in_the_scope_table_is_reachable_with_its_scope_only() {
    use verity::scopes::{Scope, TOKEN_ROUTES};
    let app = TestApp::new().await;
    app.card("ops", "Paging", "Who gets paged.", &[]).await;
    let mut tokens = std::collections::HashMap::new();
    for scope in Scope::ALL {
        let token = make_token(&app, &app.token, json!({"name": scope.as_str(), "scope": scope.as_str()})).await;
        tokens.insert(scope, token);
    }
    let refused_by_scope = |r: &crate::support::Response| {
        r.status == StatusCode::FORBIDDEN && (r.text().contains("API tokens cannot") || r.text().contains("scope"))
    };
    let mut wrong = Vec::new();
    for (method, pattern, needed) in TOKEN_ROUTES {
        let path = pattern
            .replace("{slug}", "paging")
            .replace("{rev}", "1")
            .replace("{username}", "nobody")
            .replace("{name}", "nobody")
            .replace("{id}", "999");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let r = app.call(method.clone(), &path, body.clone(), Some(&tokens[needed])).await;
        if refused_by_scope(&r) {
            wrong.push(format!("{method} {path} with {needed}: {} {}", r.status, r.text()));
        }
        for lower in Scope::ALL.into_iter().filter(|s| s < needed) {
            let r = app.call(method.clone(), &path, body.clone(), Some(&tokens[&lower])).await;
            if !refused_by_scope(&r) {
                wrong.push(format!("{method} {path} with {lower}: {} {}", r.status, r.text()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[actix_web::test]
async fn the_scheduled_round_deletes_revoked_tokens_and_tokens_long_expired() {
    let app = TestApp::new().await;
    let rows = || {
        app.state
            .store
            .read(|c| -> verity_store::Result<Vec<String>> {
                Ok(verity_store::tokens::list(c, 1)?.into_iter().map(|t| t.name).collect())
            })
            .unwrap()
    };
    let revoked = app.post("/api/v1/tokens", json!({"name": "revoked"})).await.json();
    make_token(&app, &app.token, json!({"name": "short", "expires_in_days": 1})).await;
    make_token(&app, &app.token, json!({"name": "forever"})).await;
    let id = revoked["id"].as_i64().unwrap();
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None, Some(&app.token)).await.status,
        StatusCode::NO_CONTENT
    );
    verity::reminders::tick(&app.state, None).unwrap();
    let left = app.state.store.write(|c| verity_store::tokens::purge(c, app.clock.now_utc())).unwrap();
    assert_eq!(left.tokens, 0, "the round already deleted the revoked token's hash");
    app.clock.advance(chrono::Duration::days(30));
    verity::reminders::tick(&app.state, None).unwrap();
    assert_eq!(rows(), vec!["forever", "short"], "an expired token stays listed, as expired, for 30 days");
    app.clock.advance(chrono::Duration::days(2));
    verity::reminders::tick(&app.state, None).unwrap();
    assert_eq!(rows(), vec!["forever"]);
}

/// Scopes, expiry, revocation and the purge on the second backend.
#[actix_web::test]
async fn postgres_token_scopes_expiry_revocation_and_purge() {
    let Some(app) = TestApp::on(crate::support::Backend::Postgres).await else {
        eprintln!("postgres_token_scopes_expiry_revocation_and_purge: PostgreSQL skipped");
        return;
    };
    app.card("ops", "Paging", "Who gets paged.", &[]).await;
    let read = make_token(&app, &app.token, json!({"name": "read", "expires_in_days": 1})).await;
    let write = make_token(&app, &app.token, json!({"name": "write", "scope": "write"})).await;
    let listed = app.get("/api/v1/tokens").await.json();
    assert_eq!(
        (listed["tokens"][0]["scope"].as_str(), listed["tokens"][1]["scope"].as_str()),
        (Some("write"), Some("read"))
    );
    let edit = json!({"title": "Paging", "body": "Who gets paged now.", "base_rev": 1});
    assert_eq!(
        status_of(&app, Method::PUT, "/api/v1/cards/paging", Some(edit.clone()), &read).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(status_of(&app, Method::PUT, "/api/v1/cards/paging", Some(edit), &write).await, StatusCode::OK);
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &read).await, StatusCode::UNAUTHORIZED);
    app.clock.advance(chrono::Duration::days(30));
    verity::reminders::tick(&app.state, None).unwrap();
    assert_eq!(
        app.get("/api/v1/tokens").await.json()["tokens"].as_array().unwrap().len(),
        1,
        "the expired one is gone"
    );
    let r = app
        .put("/api/v1/users/admin/password", json!({"current_password": ADMIN_PASSWORD, "password": "a-new-password"}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(status_of(&app, Method::GET, "/api/v1/cards", None, &write).await, StatusCode::UNAUTHORIZED);
}
