//! Collection access through real HTTP: a restricted collection exists only for the
//! people its rules list, in every endpoint that returns cards or their traces.

use actix_web::http::StatusCode;
use awc::http::Method;
use serde_json::{Value, json};
use verity_core::Role;

use crate::support::TestApp;

/// An open card and a restricted one that link to each other; `sam` is a viewer outside
/// the `execs` group that may read `secret`.
async fn two_collections(app: &TestApp) -> String {
    app.card("handbook", "Deploy runbook", "Zebrafact: ship on Tuesdays. See [[Merger plans]].", &["ops"]).await;
    app.card("secret", "Merger plans", "Zebrafact clandestine details. Back to [[Deploy runbook]].", &["board"]).await;
    assert_eq!(app.post("/api/v1/groups", json!({"name": "execs"})).await.status, StatusCode::CREATED);
    let r = app.put("/api/v1/collections/secret/access", json!({"rules": [{"group": "execs", "level": "read"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["restricted"], true);
    app.user("sam", Role::Viewer).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value, String) {
    let r = app.call(Method::GET, path, None, Some(token)).await;
    let text = r.text();
    (r.status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

#[actix_web::test]
async fn a_viewer_search_reveals_nothing_of_a_restricted_collection() {
    let app = TestApp::new().await;
    let sam = two_collections(&app).await;

    let (status, r, text) = get(&app, "/api/v1/search?q=zebrafact", &sam).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(r["hits"][0]["slug"], "deploy-runbook");
    assert_eq!(r["facets"]["collection"], json!({"handbook": 1}));
    assert_eq!(r["facets"]["tag"], json!({"ops": 1}));
    // ("Merger plans" itself is in the open card's own text: it links there.)
    for secret in ["clandestine", "secret", "board"] {
        assert!(!text.contains(secret), "`{secret}` leaked into {text}");
    }
    let (_, r, _) = get(&app, "/api/v1/search?q=clandestine", &sam).await;
    assert_eq!(r["total"], 0);
    let (_, r, _) = get(&app, "/api/v1/search?q=collection:secret", &sam).await;
    assert_eq!(r["total"], 0);
    let (_, r, _) = get(&app, "/api/v1/search?q=&collection=secret", &sam).await;
    assert_eq!(r["total"], 0);
    let (_, r, text) = get(&app, "/api/v1/search?q=", &sam).await;
    assert_eq!(r["total"], 1, "browsing counts only what the viewer may read");
    assert!(!text.contains("clandestine"));
    // Typing the start of a word only the hidden card has finds nothing, and a typo of
    // it is not corrected into it.
    let (_, r, text) = get(&app, "/api/v1/search?q=clandes&instant=true", &sam).await;
    assert_eq!(r["total"], 0, "{text}");
    let (_, r, text) = get(&app, "/api/v1/search?q=clandestime", &sam).await;
    assert_eq!(r["total"], 0, "{text}");
    assert!(!text.contains("clandestine"), "no did-you-mean from a hidden card: {text}");

    // The admin sees both.
    let r = app.get("/api/v1/search?q=zebrafact").await.json();
    assert_eq!(r["total"], 2);
}

#[actix_web::test]
async fn a_restricted_card_is_not_found_anywhere_for_outsiders() {
    let app = TestApp::new().await;
    let sam = two_collections(&app).await;

    for path in [
        "/api/v1/cards/merger-plans",
        "/api/v1/cards/merger-plans/revisions",
        "/api/v1/cards/merger-plans/revisions/1",
        "/api/v1/cards/merger-plans/diff?from=1",
        "/api/v1/cards/merger-plans/verifications",
        "/cards/merger-plans",
        "/cards/merger-plans/history",
    ] {
        let (status, _, text) = get(&app, path, &sam).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {text}");
        assert!(!text.contains("Merger plans"), "{path}");
    }
    let r = app
        .call(
            Method::POST,
            "/api/v1/cards/merger-plans/verification-requests",
            Some(json!({"comment": "?"})),
            Some(&sam),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "asking about a hidden card reveals it exists");

    let (_, list, _) = get(&app, "/api/v1/cards", &sam).await;
    assert_eq!(list["total"], 1);
    let (_, collections, _) = get(&app, "/api/v1/collections", &sam).await;
    let slugs: Vec<&str> =
        collections["collections"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, vec!["handbook"]);
    let (_, health, _) = get(&app, "/api/v1/health", &sam).await;
    assert_eq!(health["total"], 1, "{health}");

    // Pages: the home page's recent changes, the collections page, backlinks and wiki links.
    for path in ["/", "/collections", "/cards/deploy-runbook", "/health", "/archive"] {
        let (status, _, html) = get(&app, path, &sam).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains("/cards/merger-plans") && !html.contains("clandestine"), "{path} leaks: {html}");
    }
    let (_, _, html) = get(&app, "/cards/deploy-runbook", &sam).await;
    assert!(html.contains(r#"class="wikilink missing""#), "the link to the hidden card is unresolved");
    let (_, _, html) = get(&app, "/cards/deploy-runbook", &app.token).await;
    assert!(html.contains("/cards/merger-plans"), "the admin sees the link and the backlink");

    // A card the viewer may see links to nothing hidden in the live preview either.
    let r =
        app.call(Method::POST, "/api/v1/render", Some(json!({"body": "[[Merger plans]]"})), Some(&sam)).await.json();
    assert!(!r["html"].as_str().unwrap().contains("/cards/merger-plans"), "{r}");
}

#[actix_web::test]
async fn joining_the_group_opens_the_collection_at_once() {
    let app = TestApp::new().await;
    let sam = two_collections(&app).await;
    assert_eq!(get(&app, "/api/v1/cards/merger-plans", &sam).await.0, StatusCode::NOT_FOUND);
    let r = app.post("/api/v1/groups/execs/members", json!({"username": "sam"})).await;
    assert!(r.status.is_success());
    let (status, card, _) = get(&app, "/api/v1/cards/merger-plans", &sam).await;
    assert_eq!(status, StatusCode::OK, "same token, new rights");
    assert_eq!(card["title"], "Merger plans");
    assert_eq!(get(&app, "/api/v1/search?q=zebrafact", &sam).await.1["total"], 2);
    // Reading is all a viewer may do, whatever the rule says.
    let put = app
        .call(
            Method::PUT,
            "/api/v1/cards/merger-plans",
            Some(json!({"title": "Merger plans", "body": "changed", "base_rev": 1})),
            Some(&sam),
        )
        .await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
    // Leaving the group closes it again.
    let r = app.call(Method::DELETE, "/api/v1/groups/execs/members/sam", None, Some(&app.token)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(get(&app, "/api/v1/cards/merger-plans", &sam).await.0, StatusCode::NOT_FOUND);
    // An empty list opens the collection to everyone.
    let r = app.put("/api/v1/collections/secret/access", json!({"rules": []})).await;
    assert_eq!(r.json()["restricted"], false);
    assert_eq!(get(&app, "/api/v1/cards/merger-plans", &sam).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn levels_decide_who_writes_verifies_and_manages() {
    let app = TestApp::new().await;
    app.card("ops", "Paging", "Who gets paged.", &[]).await;
    let reader = app.user("rita", Role::Editor).await;
    let writer = app.user("wes", Role::Editor).await;
    let verifier = app.user("vic", Role::Editor).await;
    let manager = app.user("max", Role::Editor).await;
    let outsider = app.user("oz", Role::Editor).await;
    let rules = json!({"rules": [
        {"user": "rita", "level": "read"},
        {"user": "wes", "level": "write"},
        {"user": "vic", "level": "verify"},
        {"user": "max", "level": "manage"},
    ]});
    assert_eq!(app.put("/api/v1/collections/ops/access", rules).await.status, StatusCode::OK);

    let edit = |rev: i64| json!({"title": "Paging", "body": format!("Who gets paged, take {rev}."), "base_rev": rev});
    let put =
        async |token: &str, body: Value| app.call(Method::PUT, "/api/v1/cards/paging", Some(body), Some(token)).await;
    assert_eq!(put(&reader, edit(1)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(put(&outsider, edit(1)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(put(&writer, edit(1)).await.status, StatusCode::OK);

    let verify =
        async |token: &str| app.call(Method::POST, "/api/v1/cards/paging/verify", Some(json!({})), Some(token)).await;
    assert_eq!(verify(&writer).await.status, StatusCode::FORBIDDEN, "write is not verify");
    assert_eq!(verify(&verifier).await.status, StatusCode::OK, "verify level vouches for any card there");

    let open = json!({"rules": []});
    let set = async |token: &str| {
        app.call(Method::PUT, "/api/v1/collections/ops/access", Some(open.clone()), Some(token)).await
    };
    assert_eq!(set(&verifier).await.status, StatusCode::FORBIDDEN);
    assert_eq!(set(&outsider).await.status, StatusCode::NOT_FOUND);
    let r = app.call(Method::GET, "/api/v1/collections/ops/access", None, Some(&manager)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["rules"].as_array().unwrap().len(), 4);
    assert_eq!(set(&manager).await.status, StatusCode::OK);
    assert_eq!(put(&outsider, edit(2)).await.status, StatusCode::OK, "open again: editors write");

    // Creating cards in a collection one may not see says it does not exist.
    app.put("/api/v1/collections/ops/access", json!({"rules": [{"user": "max", "level": "manage"}]})).await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/cards",
            Some(json!({"title": "Sneaky", "body": "x", "collection": "ops"})),
            Some(&outsider),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("does not exist"));
}

#[actix_web::test]
async fn bad_access_rules_are_clear_errors_that_change_nothing() {
    let app = TestApp::new().await;
    app.card("ops", "Paging", "Who gets paged.", &[]).await;
    for (body, status) in [
        (json!({"rules": [{"user": "ghost", "level": "read"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"rules": [{"group": "nobody", "level": "read"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"rules": [{"user": "admin", "level": "own"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"rules": [{"user": "admin", "group": "x", "level": "read"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"rules": [{"level": "read"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"rules": "everyone"}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = app.put("/api/v1/collections/ops/access", body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text());
        r.error_code();
    }
    let r = app.get("/api/v1/collections/ops/access").await.json();
    assert_eq!(r["rules"], json!([]), "nothing was half-applied");
    assert_eq!(app.put("/api/v1/collections/nope/access", json!({"rules": []})).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn attachments_follow_the_cards_that_show_them() {
    let app = TestApp::new().await;
    let sam = two_collections(&app).await;
    let png = b"\x89PNG\r\n\x1a\nrest-of-image".to_vec();
    let up = app.raw(Method::POST, "/api/v1/attachments", "image/png", png).await.json();
    let url = up["url"].as_str().unwrap().to_owned();
    let card = app.get("/api/v1/cards/merger-plans").await.json();
    let r = app
        .put(
            "/api/v1/cards/merger-plans",
            json!({"title": "Merger plans", "body": format!("![chart]({url})"), "base_rev": card["rev"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(get(&app, &url, &sam).await.0, StatusCode::NOT_FOUND, "only readers of the card fetch it");
    assert_eq!(get(&app, &url, &app.token).await.0, StatusCode::OK);
    app.post("/api/v1/groups/execs/members", json!({"username": "sam"})).await;
    assert_eq!(get(&app, &url, &sam).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn export_over_http_holds_only_what_the_caller_may_read() {
    let app = TestApp::new().await;
    let sam = two_collections(&app).await;
    let (status, all, _) = get(&app, "/api/v1/export", &app.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["total"], 2);
    let (_, mine, text) = get(&app, "/api/v1/export", &sam).await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["files"][0]["path"], "handbook/deploy-runbook.md");
    let md = mine["files"][0]["markdown"].as_str().unwrap();
    assert!(md.starts_with("---\n") && md.contains("title: Deploy runbook"), "{md}");
    assert!(!text.contains("clandestine"));
    let (_, page, _) = get(&app, "/api/v1/export?limit=1&offset=1", &app.token).await;
    assert_eq!(page["files"].as_array().unwrap().len(), 1);
    assert_eq!(page["files"][0]["slug"], "merger-plans");
}

#[actix_web::test]
async fn restricted_collections_stay_hidden_on_postgres_too() {
    let Some(app) = TestApp::on(crate::support::Backend::Postgres).await else {
        eprintln!("skipped: VERITY_TEST_DATABASE_URL is not set");
        return;
    };
    let sam = two_collections(&app).await;
    assert_eq!(get(&app, "/api/v1/cards", &sam).await.1["total"], 1);
    assert_eq!(get(&app, "/api/v1/search?q=zebrafact", &sam).await.1["total"], 1);
    assert_eq!(get(&app, "/api/v1/cards/merger-plans", &sam).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/api/v1/export", &sam).await.1["total"], 1);
    let (_, _, html) = get(&app, "/", &sam).await;
    assert!(!html.contains("/cards/merger-plans"));
    let (_, _, html) = get(&app, "/cards/deploy-runbook", &sam).await;
    assert!(!html.contains("/cards/merger-plans"), "no backlink or resolved link on PostgreSQL either");
    app.post("/api/v1/groups/execs/members", json!({"username": "sam"})).await;
    assert_eq!(get(&app, "/api/v1/cards", &sam).await.1["total"], 2);
}

#[actix_web::test]
async fn reminders_skip_verifiers_who_may_not_read_the_card() {
    let app = TestApp::new().await;
    app.user("mei", Role::Editor).await;
    app.import(&crate::support::fixtures().join("kb")).await; // tls-renewal: verifier mei, stale
    let lock = json!({"rules": [{"user": "admin", "level": "manage"}]});
    assert_eq!(app.put("/api/v1/collections/engineering/access", lock).await.status, StatusCode::OK);
    let (store, now) = (&app.state.store, crate::support::ClockExt::now_utc(&app.clock));
    assert_eq!(verity::reminders::send_digests(store, now, false).unwrap(), 0, "mei may not read it any more");
    let open = json!({"rules": [{"user": "admin", "level": "manage"}, {"user": "mei", "level": "verify"}]});
    app.put("/api/v1/collections/engineering/access", open).await;
    assert_eq!(verity::reminders::send_digests(store, now, false).unwrap(), 1);
}
