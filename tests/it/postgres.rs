//! The same application on PostgreSQL (when `VERITY_TEST_DATABASE_URL` is set): the store
//! code is shared, so these walk the main paths end to end on the second backend.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::support::{Backend, TestApp, fixtures};

async fn postgres_app(test: &str) -> Option<TestApp> {
    let app = TestApp::on(Backend::Postgres).await;
    if app.is_none() {
        eprintln!("{test}: PostgreSQL skipped; set {} to run it", verity_store::testing::TEST_DATABASE_URL);
    }
    app
}

#[actix_web::test]
async fn postgres_cards_revisions_conflicts_and_search() {
    let Some(app) = postgres_app("postgres_cards_revisions_conflicts_and_search").await else {
        return;
    };
    app.card("eng", "Escalation policy", "Page the on-call engineer.", &["incidents"]).await;
    let r = app
        .put(
            "/api/v1/cards/escalation-policy?wait=true",
            json!({"title": "Escalation policy", "body": "Page the secondary too.", "base_rev": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let conflict = app.put("/api/v1/cards/escalation-policy", json!({"title": "x", "body": "y", "base_rev": 1})).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    let revs = app.get("/api/v1/cards/escalation-policy/revisions").await.json();
    assert_eq!(revs["revisions"].as_array().unwrap().len(), 2);
    let hits = app.get("/api/v1/search?q=secondary").await.json();
    assert_eq!(hits["hits"][0]["slug"], "escalation-policy");
}

#[actix_web::test]
async fn postgres_import_and_status_filters() {
    let Some(app) = postgres_app("postgres_import_and_status_filters").await else {
        return;
    };
    let report = app.import(&fixtures().join("kb")).await;
    assert_eq!(report.created, 5);
    assert_eq!(app.get("/api/v1/cards?status=stale").await.json()["total"], 1);
    assert_eq!(app.get("/api/v1/search?status=verified").await.json()["total"], 1);
    assert_eq!(app.import(&fixtures().join("kb")).await.unchanged, 5);
}

#[actix_web::test]
async fn postgres_nul_characters_are_refused_not_a_500() {
    let Some(app) = postgres_app("postgres_nul_characters_are_refused_not_a_500").await else { return };
    app.card("eng", "Exists", "x", &[]).await;
    let r = app.post("/api/v1/cards", json!({"title": "Nul\u{0}title", "body": "x", "collection": "eng"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call(
            awc::http::Method::POST,
            "/api/v1/auth/login",
            Some(json!({"username": "ad\u{0}min", "password": "x"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.post("/api/v1/cards/exists/verification-requests", json!({"comment": "why\u{0}"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = app.get("/api/v1/cards/nul%00slug").await;
    assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::UNPROCESSABLE_ENTITY, "{}", r.status);
}
