//! The permission matrix: every route the application serves (read from the route table
//! itself, `verity::routes::table()`), sent by each kind of caller, with the status each
//! must get — and for everyone who may not read the restricted collection, a check that
//! nothing of it shows in any answer. A route with no row here fails the test.
//!
//! Each row runs on a fresh application (so a row that signs someone out, archives a card
//! or changes a password cannot disturb the next), and each caller acts on its own copy of
//! the things a row changes: `{card}` is `runbook-<caller>`, `{token}` one of the caller's
//! own API tokens, and so on.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use awc::http::Method;
use serde_json::{Value, json};
use verity::service::{self, Content};
use verity_core::Role;
use verity_store::users::{self, User};

use crate::support::{TestApp, t0};

/// Who calls: the columns of the matrix.
const CALLERS: [&str; 9] =
    ["anonymous", "viewer", "editor", "verifier", "admin", "disabled", "read-token", "write-token", "admin-token"];

/// Callers that may read the restricted collection (the tokens are those of `ada`, a
/// second admin, so that the admin changing a password or signing out everywhere in one
/// column leaves the token columns alone).
fn sees_the_secret(caller: &str) -> bool {
    matches!(caller, "admin" | "read-token" | "write-token" | "admin-token")
}

/// What only the restricted collection holds. None of it may reach anyone else.
const SECRET_MARKERS: [&str; 5] = ["zanzibarite", "Merger plans", "merger-plans", "board-only", "vault-x9"];

const PASSWORD: &str = "password-123";

