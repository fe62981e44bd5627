//! Issue 17's reproductions, sent as the issue describes them. The setup is the issue's:
//! the admin creates a viewer `vera`, an editor `eve`, a collection `secret` whose access
//! rules admit only the admin, and a card "Merger plans" in it.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use awc::http::Method;
use serde_json::{Value, json};
use verity_core::Role;

use crate::support::TestApp;

struct People {
    vera: String,
    eve: String,
}

async fn the_issues_setup(app: &TestApp) -> People {
    let vera = app.user("vera", Role::Viewer).await;
    let eve = app.user("eve", Role::Editor).await;
    app.card("secret", "Merger plans", "We buy Initech in March. Clandestine.", &["board"]).await;
    app.card("general", "Welcome", "Hello everyone.", &[]).await;
    let r =
        app.put("/api/v1/collections/secret/access", json!({"rules": [{"user": "admin", "level": "manage"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        app.call(Method::GET, "/api/v1/cards/merger-plans", None, Some(&vera)).await.status,
        StatusCode::NOT_FOUND
    );
    People { vera, eve }
}

async fn get_as(app: &TestApp, path: &str, token: &str) -> StatusCode {
    app.call(Method::GET, path, None, Some(token)).await.status
}

async fn create_as(app: &TestApp, token: &str, collection: &str, title: &str, body: &str) -> Value {
    let r = app
        .call(
            Method::POST,
            "/api/v1/cards?wait=true",
            Some(json!({"title": title, "body": body, "collection": collection})),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn edit_body(app: &TestApp, slug: &str, body: &str) {
    let card = app.get(&format!("/api/v1/cards/{slug}")).await.json();
    let r = app
        .put(&format!("/api/v1/cards/{slug}"), json!({"title": card["title"], "body": body, "base_rev": card["rev"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

async fn upload_as(app: &TestApp, token: &str) -> String {
    let mut r = app
        .client
        .post(app.server.url("/api/v1/attachments"))
        .bearer_auth(token)
        .insert_header(("content-type", "image/png"))
        .send_body(PNG.to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let j: Value = r.json().await.unwrap();
    j["url"].as_str().unwrap().to_owned()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR the board's chart";

/// Finding 1: an attachment that only ever appeared in `secret` cannot be fetched by a
/// viewer after an editor writes its path (or every id) into an open card.
#[actix_web::test]
async fn attachments_cannot_be_reached_by_writing_their_path_into_an_open_card() {
    probing_attachments_finds_nothing(TestApp::new().await).await;
}

#[actix_web::test]
async fn attachments_cannot_be_reached_by_writing_their_path_into_an_open_card_on_postgres() {
    let Some(app) = TestApp::on(crate::support::Backend::Postgres).await else {
        eprintln!("skipped: VERITY_TEST_DATABASE_URL is not set");
        return;
    };
    probing_attachments_finds_nothing(app).await;
}

async fn probing_attachments_finds_nothing(app: TestApp) {
    let People { vera, eve } = the_issues_setup(&app).await;
    let url = upload_as(&app, &app.token).await;
    edit_body(&app, "merger-plans", &format!("The deal: ![chart]({url})")).await;
    assert_eq!(get_as(&app, &url, &vera).await, StatusCode::NOT_FOUND);

    // Eve probes ids (the attachment's row id is 1) and even knows the secret URL.
    let probes: String = (1..=50).map(|i| format!("![x](/attachments/{i}) ")).collect();
    create_as(&app, &eve, "general", "Harmless", &format!("{probes} ![leak]({url})")).await;
    for path in ["/attachments/1", url.as_str()] {
        assert_eq!(get_as(&app, path, &vera).await, StatusCode::NOT_FOUND, "{path} reached vera");
        assert_eq!(get_as(&app, path, &eve).await, StatusCode::NOT_FOUND, "{path} reached eve");
    }
    assert_eq!(get_as(&app, &url, &app.token).await, StatusCode::OK, "the admin still reads it");
    let key = url.strip_prefix("/attachments/").unwrap();
    assert!(key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()), "an unguessable URL, not an id: {url}");

    // Someone who may read it publishing it in an open card does share it.
    create_as(&app, &app.token, "general", "Board chart", &format!("![chart]({url})")).await;
    assert_eq!(get_as(&app, &url, &vera).await, StatusCode::OK);
    assert_eq!(get_as(&app, "/attachments/1", &vera).await, StatusCode::OK, "the old id form follows the same rule");
    // …and archiving that card takes it away again.
    let board = app.get("/api/v1/cards?collection=general").await.json();
    let slug = board["cards"].as_array().unwrap().iter().find(|c| c["title"] == "Board chart").unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/cards/{slug}"), None, Some(&app.token)).await.status,
        StatusCode::OK
    );
    assert_eq!(get_as(&app, &url, &vera).await, StatusCode::NOT_FOUND);
}

/// An editor's own upload is theirs to publish; an upload never shown stays the uploader's.
#[actix_web::test]
async fn an_uploader_publishes_their_own_attachment_by_showing_it() {
    let app = TestApp::new().await;
    let People { vera, eve } = the_issues_setup(&app).await;
    let url = upload_as(&app, &eve).await;
    assert_eq!(get_as(&app, &url, &eve).await, StatusCode::OK);
    assert_eq!(get_as(&app, &url, &vera).await, StatusCode::NOT_FOUND);
    create_as(&app, &eve, "general", "Diagram", &format!("![d]({url})")).await;
    assert_eq!(get_as(&app, &url, &vera).await, StatusCode::OK);
}

/// Finding 5: requests and answers reach only people who may read the card.
#[actix_web::test]
async fn verification_requests_and_answers_never_reach_people_who_may_not_read_the_card() {
    let app = TestApp::new().await;
    let People { vera, eve } = the_issues_setup(&app).await;
    assert_eq!(app.post("/api/v1/groups", json!({"name": "reviewers"})).await.status, StatusCode::CREATED);
    for member in ["vera", "admin"] {
        app.post("/api/v1/groups/reviewers/members", json!({"username": member})).await;
    }
    let r = app.put("/api/v1/cards/merger-plans/verification", json!({"verifier": "reviewers"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Eve asks about an open card that is then locked away before the answer.
    assert_eq!(
        app.post("/api/v1/collections", json!({"slug": "ops", "name": "Ops"})).await.status,
        StatusCode::CREATED
    );
    let rota = create_as(&app, &eve, "ops", "Pager rota", "Who carries the pager.").await;
    let rota = rota["slug"].as_str().unwrap().to_owned();
    let ask = app
        .call(
            Method::POST,
            &format!("/api/v1/cards/{rota}/verification-requests"),
            Some(json!({"comment": "is the rota current?"})),
            Some(&eve),
        )
        .await;
    assert_eq!(ask.status, StatusCode::CREATED, "{}", ask.text());
    let id = ask.json()["id"].as_i64().unwrap();
    let r = app.put("/api/v1/collections/ops/access", json!({"rules": [{"user": "admin", "level": "manage"}]})).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post(&format!("/api/v1/cards/{rota}/verification-requests/{id}/answer"), json!({"answer": "Initech rota"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // A third person asks about the secret card: the group is told, vera is not.
    let bob = app.user("bob", Role::Editor).await;
    let r = app
        .put(
            "/api/v1/collections/secret/access",
            json!({"rules": [{"user": "admin", "level": "manage"}, {"user": "bob", "level": "read"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ask = app
        .call(
            Method::POST,
            "/api/v1/cards/merger-plans/verification-requests",
            Some(json!({"comment": "the Initech price changed"})),
            Some(&bob),
        )
        .await;
    assert_eq!(ask.status, StatusCode::CREATED, "{}", ask.text());

    for (who, token) in [("vera", &vera), ("eve", &eve)] {
        let inbox = app.call(Method::GET, "/api/v1/notifications", None, Some(token)).await;
        assert_eq!(inbox.status, StatusCode::OK);
        let text = inbox.text();
        for secret in ["Merger", "merger-plans", "Initech", "Pager rota", "pager-rota"] {
            assert!(!text.contains(secret), "{who}'s inbox shows `{secret}`: {text}");
        }
        let page = app.call(Method::GET, "/notifications", None, Some(token)).await.text();
        assert!(!page.contains("Initech"), "{who}'s inbox page");
    }
    let admin_inbox = app.get("/api/v1/notifications").await.text();
    assert!(admin_inbox.contains("Initech price"), "the admin in the group is told: {admin_inbox}");
}

/// Finding 7: a preview with 150,000 wiki links answers promptly, several at once leave
/// the server responsive, and links past the cap render as unresolved.
#[actix_web::test]
async fn a_preview_full_of_wiki_links_cannot_hold_the_database() {
    let app = TestApp::new().await;
    let vera = app.user("vera", Role::Viewer).await;
    app.card("general", "w3", "A card the third link names.", &[]).await;
    app.card("general", "w999", "Named only after the cap.", &[]).await;
    let body: String = (0..150_000).map(|i| format!("[[w{i}]] ")).collect();
    let started = Instant::now();
    let renders = (0..8).map(|_| app.call(Method::POST, "/api/v1/render", Some(json!({"body": body})), Some(&vera)));
    let answers = futures_util::future::join_all(renders).await;
    for r in &answers {
        assert_eq!(r.status, StatusCode::OK, "{}", &r.text()[..r.text().len().min(300)]);
    }
    let html = answers[0].json()["html"].as_str().unwrap().to_owned();
    assert!(html.contains(r#"<a class="wikilink" href="/cards/w3" "#), "linked within the cap");
    assert!(!html.contains(r#"href="/cards/w999""#), "past the cap a link stays unresolved");
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
    // Generous for a debug build on a shared machine; before the fix it took minutes.
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
}

/// Finding 12: the slug of a new card says nothing about cards its author cannot see.
#[actix_web::test]
async fn a_new_cards_slug_does_not_reveal_hidden_cards() {
    let app = TestApp::new().await;
    let People { eve, .. } = the_issues_setup(&app).await;
    let mine = create_as(&app, &eve, "general", "Merger plans", "My own notes.").await;
    let slug = mine["slug"].as_str().unwrap();
    assert_ne!(slug, "merger-plans-2", "that would say a hidden card holds the name");
    let suffix = slug.strip_prefix("merger-plans-").unwrap_or_else(|| panic!("readable start: {slug}"));
    assert_eq!(suffix.len(), 6);
    // The same happens to a title nothing else has, so the two cannot be told apart.
    let other = create_as(&app, &eve, "general", "Quarterly picnic", "Bring food.").await;
    assert!(other["slug"].as_str().unwrap().starts_with("quarterly-picnic-"), "{other}");
    // Someone who sees every collection keeps the readable numbering.
    let admins = create_as(&app, &app.token, "general", "Merger plans", "The admin's copy.").await;
    assert_eq!(admins["slug"], "merger-plans-2");
}

/// Finding 12: lists and pages don't load what they don't show, and bulk verification is
/// bounded.
#[actix_web::test]
async fn bulk_verification_is_bounded() {
    let app = TestApp::new().await;
    let slugs: String = (0..600).map(|i| format!("slug=card-{i}&")).collect();
    let r = app
        .client
        .post(app.server.url("/verify"))
        .bearer_auth(&app.token)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body(format!("{slugs}note=x"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Finding 11: a panic in a handler is that request's 500 JSON error; the server goes on.
/// (The application's own routes should never panic; this checks the net under them, the
/// middleware `build_app` installs, with routes that panic on purpose.)
#[actix_web::test]
async fn a_panicking_handler_answers_500_json_and_the_next_request_is_served() {
    use actix_web::{App, web};
    fn boom(place: &str) -> &'static str {
        if !place.is_empty() {
            panic!("card text was cut inside a character ({place})");
        }
        "unreachable"
    }
    let server = actix_test::start(|| {
        App::new()
            .wrap(actix_web::middleware::from_fn(verity::panics::catch))
            .route("/boom", web::get().to(|| async { boom("handler") }))
            .route(
                "/blocking-boom",
                web::get().to(|| async {
                    let answer = web::block(|| boom("blocking pool")).await.map_err(verity::error::ApiError::from)?;
                    Ok::<_, verity::error::ApiError>(answer)
                }),
            )
            .route("/fine", web::get().to(|| async { "fine" }))
    });
    let client = awc::Client::default();
    for path in ["/boom", "/blocking-boom", "/boom", "/blocking-boom"] {
        let mut r = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "internal", "{path}");
        assert_eq!(body["error"]["message"], "internal error", "no details reach the client");
    }
    let mut r = client.get(server.url("/fine")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.body().await.unwrap(), "fine");
}
