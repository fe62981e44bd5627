//! Accounts, sessions and tokens through real HTTP: who is signed in, for how long, and
//! every way a token can be wrong.

use actix_web::http::StatusCode;
use awc::http::Method;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use verity_core::Role;

use crate::support::{ADMIN_PASSWORD, TestApp};

fn secret(app: &TestApp) -> String {
    std::fs::read_to_string(app.data_dir().join("jwt-secret")).unwrap().trim().to_owned()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let r = app.call(Method::GET, "/api/v1/auth/me", None, Some(token)).await;
    let body = r.json();
    (r.status, body)
}

/// A 401 with the JSON error envelope.
async fn refused(app: &TestApp, token: &str, why: &str) {
    let r = app.call(Method::GET, "/api/v1/cards", None, Some(token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}: {}", r.text());
    assert_eq!(r.error_code(), "unauthorized", "{why}");
}

#[actix_web::test]
async fn forged_tokens_are_refused_each_way() {
    let app = TestApp::new().await;
    let secret = secret(&app);
    let mut claims = claims_of(&app.token);
    assert_eq!(me(&app, &app.token).await.0, StatusCode::OK);

    // "alg": "none", no signature.
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    refused(&app, &format!("{none_header}.{body}."), "unsigned").await;
    // Another algorithm, even with the right secret.
    let hs384 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS384), &claims, &EncodingKey::from_secret(secret.as_bytes()))
            .unwrap();
    refused(&app, &hs384, "wrong algorithm").await;
    // The right algorithm with another secret.
    let other =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"not-the-secret"))
            .unwrap();
    refused(&app, &other, "wrong secret").await;
    // A payload changed after signing.
    let parts: Vec<&str> = app.token.split('.').collect();
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!("someone-else");
    tampered_claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 1_000_000);
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(tampered_claims.to_string()), parts[2]);
    refused(&app, &tampered, "tampered").await;
    // Expired, though properly signed.
    claims["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    claims["iat"] = json!(chrono::Utc::now().timestamp() - 7200);
    let expired =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
            .unwrap();
    refused(&app, &expired, "expired").await;
    // Garbage.
    refused(&app, "not.a.token", "garbage").await;
    refused(&app, "vt_notarealtoken", "unknown API token").await;
    // Still fine.
    assert_eq!(me(&app, &app.token).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn tokens_expire_after_twelve_hours_by_default() {
    let app = TestApp::new().await;
    let c = claims_of(&app.token);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 12 * 3600);
    assert!(c["jti"].as_str().is_some_and(|j| j.len() >= 16));
}

#[actix_web::test]
async fn signing_out_revokes_this_session_and_everywhere_revokes_all() {
    let app = TestApp::new().await;
    let ann = app.user("ann", Role::Editor).await;
    let ann_laptop = app.login("ann", "password-123").await;
    let r = app.call(Method::POST, "/api/v1/auth/logout", None, Some(&ann)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    refused(&app, &ann, "signed out").await;
    assert_eq!(me(&app, &ann_laptop).await.0, StatusCode::OK, "other sessions stay");
    let ann_phone = app.login("ann", "password-123").await;
    let r = app.call(Method::POST, "/api/v1/auth/logout", Some(json!({"everywhere": true})), Some(&ann_laptop)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    refused(&app, &ann_laptop, "signed out everywhere").await;
    refused(&app, &ann_phone, "signed out everywhere").await;
    assert_eq!(me(&app, &app.login("ann", "password-123").await).await.0, StatusCode::OK, "signing in again works");
}

#[actix_web::test]
async fn a_password_change_and_disabling_revoke_tokens_at_once() {
    let app = TestApp::new().await;
    let bo = app.user("bo", Role::Editor).await;
    let r = app
        .call(Method::PUT, "/api/v1/users/bo/password", Some(json!({"password": "a-new-password"})), Some(&app.token))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    refused(&app, &bo, "password changed").await;
    let bo = app.login("bo", "a-new-password").await;

    let r = app.call(Method::PATCH, "/api/v1/users/bo", Some(json!({"disabled": true})), Some(&app.token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["disabled"], true);
    refused(&app, &bo, "disabled").await;
    let login = app
        .call(Method::POST, "/api/v1/auth/login", Some(json!({"username": "bo", "password": "a-new-password"})), None)
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "a disabled account cannot sign in");
    app.call(Method::PATCH, "/api/v1/users/bo", Some(json!({"disabled": false})), Some(&app.token)).await;
    refused(&app, &bo, "re-enabling does not bring old sessions back").await;
}

#[actix_web::test]
async fn a_demotion_takes_effect_for_tokens_already_issued() {
    let app = TestApp::new().await;
    app.card("ops", "Paging", "Who gets paged.", &[]).await;
    let cy = app.user("cy", Role::Editor).await;
    let edit = json!({"title": "Paging", "body": "Who gets paged now.", "base_rev": 1});
    let r = app.call(Method::PATCH, "/api/v1/users/cy", Some(json!({"role": "viewer"})), Some(&app.token)).await;
    assert_eq!(r.json()["role"], "viewer");
    let put = app.call(Method::PUT, "/api/v1/cards/paging", Some(edit), Some(&cy)).await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
    assert_eq!(put.error_code(), "forbidden");
    // Admin-only endpoints say 403 to the signed-in, 401 to strangers.
    assert_eq!(app.call(Method::GET, "/api/v1/users", None, Some(&cy)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call(Method::GET, "/api/v1/users", None, None).await.status, StatusCode::UNAUTHORIZED);
    // The last admin stays an admin.
    let r = app.call(Method::PATCH, "/api/v1/users/admin", Some(json!({"role": "editor"})), Some(&app.token)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
}

#[actix_web::test]
async fn admins_create_users_whose_secrets_never_come_back() {
    let app = TestApp::new().await;
    let r = app
        .post(
            "/api/v1/users",
            json!({"username": "dee", "password": "correct horse", "role": "editor", "display_name": "Dee Dee"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let text = r.text();
    assert!(!text.contains("correct horse") && !text.contains("argon2") && !text.contains("hash"), "{text}");
    assert_eq!(r.json()["display_name"], "Dee Dee");
    assert_eq!(r.json()["role"], "editor");
    let dee = app.login("dee", "correct horse").await;
    assert_eq!(me(&app, &dee).await.1["username"], "dee");

    let again =
        app.post("/api/v1/users", json!({"username": "dee", "password": "another one", "role": "viewer"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    for bad in [
        json!({"username": "Bad Name", "password": "long enough", "role": "viewer"}),
        json!({"username": "eve", "password": "short", "role": "viewer"}),
    ] {
        let r = app.post("/api/v1/users", bad.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app.post("/api/v1/users", json!({"username": "eve", "password": "long enough", "role": "owner"})).await;
    assert!(r.status.is_client_error(), "an unknown role is refused: {}", r.status);
    let forbidden = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(json!({"username": "fay", "password": "long enough", "role": "admin"})),
            Some(&dee),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "editors cannot make accounts");
    let list = app.get("/api/v1/users").await.json();
    let names: Vec<&str> = list["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["admin", "dee"]);
    assert!(!list.to_string().contains("hash"));
}

#[actix_web::test]
async fn personal_api_tokens_are_named_listed_revocable_and_stored_hashed() {
    let app = TestApp::new().await;
    let r = app.post("/api/v1/tokens", json!({"name": "backup script"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("vt_") && token.len() > 30);
    assert_eq!(me(&app, &token).await.1["username"], "admin", "the token works as a bearer token");

    let list = app.get("/api/v1/tokens").await;
    assert_eq!(list.json()["tokens"][0]["name"], "backup script");
    assert!(list.json()["tokens"][0]["last_used_at"].is_string());
    assert!(!list.text().contains(&token), "listing never shows the token");
    // Only a hash is kept.
    app.state
        .store
        .read(|c| -> verity_store::Result<()> {
            assert!(verity_store::tokens::find_live(c, &token)?.is_none());
            assert!(verity_store::tokens::find_live(c, &verity::auth::hash_api_token(&token))?.is_some());
            Ok(())
        })
        .unwrap();

    let id = created["id"].as_i64().unwrap();
    let r = app.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None, Some(&app.token)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    refused(&app, &token, "revoked API token").await;
    let again = app.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None, Some(&app.token)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post("/api/v1/tokens", json!({"name": " "})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn repeated_failed_sign_ins_are_slowed_with_retry_after() {
    let app = TestApp::new().await;
    let attempt = |password: &'static str| {
        app.call(Method::POST, "/api/v1/auth/login", Some(json!({"username": "admin", "password": password})), None)
    };
    for _ in 0..5 {
        let r = attempt("wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.error_code(), "unauthorized");
    }
    let r = attempt("wrong").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "too_many_requests");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    let r = attempt(ADMIN_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    // The sign-in page says so too.
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD), ("next", "/")];
    let res = app.client.post(app.server.url("/login")).send_form(&form).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
}

/// Signs in through the form; returns the cookie and the CSRF token of a page.
async fn browser_session(app: &TestApp) -> (awc::cookie::Cookie<'static>, String) {
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD), ("next", "/")];
    let res = app.client.post(app.server.url("/login")).send_form(&form).await.unwrap();
    let cookie = res.cookie(verity::auth::COOKIE).unwrap().into_owned();
    let mut page = app.client.get(app.server.url("/notifications")).cookie(cookie.clone()).send().await.unwrap();
    let html = String::from_utf8(page.body().await.unwrap().to_vec()).unwrap();
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("forms carry a CSRF token") + marker.len();
    let token = html[start..].split('"').next().unwrap().to_owned();
    assert!(
        html.contains(&format!(r#"<meta name="csrf-token" content="{token}">"#)),
        "and the page carries it for scripts"
    );
    (cookie, token)
}

#[actix_web::test]
async fn cookie_form_posts_need_the_csrf_token() {
    let app = TestApp::new().await;
    let (cookie, token) = browser_session(&app).await;
    let post = |form: Vec<(&'static str, String)>| {
        app.client.post(app.server.url("/notifications/read")).cookie(cookie.clone()).send_form(&form)
    };
    let res = post(vec![]).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no token");
    let res = post(vec![("csrf_token", "0".repeat(token.len()))]).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a wrong token");
    let res = post(vec![("csrf_token", token.clone())]).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the page's token");
    // Scripts send it as a header; JSON posts with the cookie need it too.
    let res = app
        .client
        .post(app.server.url("/api/v1/render"))
        .cookie(cookie.clone())
        .send_json(&json!({"body": "x"}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post(app.server.url("/api/v1/render"))
        .cookie(cookie.clone())
        .insert_header(("X-CSRF-Token", token.as_str()))
        .send_json(&json!({"body": "x"}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A bearer token carries no ambient authority and needs none.
    let r = app.post("/api/v1/render", json!({"body": "x"})).await;
    assert_eq!(r.status, StatusCode::OK);
    // Signing out through the form revokes the session itself.
    let res = app
        .client
        .post(app.server.url("/logout"))
        .cookie(cookie.clone())
        .send_form(&[("csrf_token", token)])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app.client.get(app.server.url("/api/v1/cards")).cookie(cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the old cookie no longer works");
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    for path in ["/login", "/api/v1/cards", "/static/verity.css", "/nope"] {
        let r = app.get(path).await;
        let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert!(r.header("referrer-policy").is_some(), "{path}");
    }
}

#[actix_web::test]
async fn admin_pages_manage_people_groups_and_access() {
    let app = TestApp::new().await;
    app.card("finance", "Budget", "Numbers.", &[]).await;
    let (cookie, csrf) = browser_session(&app).await;
    let post = async |path: &str, form: &[(&str, &str)]| {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf_token", csrf.as_str()));
        let mut res = app.client.post(app.server.url(path)).cookie(cookie.clone()).send_form(&fields).await.unwrap();
        let body = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
        (res.status(), body)
    };
    let page = async |path: &str| {
        let mut res = app.client.get(app.server.url(path)).cookie(cookie.clone()).send().await.unwrap();
        let body = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
        (res.status(), body)
    };

    // A new account with a generated password, shown once.
    let (status, html) =
        post("/admin/users/new", &[("username", "gus"), ("display_name", "Gus"), ("role", "viewer"), ("password", "")])
            .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let marker = "Their password is ";
    let start = html.find(marker).expect("the generated password is shown") + marker.len();
    let password = html[start..].split(' ').next().unwrap().to_owned();
    let gus = app.login("gus", &password).await;
    let (status, html) = post("/admin/users/new", &[("username", "Not Valid"), ("role", "viewer")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("usernames use lowercase"), "the mistake is shown on the page");
    let (_, html) = page("/admin/users").await;
    assert!(html.contains("<code>gus</code>") && html.contains("Gus"));

    // Role changes and disabling from the page.
    let (status, _) = post("/admin/users/gus", &[("role", "editor")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(me(&app, &gus).await.1["role"], "editor");

    // Groups and members.
    assert_eq!(post("/admin/groups", &[("name", "money")]).await.0, StatusCode::SEE_OTHER);
    assert_eq!(post("/admin/groups/money/members", &[("username", "gus")]).await.0, StatusCode::SEE_OTHER);
    let (_, html) = page("/admin/groups").await;
    assert!(html.contains("<code>money</code>") && html.contains("/admin/groups/money/members/gus/remove"), "{html}");

    // Restricting a collection from its access page.
    let (status, html) = post("/collections/finance/access", &[("rules", "group money read\nuser nobody write")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown user is a mistake shown on the page");
    assert!(
        html.contains("user `nobody` does not exist") && html.contains("group money read"),
        "keeps the text: {html}"
    );
    assert_eq!(post("/collections/finance/access", &[("rules", "group money read")]).await.0, StatusCode::SEE_OTHER);
    let (_, html) = page("/collections/finance/access").await;
    assert!(html.contains("Restricted"));
    let viewer = app.user("ivy", Role::Viewer).await;
    let r = app.call(Method::GET, "/api/v1/cards/budget", None, Some(&viewer)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.call(Method::GET, "/api/v1/cards/budget", None, Some(&gus)).await;
    assert_eq!(r.status, StatusCode::OK, "a member of the group reads it");
    assert_eq!(post("/admin/groups/money/members/gus/remove", &[]).await.0, StatusCode::SEE_OTHER);
    assert_eq!(app.call(Method::GET, "/api/v1/cards/budget", None, Some(&gus)).await.status, StatusCode::NOT_FOUND);

    // Non-admins do not get the admin pages.
    let r = app.call(Method::GET, "/admin/users", None, Some(&viewer)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // One's own account: a token shown once, listed by name, revocable.
    let (status, html) = post("/account/tokens", &[("name", "nightly export")]).await;
    assert_eq!(status, StatusCode::OK);
    let start = html.find("vt_").expect("the new token is shown");
    let token: String = html[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert_eq!(me(&app, &token).await.0, StatusCode::OK);
    let (_, html) = page("/account").await;
    assert!(html.contains("nightly export") && !html.contains(&token), "listed, not shown again");
    let (status, _) = post("/account/sign-out-everywhere", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(page("/account").await.0, StatusCode::SEE_OTHER, "the browser session is over");
    assert_eq!(me(&app, &token).await.0, StatusCode::UNAUTHORIZED, "API tokens are signed out too");
}