#[derive(Clone, Copy)]
enum Body {
    None,
    Json(&'static str),
    Form(&'static str),
    Png,
}

/// One request of the matrix: the route (method and pattern, as the route table has it),
/// the concrete path and body (with placeholders), and the status for each caller, in the
/// order of [`CALLERS`].
struct Row {
    method: &'static str,
    pattern: &'static str,
    path: &'static str,
    body: Body,
    expect: [u16; 9],
}

const fn row(method: &'static str, pattern: &'static str, path: &'static str, body: Body, expect: [u16; 9]) -> Row {
    Row { method, pattern, path, body, expect }
}

// Status shorthands.
const READER: [u16; 9] = [401, 200, 200, 200, 200, 401, 200, 200, 200];
const SECRET_READER: [u16; 9] = [401, 404, 404, 404, 200, 401, 200, 200, 200];
const WRITER: [u16; 9] = [401, 403, 200, 200, 200, 401, 403, 200, 200];
const CREATOR: [u16; 9] = [401, 403, 201, 201, 201, 401, 403, 201, 201];
const VERIFIER: [u16; 9] = [401, 403, 403, 200, 200, 401, 403, 200, 200];
const ASKER: [u16; 9] = [401, 201, 201, 201, 201, 401, 403, 201, 201];
const ADMIN_READ: [u16; 9] = [401, 403, 403, 403, 200, 401, 200, 200, 200];
const ADMIN_WRITE: [u16; 9] = [401, 403, 403, 403, 200, 401, 403, 403, 200];
const ADMIN_CREATE: [u16; 9] = [401, 403, 403, 403, 201, 401, 403, 403, 201];
const ADMIN_DELETE: [u16; 9] = [401, 403, 403, 403, 204, 401, 403, 403, 204];
const SESSION_ONLY: [u16; 9] = [401, 204, 204, 204, 204, 401, 403, 403, 403];
const PAGE: [u16; 9] = [303, 200, 200, 200, 200, 303, 403, 403, 403];
const SECRET_PAGE: [u16; 9] = [303, 404, 404, 404, 200, 303, 403, 403, 403];
const PAGE_POST: [u16; 9] = [303, 303, 303, 303, 303, 303, 403, 403, 403];
const EDITOR_PAGE: [u16; 9] = [303, 403, 200, 200, 200, 303, 403, 403, 403];
const EDITOR_POST: [u16; 9] = [303, 403, 303, 303, 303, 303, 403, 403, 403];
const VERIFIER_POST: [u16; 9] = [303, 403, 403, 303, 303, 303, 403, 403, 403];
const ADMIN_PAGE: [u16; 9] = [303, 403, 403, 403, 200, 303, 403, 403, 403];
const ADMIN_POST: [u16; 9] = [303, 403, 403, 403, 303, 303, 403, 403, 403];

const ROWS: &[Row] = &[
    row("GET", "/healthz", "/healthz", Body::None, [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/static/{path:.*}", "/static/verity.css", Body::None, [200, 200, 200, 200, 200, 200, 403, 403, 403]),
    // The JSON API.
    row(
        "POST",
        "/api/v1/auth/login",
        "/api/v1/auth/login",
        Body::Json(r#"{"username": "{me}", "password": "{password}"}"#),
        [200, 200, 200, 200, 200, 401, 403, 403, 403],
    ),
    row("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", Body::Json("{}"), SESSION_ONLY),
    row("GET", "/api/v1/auth/me", "/api/v1/auth/me", Body::None, READER),
    row("GET", "/api/v1/cards", "/api/v1/cards?limit=1000", Body::None, READER),
    row("GET", "/api/v1/cards", "/api/v1/cards?collection=vault-x9", Body::None, READER),
    row(
        "POST",
        "/api/v1/cards",
        "/api/v1/cards",
        Body::Json(r#"{"title": "New {caller}", "body": "Fresh.", "collection": "general"}"#),
        CREATOR,
    ),
    row(
        "POST",
        "/api/v1/cards",
        "/api/v1/cards",
        Body::Json(r#"{"title": "Into the vault", "body": "Fresh.", "collection": "vault-x9"}"#),
        [401, 422, 422, 422, 201, 401, 403, 201, 201],
    ),
    row("GET", "/api/v1/cards/{slug}", "/api/v1/cards/{card}", Body::None, READER),
    row("GET", "/api/v1/cards/{slug}", "/api/v1/cards/merger-plans", Body::None, SECRET_READER),
    row(
        "PUT",
        "/api/v1/cards/{slug}",
        "/api/v1/cards/{card}",
        Body::Json(r#"{"title": "Runbook", "body": "Edited by {caller}.", "base_rev": 2}"#),
        WRITER,
    ),
    row(
        "PUT",
        "/api/v1/cards/{slug}",
        "/api/v1/cards/merger-plans",
        // The card's own content: "nothing changed" for everyone who may write it.
        Body::Json(
            r#"{"title": "Merger plans", "tags": ["board-only"], "base_rev": 2, "body": "Deploy pipeline rollback for zanzibarite. See [[Runbook viewer]]. ![chart](/attachments/{secret_attachment}) More."}"#,
        ),
        [401, 404, 404, 404, 200, 401, 403, 200, 200],
    ),
    row("DELETE", "/api/v1/cards/{slug}", "/api/v1/cards/{card}", Body::None, WRITER),
    row("POST", "/api/v1/cards/{slug}/unarchive", "/api/v1/cards/{archived}/unarchive", Body::None, WRITER),
    row("GET", "/api/v1/cards/{slug}/revisions", "/api/v1/cards/{card}/revisions", Body::None, READER),
    row("GET", "/api/v1/cards/{slug}/revisions", "/api/v1/cards/merger-plans/revisions", Body::None, SECRET_READER),
    row("GET", "/api/v1/cards/{slug}/revisions/{rev}", "/api/v1/cards/{card}/revisions/1", Body::None, READER),
    row("GET", "/api/v1/cards/{slug}/diff", "/api/v1/cards/{card}/diff?from=1&to=2", Body::None, READER),
    row("GET", "/api/v1/cards/{slug}/diff", "/api/v1/cards/merger-plans/diff?from=1", Body::None, SECRET_READER),
    row("POST", "/api/v1/cards/{slug}/restore", "/api/v1/cards/{card}/restore", Body::Json(r#"{"rev": 1}"#), WRITER),
    row(
        "POST",
        "/api/v1/render",
        "/api/v1/render",
        Body::Json(r#"{"body": "See [[Merger plans]] and [[Runbook viewer]]."}"#),
        [401, 200, 200, 200, 200, 401, 403, 200, 200],
    ),
    row("POST", "/api/v1/cards/{slug}/verify", "/api/v1/cards/{card}/verify", Body::Json("{}"), VERIFIER),
    row(
        "PUT",
        "/api/v1/cards/{slug}/verification",
        "/api/v1/cards/{card}/verification",
        Body::Json(r#"{"verifier": "vic"}"#),
        VERIFIER,
    ),
    row("GET", "/api/v1/cards/{slug}/verifications", "/api/v1/cards/{card}/verifications", Body::None, READER),
    row(
        "POST",
        "/api/v1/cards/{slug}/verification-requests",
        "/api/v1/cards/{card}/verification-requests",
        Body::Json(r#"{"comment": "Still true?"}"#),
        ASKER,
    ),
    row(
        "POST",
        "/api/v1/cards/{slug}/verification-requests/{id}/answer",
        "/api/v1/cards/{card}/verification-requests/{request}/answer",
        Body::Json(r#"{"answer": "Yes."}"#),
        VERIFIER,
    ),
    row("GET", "/api/v1/verification/queue", "/api/v1/verification/queue", Body::None, READER),
    row("GET", "/api/v1/health", "/api/v1/health", Body::None, READER),
    row("GET", "/api/v1/notifications", "/api/v1/notifications", Body::None, READER),
    row(
        "POST",
        "/api/v1/notifications/read",
        "/api/v1/notifications/read",
        Body::Json("{}"),
        [401, 200, 200, 200, 200, 401, 403, 200, 200],
    ),
    row("GET", "/api/v1/groups", "/api/v1/groups", Body::None, READER),
    row("POST", "/api/v1/groups", "/api/v1/groups", Body::Json(r#"{"name": "group-{caller}"}"#), ADMIN_CREATE),
    row(
        "POST",
        "/api/v1/groups/{name}/members",
        "/api/v1/groups/empty/members",
        Body::Json(r#"{"username": "target-{caller}"}"#),
        ADMIN_CREATE,
    ),
    row(
        "DELETE",
        "/api/v1/groups/{name}/members/{username}",
        "/api/v1/groups/reviewers/members/target-{caller}",
        Body::None,
        ADMIN_DELETE,
    ),
    row("GET", "/api/v1/sync", "/api/v1/sync", Body::None, ADMIN_READ),
    row("GET", "/api/v1/admin/search-analytics", "/api/v1/admin/search-analytics", Body::None, ADMIN_READ),
    row("GET", "/api/v1/search", "/api/v1/search?q=runbook", Body::None, READER),
    row("GET", "/api/v1/search", "/api/v1/search?q=", Body::None, READER),
    row("GET", "/api/v1/search", "/api/v1/search?q=pipeline%20rollback", Body::None, READER),
    row("GET", "/api/v1/search", "/api/v1/search?q=zanzib&instant=true", Body::None, READER),
    row("GET", "/api/v1/search", "/api/v1/search?q=zanzibarit", Body::None, READER),
    row("GET", "/api/v1/search", "/api/v1/search?q=boar", Body::None, READER),
    row("GET", "/api/v1/collections", "/api/v1/collections", Body::None, READER),
    row(
        "POST",
        "/api/v1/collections",
        "/api/v1/collections",
        Body::Json(r#"{"slug": "made-by-{caller}", "name": "Made"}"#),
        ADMIN_CREATE,
    ),
    row("GET", "/api/v1/collections/{slug}/access", "/api/v1/collections/general/access", Body::None, ADMIN_READ),
    row(
        "PUT",
        "/api/v1/collections/{slug}/access",
        "/api/v1/collections/general/access",
        Body::Json(r#"{"rules": []}"#),
        ADMIN_WRITE,
    ),
    row("GET", "/api/v1/export", "/api/v1/export?limit=1000", Body::None, READER),
    row("GET", "/api/v1/users", "/api/v1/users", Body::None, ADMIN_READ),
    row(
        "POST",
        "/api/v1/users",
        "/api/v1/users",
        Body::Json(r#"{"username": "new-{caller}", "password": "a-long-password", "role": "viewer"}"#),
        ADMIN_CREATE,
    ),
    row(
        "PATCH",
        "/api/v1/users/{name}",
        "/api/v1/users/target-{caller}",
        Body::Json(r#"{"role": "editor"}"#),
        ADMIN_WRITE,
    ),
    row(
        "PUT",
        "/api/v1/users/{name}/password",
        "/api/v1/users/{me}/password",
        Body::Json(r#"{"password": "another-password-456", "current_password": "{password}"}"#),
        SESSION_ONLY,
    ),
    row(
        "PUT",
        "/api/v1/users/{name}/password",
        "/api/v1/users/target-{caller}/password",
        Body::Json(r#"{"password": "another-password-456"}"#),
        [401, 403, 403, 403, 204, 401, 403, 403, 403],
    ),
    row("GET", "/api/v1/tokens", "/api/v1/tokens", Body::None, READER),
    row(
        "POST",
        "/api/v1/tokens",
        "/api/v1/tokens",
        Body::Json(r#"{"name": "script"}"#),
        [401, 201, 201, 201, 201, 401, 403, 403, 403],
    ),
    row(
        "DELETE",
        "/api/v1/tokens/{id}",
        "/api/v1/tokens/{token}",
        Body::None,
        [401, 204, 204, 204, 204, 401, 403, 403, 204],
    ),
    row("POST", "/api/v1/attachments", "/api/v1/attachments", Body::Png, CREATOR),
    row("GET", "/attachments/{reference}", "/attachments/{attachment}", Body::None, READER),
    row("GET", "/attachments/{reference}", "/attachments/{secret_attachment}", Body::None, SECRET_READER),
    // The pages (a session works as a bearer token too; API tokens never open pages).
    row("GET", "/", "/", Body::None, PAGE),
    row("GET", "/search", "/search?q=runbook", Body::None, PAGE),
    row("GET", "/search", "/search?q=pipeline%20rollback", Body::None, PAGE),
    row("GET", "/search", "/search?q=zanzibarit", Body::None, PAGE),
    row("GET", "/cards/new", "/cards/new", Body::None, EDITOR_PAGE),
    row(
        "POST",
        "/cards/new",
        "/cards/new",
        Body::Form("title=Page+card+{caller}&body=Fresh&collection=general"),
        EDITOR_POST,
    ),
    row("GET", "/cards/{slug}", "/cards/{card}", Body::None, PAGE),
    row("GET", "/cards/{slug}", "/cards/merger-plans", Body::None, SECRET_PAGE),
    row("GET", "/collections", "/collections", Body::None, PAGE),
    row("GET", "/cards/{slug}/edit", "/cards/{card}/edit", Body::None, EDITOR_PAGE),
    row("GET", "/cards/{slug}/edit", "/cards/merger-plans/edit", Body::None, SECRET_PAGE),
    row(
        "POST",
        "/cards/{slug}/edit",
        "/cards/{card}/edit",
        Body::Form("title=Runbook&body=Edited+on+the+page&base_rev=2"),
        EDITOR_POST,
    ),
    row("GET", "/cards/{slug}/history", "/cards/{card}/history", Body::None, PAGE),
    row("GET", "/cards/{slug}/history", "/cards/merger-plans/history", Body::None, SECRET_PAGE),
    row("GET", "/cards/{slug}/revisions/{rev}", "/cards/{card}/revisions/1", Body::None, PAGE),
    row("GET", "/cards/{slug}/diff", "/cards/{card}/diff?from=1&to=2", Body::None, PAGE),
    row("POST", "/cards/{slug}/restore", "/cards/{card}/restore", Body::Form("rev=1"), EDITOR_POST),
    row("POST", "/cards/{slug}/archive", "/cards/{card}/archive", Body::Form(""), EDITOR_POST),
    row("POST", "/cards/{slug}/unarchive", "/cards/{archived}/unarchive", Body::Form(""), EDITOR_POST),
    row("GET", "/archive", "/archive", Body::None, PAGE),
    row("POST", "/cards/{slug}/verify", "/cards/{card}/verify", Body::Form("note=checked"), VERIFIER_POST),
    row("POST", "/cards/{slug}/request", "/cards/{card}/request", Body::Form("comment=Still+true%3F"), PAGE_POST),
    row(
        "POST",
        "/cards/{slug}/requests/{id}/answer",
        "/cards/{card}/requests/{request}/answer",
        Body::Form("answer=Yes"),
        VERIFIER_POST,
    ),
    row("POST", "/cards/{slug}/assign", "/cards/{card}/assign", Body::Form("verifier=vic"), VERIFIER_POST),
    row("GET", "/verify", "/verify", Body::None, PAGE),
    row("POST", "/verify", "/verify", Body::Form("slug={card}&slug=merger-plans&note=ok"), PAGE_POST),
    row("GET", "/health", "/health", Body::None, PAGE),
    row("GET", "/notifications", "/notifications", Body::None, PAGE),
    row("POST", "/notifications/read", "/notifications/read", Body::Form(""), PAGE_POST),
    row("GET", "/admin/sync", "/admin/sync", Body::None, ADMIN_PAGE),
    row("GET", "/admin/search", "/admin/search", Body::None, ADMIN_PAGE),
    row("GET", "/admin/users", "/admin/users", Body::None, ADMIN_PAGE),
    row(
        "POST",
        "/admin/users/new",
        "/admin/users/new",
        Body::Form("username=page-{caller}&role=viewer"),
        // The page shows the new account's generated password.
        ADMIN_PAGE,
    ),
    row("POST", "/admin/users/{name}", "/admin/users/target-{caller}", Body::Form("role=editor"), ADMIN_POST),
    row("GET", "/admin/groups", "/admin/groups", Body::None, ADMIN_PAGE),
    row("POST", "/admin/groups", "/admin/groups", Body::Form("name=page-group-{caller}"), ADMIN_POST),
    row(
        "POST",
        "/admin/groups/{name}/members",
        "/admin/groups/empty/members",
        Body::Form("username=target-{caller}"),
        ADMIN_POST,
    ),
    row(
        "POST",
        "/admin/groups/{name}/members/{username}/remove",
        "/admin/groups/reviewers/members/target-{caller}/remove",
        Body::Form(""),
        ADMIN_POST,
    ),
    row("GET", "/collections/{slug}/access", "/collections/general/access", Body::None, ADMIN_PAGE),
    row("POST", "/collections/{slug}/access", "/collections/general/access", Body::Form("rules="), ADMIN_POST),
    row("GET", "/account", "/account", Body::None, PAGE),
    row("GET", "/account/password", "/account/password", Body::None, PAGE),
    row(
        "POST",
        "/account/password",
        "/account/password",
        Body::Form("current_password={password}&password=another-password-456&confirm=another-password-456"),
        PAGE_POST,
    ),
    // The page shows the new token, once.
    row("POST", "/account/tokens", "/account/tokens", Body::Form("name=script&scope=read"), PAGE),
    row("POST", "/account/tokens/{id}/revoke", "/account/tokens/{token}/revoke", Body::Form(""), PAGE_POST),
    row("POST", "/account/sign-out-everywhere", "/account/sign-out-everywhere", Body::Form(""), PAGE_POST),
    // Signed in already: on to the home page.
    row("GET", "/login", "/login", Body::None, [200, 303, 303, 303, 303, 200, 403, 403, 403]),
    row(
        "POST",
        "/login",
        "/login",
        Body::Form("username={me}&password={password}"),
        [303, 303, 303, 303, 303, 401, 403, 403, 403],
    ),
    row("POST", "/logout", "/logout", Body::Form(""), PAGE_POST),
];

/// The world every row runs in: an open collection `general` with a card per caller, a
/// restricted collection `vault-x9` only the admin may read, and the people.
struct World {
    app: TestApp,
    /// Caller → what it sends as its bearer token (none for the anonymous caller).
    credentials: HashMap<&'static str, String>,
    /// Placeholder → value, per caller.
    values: HashMap<&'static str, HashMap<&'static str, String>>,
}

fn person(app: &TestApp, username: &str, role: Role, hash: &str) -> User {
    let new = users::NewUser { username, display_name: username, email: None, password_hash: Some(hash), role };
    app.state.store.write(|c| users::create(c, &new, t0())).unwrap()
}

async fn api_token(app: &TestApp, session: &str, scope: &str) -> (String, i64) {
    let r = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": format!("{scope} script"), "scope": scope})),
            Some(session),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let j = r.json();
    (j["token"].as_str().unwrap().to_owned(), j["id"].as_i64().unwrap())
}

async fn upload(app: &TestApp, label: &str) -> String {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(label.as_bytes());
    let r = app.raw(Method::POST, "/api/v1/attachments", "image/png", png).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["url"].as_str().unwrap().trim_start_matches("/attachments/").to_owned()
}

impl World {
    async fn new() -> World {
        let app = TestApp::new().await;
        let state = app.state.clone();
        let hash = verity::auth::hash_password(PASSWORD).unwrap();
        let admin = state.store.read(|c| users::get(c, "admin")).unwrap();
        let mut people: HashMap<&str, User> = HashMap::new();
        for (caller, name, role) in [
            ("viewer", "vera", Role::Viewer),
            ("editor", "eve", Role::Editor),
            ("verifier", "vic", Role::Editor),
            ("disabled", "dan", Role::Editor),
        ] {
            people.insert(caller, person(&app, name, role, &hash));
        }
        for caller in CALLERS {
            person(&app, &format!("target-{caller}"), Role::Viewer, &hash);
        }
        let ada = person(&app, "ada", Role::Admin, &hash);
        people.insert("admin", admin.clone());
        let mut credentials = HashMap::new();
        for (caller, user) in &people {
            credentials.insert(*caller, state.tokens.issue(user).unwrap());
        }
        let ada_session = state.tokens.issue(&ada).unwrap();
        for (caller, scope) in [("read-token", "read"), ("write-token", "write"), ("admin-token", "admin")] {
            credentials.insert(caller, api_token(&app, &ada_session, scope).await.0);
            people.insert(caller, ada.clone());
        }

        // Collections, groups and access.
        let r = app.post("/api/v1/collections", json!({"slug": "general", "name": "General"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = app.post("/api/v1/collections", json!({"slug": "vault-x9", "name": "Vault"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        for group in ["reviewers", "empty"] {
            assert_eq!(app.post("/api/v1/groups", json!({"name": group})).await.status, StatusCode::CREATED);
        }
        let targets = CALLERS.map(|caller| format!("target-{caller}"));
        for member in ["vera", "eve", "vic"].into_iter().chain(targets.iter().map(String::as_str)) {
            let r = app.post("/api/v1/groups/reviewers/members", json!({"username": member})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }

        // The open cards, one per caller, at revision 2 with an open request, verified by vic.
        let attachment = upload(&app, "a diagram").await;
        let secret_attachment = upload(&app, "the board's chart").await;
        let mut values: HashMap<&'static str, HashMap<&'static str, String>> = HashMap::new();
        for caller in CALLERS {
            let slug = format!("runbook-{caller}");
            let content =
                |body: String| Content::validate(&format!("Runbook {caller}"), body, &["ops".into()]).unwrap();
            let body = format!("Deploy pipeline rollback steps. ![diagram](/attachments/{attachment})");
            service::create_card(&state, &admin, "general", content(body.clone()), "created").unwrap();
            service::update_card(&state, &admin, &slug, content(format!("{body} Second.")), 1, "second", false)
                .unwrap();
            service::assign_verifier(&state, &admin, &slug, "vic", None).unwrap();
            let request = service::request_verification(&state, &admin, &slug, "Is it current?").unwrap();
            let archived = Content::validate(&format!("Archived {caller}"), "Old.".into(), &[]).unwrap();
            let saved = service::create_card(&state, &admin, "general", archived, "created").unwrap();
            service::archive_card(&state, &admin, &saved.card.slug).unwrap();
            let (me, password) = match caller {
                "anonymous" => ("vera".to_owned(), PASSWORD),
                "admin" => ("admin".to_owned(), crate::support::ADMIN_PASSWORD),
                _ => (people[caller].username.clone(), PASSWORD),
            };
            // A token of the caller's own, for the rows that revoke one.
            let owner = match caller {
                "anonymous" => &ada_session,
                _ if caller.ends_with("-token") => &ada_session,
                _ => &credentials[caller],
            };
            let token_id = api_token(&app, owner, "read").await.1;
            values.insert(
                caller,
                HashMap::from([
                    ("{caller}", caller.to_owned()),
                    ("{card}", slug.clone()),
                    ("{archived}", saved.card.slug.clone()),
                    ("{request}", request.id.to_string()),
                    ("{token}", token_id.to_string()),
                    ("{me}", me),
                    ("{password}", password.to_owned()),
                    ("{attachment}", attachment.clone()),
                    ("{secret_attachment}", secret_attachment.clone()),
                ]),
            );
        }

        // The restricted collection: a card that links to an open one, shows an
        // attachment, shares words with the open cards (related cards, suggestions,
        // completions), has history, an archived sibling and a request to its verifier
        // group, whose members may not read it.
        let secret_body = format!(
            "Deploy pipeline rollback for zanzibarite. See [[Runbook viewer]]. ![chart](/attachments/{secret_attachment})"
        );
        let secret = Content::validate("Merger plans", secret_body.clone(), &["board-only".into()]).unwrap();
        service::create_card(&state, &admin, "vault-x9", secret, "created").unwrap();
        let second = Content::validate("Merger plans", format!("{secret_body} More."), &["board-only".into()]).unwrap();
        service::update_card(&state, &admin, "merger-plans", second, 1, "second", false).unwrap();
        service::assign_verifier(&state, &admin, "merger-plans", "reviewers", None).unwrap();
        let old = Content::validate("Merger plans old", "Zanzibarite, before.".into(), &["board-only".into()]).unwrap();
        let old = service::create_card(&state, &admin, "vault-x9", old, "created").unwrap();
        service::archive_card(&state, &admin, &old.card.slug).unwrap();
        let r = app
            .put("/api/v1/collections/vault-x9/access", json!({"rules": [{"user": "admin", "level": "manage"}]}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        service::request_verification(&state, &admin, "merger-plans", "Is the zanzibarite price right?").unwrap();
        app.get("/api/v1/search?q=zanzibarite").await;
        let _ = verity::reminders::send_digests(&state.store, t0() + chrono::Duration::days(400), false);

        // Dan's account is disabled after his session and token were made.
        let r = app.call(Method::PATCH, "/api/v1/users/dan", Some(json!({"disabled": true})), Some(&app.token)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let last = state.store.read(verity_store::changes::last_seq).unwrap();
        assert!(state.indexer.wait_for(last, std::time::Duration::from_secs(30)).await, "the index caught up");
        World { app, credentials, values }
    }

    fn fill(&self, caller: &str, template: &str) -> String {
        self.values[caller].iter().fold(template.to_owned(), |text, (key, value)| text.replace(key, value))
    }

    async fn send(&self, row: &Row, caller: &str) -> (StatusCode, String) {
        let path = self.fill(caller, row.path);
        let method = Method::from_bytes(row.method.as_bytes()).unwrap();
        let mut request = self.app.client.request(method, self.app.server.url(&path));
        if let Some(token) = self.credentials.get(caller) {
            request = request.bearer_auth(token);
        }
        let sent = match row.body {
            Body::None => request.send().await,
            Body::Json(template) => {
                let body: Value = serde_json::from_str(&self.fill(caller, template)).unwrap();
                request.send_json(&body).await
            }
            Body::Form(template) => {
                request
                    .insert_header(("content-type", "application/x-www-form-urlencoded"))
                    .send_body(self.fill(caller, template))
                    .await
            }
            Body::Png => {
                let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
                png.extend_from_slice(caller.as_bytes());
                request.insert_header(("content-type", "image/png")).send_body(png).await
            }
        };
        let mut response = sent.unwrap_or_else(|e| panic!("{} {path}: {e}", row.method));
        let body = response.body().limit(64 * 1024 * 1024).await.unwrap_or_default();
        (response.status(), String::from_utf8_lossy(&body).into_owned())
    }
}

#[test]
fn every_route_has_a_row_and_every_row_a_route() {
    let table = verity::routes::table();
    let mut missing = Vec::new();
    for route in &table {
        if !ROWS.iter().any(|r| r.method == route.method.as_str() && r.pattern == route.path) {
            missing.push(format!("{} {}", route.method, route.path));
        }
    }
    assert!(missing.is_empty(), "routes without a row in the permission matrix: {missing:#?}");
    for row in ROWS {
        assert!(
            table.iter().any(|t| t.method.as_str() == row.method && t.path == row.pattern),
            "a row for a route that does not exist: {} {}",
            row.method,
            row.pattern
        );
    }
}

fn body_template(body: Body) -> &'static str {
    match body {
        Body::Json(template) | Body::Form(template) => template,
        Body::None | Body::Png => "",
    }
}

/// The matrix, split in parts so the test harness runs them side by side.
async fn run_part(part: usize, parts: usize) {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for row in ROWS.iter().skip(part).step_by(parts) {
        let world = World::new().await;
        for (i, caller) in CALLERS.iter().enumerate() {
            let (status, body) = world.send(row, caller).await;
            checked += 1;
            if status.as_u16() != row.expect[i] {
                let excerpt: String = body.chars().take(160).collect();
                wrong.push(format!(
                    "{} {} as {caller}: expected {}, got {} ({excerpt})",
                    row.method,
                    world.fill(caller, row.path),
                    row.expect[i],
                    status.as_u16()
                ));
            }
            if !sees_the_secret(caller) {
                // An answer may repeat what the caller sent (a 404 names the slug asked for);
                // anything else of the restricted collection must not show.
                let sent = format!("{} {}", world.fill(caller, row.path), world.fill(caller, body_template(row.body)));
                let secret_attachment = world.values[*caller]["{secret_attachment}"].as_str();
                for secret in SECRET_MARKERS.iter().copied().chain([secret_attachment]) {
                    if body.contains(secret) && !sent.contains(secret) {
                        wrong.push(format!(
                            "{} {} as {caller}: shows `{secret}`",
                            row.method,
                            world.fill(caller, row.path)
                        ));
                    }
                }
            }
        }
    }
    eprintln!("permission matrix part {part}: {checked} requests checked");
    assert!(wrong.is_empty(), "{} of {checked} answers are wrong:\n{}", wrong.len(), wrong.join("\n"));
}

#[actix_web::test]
async fn permission_matrix_part_1() {
    run_part(0, 4).await;
}

#[actix_web::test]
async fn permission_matrix_part_2() {
    run_part(1, 4).await;
}

#[actix_web::test]
async fn permission_matrix_part_3() {
    run_part(2, 4).await;
}

#[actix_web::test]
async fn permission_matrix_part_4() {
    run_part(3, 4).await;
}
