//! The JSON API: auth, cards, revisions, errors.

use actix_web::http::StatusCode;
use awc::http::Method;
use serde_json::json;
use verity_core::Role;

use crate::support::{ADMIN_PASSWORD, TestApp};

#[actix_web::test]
async fn login_gives_a_token_and_wrong_credentials_get_401() {
    let app = TestApp::new().await;
    for (user, pw) in [("admin", "nope"), ("nobody", ADMIN_PASSWORD), ("", "")] {
        let r =
            app.call(Method::POST, "/api/v1/auth/login", Some(json!({"username": user, "password": pw})), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.error_code(), "unauthorized");
    }
    let r = app
        .call(Method::POST, "/api/v1/auth/login", Some(json!({"username": "admin", "password": ADMIN_PASSWORD})), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["token"].as_str().unwrap().split('.').count(), 3, "a JWT");
}

#[actix_web::test]
async fn the_api_needs_a_valid_token() {
    let app = TestApp::new().await;
    for token in [None, Some("garbage"), Some("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.")] {
        let r = app.call(Method::GET, "/api/v1/cards", None, token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(r.error_code(), "unauthorized");
    }
    // A token signed with another secret is refused too.
    let other = TestApp::new().await;
    let r = app.call(Method::GET, "/api/v1/cards", None, Some(&other.token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_password_change_revokes_earlier_tokens() {
    let app = TestApp::new().await;
    let token = app.user("ada", Role::Editor).await;
    assert_eq!(app.call(Method::GET, "/api/v1/cards", None, Some(&token)).await.status, StatusCode::OK);
    let hash = verity::auth::hash_password("a-new-password").unwrap();
    app.state.store.write(|c| verity_store::users::set_password_hash(c, "ada", &hash)).unwrap();
    assert_eq!(app.call(Method::GET, "/api/v1/cards", None, Some(&token)).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_created_card_reads_back_with_body_rev_and_metadata() {
    let app = TestApp::new().await;
    let created =
        app.card("eng", "Deploying to production", "# Deploying\n\nRun the pipeline.", &["Deploys", "runbook"]).await;
    assert_eq!(created["slug"], "deploying-to-production");
    assert_eq!(created["rev"], 1);
    let r = app.get("/api/v1/cards/deploying-to-production").await;
    assert_eq!(r.status, StatusCode::OK);
    let card = r.json();
    assert_eq!(card["title"], "Deploying to production");
    assert_eq!(card["body"], "# Deploying\n\nRun the pipeline.");
    assert_eq!(card["collection"], "eng");
    assert_eq!(card["tags"], json!(["deploys", "runbook"]));
    assert_eq!(card["status"], "unverified");
    assert_eq!(card["owner"], "admin");
    assert_eq!(card["verify_every"], "3m");
    assert!(card["next_verification_at"].is_null());
}

#[actix_web::test]
async fn same_titles_get_distinct_slugs() {
    let app = TestApp::new().await;
    let a = app.card("eng", "On-call", "a", &[]).await;
    let b = app.card("eng", "On-call", "b", &[]).await;
    assert_eq!((a["slug"].as_str().unwrap(), b["slug"].as_str().unwrap()), ("on-call", "on-call-2"));
}

#[actix_web::test]
async fn edits_append_revisions_and_a_stale_base_is_a_conflict_with_the_head() {
    let app = TestApp::new().await;
    app.card("eng", "Runbook", "one", &["ops"]).await;
    let r = app
        .put(
            "/api/v1/cards/runbook?wait=true",
            json!({"title": "Runbook", "body": "two", "base_rev": 1, "message": "second"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["rev"].clone(), r.json()["tags"].clone()),
        (json!(2), json!(["ops"])),
        "tags left out are kept"
    );

    let r = app.put("/api/v1/cards/runbook", json!({"title": "Runbook", "body": "mine", "base_rev": 1})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "conflict");
    assert_eq!(r.json()["current"], json!({"rev": 2, "body": "two"}));
    assert_eq!(app.get("/api/v1/cards/runbook").await.json()["body"], "two", "the conflict wrote nothing");

    let revs = app.get("/api/v1/cards/runbook/revisions").await.json();
    let revs = revs["revisions"].as_array().unwrap();
    assert_eq!(revs.iter().map(|r| r["rev"].as_i64().unwrap()).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(revs[0]["message"], "second");
    assert_eq!(revs[0]["author"], "admin");
    let first = app.get("/api/v1/cards/runbook/revisions/1").await;
    assert_eq!(first.json()["body"], "one");
    assert_eq!(app.get("/api/v1/cards/runbook/revisions/9").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn saving_the_same_content_adds_no_revision() {
    let app = TestApp::new().await;
    app.card("eng", "Same", "text", &["a"]).await;
    let r = app.put("/api/v1/cards/same", json!({"title": "Same", "body": "text", "tags": ["a"], "base_rev": 1})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!((r.json()["rev"].clone(), r.json()["changed"].clone()), (json!(1), json!(false)));
}

#[actix_web::test]
async fn listing_pages_and_filters_cards() {
    let app = TestApp::new().await;
    for i in 0..5 {
        app.card(if i % 2 == 0 { "even" } else { "odd" }, &format!("Card {i}"), "x", &[]).await;
    }
    let all = app.get("/api/v1/cards").await.json();
    assert_eq!(all["total"], 5);
    let page = app.get("/api/v1/cards?limit=2&offset=1").await.json();
    assert_eq!((page["total"].clone(), page["cards"].as_array().unwrap().len()), (json!(5), 2));
    let odd = app.get("/api/v1/cards?collection=odd").await.json();
    assert_eq!(odd["total"], 2);
    assert!(odd["cards"].as_array().unwrap().iter().all(|c| c["collection"] == "odd" && c.get("body").is_none()));
    assert_eq!(app.get("/api/v1/cards?status=unverified").await.json()["total"], 5);
    assert_eq!(app.get("/api/v1/cards?status=stale").await.json()["total"], 0);
    let bad = app.get("/api/v1/cards?status=fresh").await;
    assert_eq!((bad.status, bad.error_code().as_str()), (StatusCode::BAD_REQUEST, "bad_request"));
    assert_eq!(app.get("/api/v1/cards?limit=lots").await.status, StatusCode::BAD_REQUEST);
    // Limits above 1000 are capped, not refused.
    assert_eq!(app.get("/api/v1/cards?limit=5000").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn bad_input_gets_clear_json_errors_never_a_500() {
    let app = TestApp::new().await;
    app.card("eng", "Exists", "x", &[]).await;
    // (label, method, path, content type, body, expected status)
    type Case = (&'static str, Method, &'static str, &'static str, Vec<u8>, StatusCode);
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            Method::POST,
            "/api/v1/cards",
            "application/json",
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "missing title",
            Method::POST,
            "/api/v1/cards",
            "application/json",
            br#"{"body":"x","collection":"eng"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "wrong types",
            Method::POST,
            "/api/v1/cards",
            "application/json",
            br#"{"title":5,"body":"x","collection":"eng"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "blank title",
            Method::POST,
            "/api/v1/cards",
            "application/json",
            br#"{"title":"  ","body":"x","collection":"eng"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "unknown collection",
            Method::POST,
            "/api/v1/cards",
            "application/json",
            br#"{"title":"t","body":"x","collection":"nope"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "not JSON at all",
            Method::POST,
            "/api/v1/cards",
            "text/plain",
            b"hello".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "PUT without base_rev",
            Method::PUT,
            "/api/v1/cards/exists",
            "application/json",
            br#"{"title":"t","body":"x"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "PUT to an unknown card",
            Method::PUT,
            "/api/v1/cards/ghost",
            "application/json",
            br#"{"title":"t","body":"x","base_rev":1}"#.to_vec(),
            StatusCode::NOT_FOUND,
        ),
        ("unknown route", Method::GET, "/api/v1/nothing-here", "application/json", Vec::new(), StatusCode::NOT_FOUND),
        (
            "unknown revision number",
            Method::GET,
            "/api/v1/cards/exists/revisions/abc",
            "application/json",
            Vec::new(),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (label, method, path, content_type, body, want) in cases {
        let r = app.raw(method, path, content_type, body).await;
        assert_eq!(r.status, want, "{label}: {}", r.text());
        r.error_code();
    }
    let r = app.get("/api/v1/cards/no-such-card").await;
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::NOT_FOUND, "not_found"));
}

#[actix_web::test]
async fn bodies_over_two_megabytes_get_413_and_store_nothing() {
    let app = TestApp::new().await;
    app.card("eng", "Exists", "x", &[]).await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = app.post("/api/v1/cards", json!({"title": "Huge", "body": huge, "collection": "eng"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    // Just over the card limit but under the request limit: refused by validation.
    let over = "y".repeat(verity_core::max_card_bytes() + 1);
    let r = app.put("/api/v1/cards/exists", json!({"title": "Exists", "body": over, "base_rev": 1})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.get("/api/v1/cards").await.json()["total"], 1);
    assert_eq!(app.get("/api/v1/cards/exists").await.json()["rev"], 1);
}

#[actix_web::test]
async fn viewers_read_but_cannot_write() {
    let app = TestApp::new().await;
    app.card("eng", "Readable", "x", &[]).await;
    let viewer = app.user("vera", Role::Viewer).await;
    assert_eq!(app.call(Method::GET, "/api/v1/cards/readable", None, Some(&viewer)).await.status, StatusCode::OK);
    let r = app
        .call(
            Method::POST,
            "/api/v1/cards",
            Some(json!({"title": "t", "body": "b", "collection": "eng"})),
            Some(&viewer),
        )
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    let r = app
        .call(
            Method::PUT,
            "/api/v1/cards/readable",
            Some(json!({"title": "t", "body": "b", "base_rev": 1})),
            Some(&viewer),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let editor = app.user("eddie", Role::Editor).await;
    let r = app
        .call(Method::POST, "/api/v1/collections", Some(json!({"slug": "mine", "name": "Mine"})), Some(&editor))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only admins create collections");
}

#[actix_web::test]
async fn an_edit_by_someone_else_than_the_verifier_makes_a_card_unverified() {
    let app = TestApp::new().await;
    app.import(&crate::support::fixtures().join("kb")).await;
    let card = app.get("/api/v1/cards/engineering-deploying").await.json();
    assert_eq!((card["status"].as_str(), card["verifier"].as_str()), (Some("verified"), Some("mei")));
    let eddie = app.user("eddie", Role::Editor).await;
    let r = app
        .call(
            Method::PUT,
            "/api/v1/cards/engineering-deploying",
            Some(json!({"title": card["title"], "body": "changed", "base_rev": card["rev"]})),
            Some(&eddie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "unverified");
    assert_eq!(r.json()["verified_by"], "mei", "the last verification stays on record");
}

#[actix_web::test]
async fn collections_are_listed_with_counts_and_created_by_admins() {
    let app = TestApp::new().await;
    let r =
        app.post("/api/v1/collections", json!({"slug": "ops", "name": "Operations", "description": "Runbooks"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app.post("/api/v1/collections", json!({"slug": "ops", "name": "Again"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post("/api/v1/collections", json!({"slug": "Not A Slug", "name": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.card("ops", "Paging", "x", &[]).await;
    let list = app.get("/api/v1/collections").await.json();
    assert_eq!(
        list["collections"],
        json!([{"slug": "ops", "name": "Operations", "description": "Runbooks", "cards": 1, "default_verify_every": "3m", "level": "manage"}])
    );
}

#[actix_web::test]
async fn healthz_answers_without_signing_in() {
    let app = TestApp::new().await;
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[actix_web::test]
async fn the_first_admin_password_is_generated_once_and_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    let open = |password: Option<String>| {
        verity::app::Runtime::open(verity::app::Options {
            data_dir: dir.path().to_owned(),
            database_url: None,
            clock: std::sync::Arc::new(verity_core::SystemClock),
            admin_password: password,
            content: None,
            session_hours: None,
            jwt_secret: None,
            site: Default::default(),
        })
        .unwrap()
    };
    let first = open(None);
    let generated = first.generated_admin_password.clone().expect("generated on the first run");
    first.shutdown();
    let file = dir.path().join(verity::app::ADMIN_PASSWORD_FILE);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), generated);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let second = open(None);
    assert!(second.generated_admin_password.is_none(), "never printed twice");
    let user = verity::auth::authenticate(&second.state, "admin", &generated).unwrap();
    assert!(user.is_some(), "the generated password signs in");
    second.shutdown();
}

#[actix_web::test]
async fn edits_from_an_old_revision_merge_when_they_do_not_overlap() {
    let app = TestApp::new().await;
    app.card("eng", "Steps", "look\nthink\nact\n", &["ops"]).await;
    let theirs = app
        .put("/api/v1/cards/steps", json!({"title": "Steps", "body": "look around\nthink\nact\n", "base_rev": 1}))
        .await;
    assert_eq!(theirs.json()["merged"], false);
    let mine = app
        .put(
            "/api/v1/cards/steps",
            json!({"title": "Steps", "body": "look\nthink\nact fast\n", "base_rev": 1, "tags": ["ops", "runbook"]}),
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text());
    let j = mine.json();
    assert_eq!((j["merged"].clone(), j["rev"].clone()), (json!(true), json!(3)));
    assert_eq!(j["body"], "look around\nthink\nact fast\n", "nobody's words were dropped");
    assert_eq!(j["tags"], json!(["ops", "runbook"]));
    // Both changing the title differently is a conflict, like overlapping lines.
    app.put(
        "/api/v1/cards/steps",
        json!({"title": "Steps v2", "body": "look around\nthink\nact fast\n", "base_rev": 3}),
    )
    .await;
    let r = app
        .put(
            "/api/v1/cards/steps",
            json!({"title": "Steps v3", "body": "look around\nthink\nact fast\n", "base_rev": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["current"]["rev"], 4);
    // A base revision that never existed is a conflict too, not a 500.
    let r = app.put("/api/v1/cards/steps", json!({"title": "Steps", "body": "x", "base_rev": 99})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[actix_web::test]
async fn restoring_a_revision_appends_a_new_one_and_diffs_show_lines_and_words() {
    let app = TestApp::new().await;
    app.card("eng", "Runbook", "one\ntwo three\n", &[]).await;
    app.put("/api/v1/cards/runbook", json!({"title": "Runbook", "body": "one\ntwo 3\nfour\n", "base_rev": 1})).await;
    let d = app.get("/api/v1/cards/runbook/diff?from=1&to=2").await;
    assert_eq!(d.status, StatusCode::OK);
    let d = d.json();
    assert_eq!(d["stats"], json!({"insertions": 2, "deletions": 1}));
    let ops: Vec<&str> = d["lines"].as_array().unwrap().iter().map(|l| l["op"].as_str().unwrap()).collect();
    assert_eq!(ops, vec!["equal", "delete", "insert", "insert"]);
    assert!(d["lines"][2]["segments"].as_array().unwrap().iter().any(|s| s["changed"] == true && s["text"] == "3"));
    assert_eq!(app.get("/api/v1/cards/runbook/diff?from=1&to=9").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/cards/runbook/diff").await.status, StatusCode::BAD_REQUEST);

    let r = app.post("/api/v1/cards/runbook/restore?wait=true", json!({"rev": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!((r.json()["rev"].clone(), r.json()["body"].clone()), (json!(3), json!("one\ntwo three\n")));
    let revs = app.get("/api/v1/cards/runbook/revisions").await.json();
    assert_eq!(revs["revisions"][0]["message"], "restored revision 1");
    assert_eq!(revs["revisions"].as_array().unwrap().len(), 3, "history is never rewritten");
    assert_eq!(app.post("/api/v1/cards/runbook/restore", json!({"rev": 42})).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn render_uses_the_card_pipeline_and_sanitises() {
    let app = TestApp::new().await;
    let r = app.post("/api/v1/render", json!({"body": "**bold** <script>alert(1)</script>\n\n- [x] done"})).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.json()["html"].as_str().unwrap().to_owned();
    assert!(html.contains("<strong>bold</strong>") && html.contains(r#"type="checkbox""#), "{html}");
    assert!(!html.contains("<script"), "{html}");
    let r = app.post("/api/v1/render", json!({"body": "x".repeat(verity_core::max_card_bytes() + 1)})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        app.call(Method::POST, "/api/v1/render", Some(json!({"body": "x"})), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn archived_cards_leave_search_and_lists_keep_history_and_come_back() {
    let app = TestApp::new().await;
    app.card("eng", "Old runbook", "zanzibar steps", &[]).await;
    app.put("/api/v1/cards/old-runbook", json!({"title": "Old runbook", "body": "zanzibar steps v2", "base_rev": 1}))
        .await;
    let r = app.call(Method::DELETE, "/api/v1/cards/old-runbook?wait=true", None, Some(&app.token)).await;
    assert_eq!((r.status, r.json()["archived"].clone()), (StatusCode::OK, json!(true)));
    assert_eq!(app.get("/api/v1/cards/old-runbook").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/search?q=zanzibar").await.json()["total"], 0);
    assert_eq!(app.get("/api/v1/cards").await.json()["total"], 0);
    assert!(app.get("/archive").await.text().contains("Old runbook"));
    let card = app.state.store.read(|c| verity_store::cards::by_slug(c, "old-runbook")).unwrap();
    assert_eq!(app.state.store.read(|c| verity_store::cards::revisions(c, card.id)).unwrap().len(), 2, "history kept");
    let viewer = app.user("vera", Role::Viewer).await;
    assert_eq!(
        app.call(Method::POST, "/api/v1/cards/old-runbook/unarchive", None, Some(&viewer)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post("/api/v1/cards/old-runbook/unarchive?wait=true", json!({})).await;
    assert_eq!((r.status, r.json()["rev"].clone()), (StatusCode::OK, json!(2)));
    assert_eq!(app.get("/api/v1/search?q=zanzibar").await.json()["total"], 1);
    assert_eq!(
        app.post("/api/v1/cards/old-runbook/unarchive", json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
