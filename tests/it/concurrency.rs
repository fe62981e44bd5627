//! Concurrent editors through the API: 50 clients editing one card from the same revision
//! (half in places of their own, half all on the same line) and 50 editing a card each,
//! all at once. No 5xx; every acknowledged save is in the head and in its revision; an
//! overlapping edit gets 409 carrying the head's text (the client still has its own).

use std::rc::Rc;

use actix_web::http::StatusCode;
use serde_json::json;

use crate::support::{Backend, TestApp};

const CLIENTS: usize = 50;
/// Lines of the shared card; client `i` of the first half edits line `GAP * i`, so no two
/// of them touch neighbouring lines.
const GAP: usize = 4;

fn shared_body() -> String {
    (0..CLIENTS * GAP).map(|n| format!("line {n}: as written first")).collect::<Vec<_>>().join("\n")
}

/// Client `i`'s edit of the shared card: a line of its own for the first half, line 0 for
/// the others.
fn shared_edit(i: usize) -> (String, String) {
    let (line, text) = if i < CLIENTS / 2 {
        (GAP * (i + 1), format!("line edited by client {i}"))
    } else {
        (0, format!("first line by client {i}"))
    };
    let mut lines: Vec<String> = shared_body().lines().map(str::to_owned).collect();
    lines[line] = text.clone();
    (lines.join("\n"), text)
}

enum Outcome {
    /// Saved (possibly merged) as this revision; the client's line.
    Saved {
        rev: i64,
        line: String,
    },
    Conflict,
}

async fn editors(app: TestApp) {
    app.card("eng", "Shared runbook", &shared_body(), &[]).await;
    for i in 0..CLIENTS {
        app.card("eng", &format!("Own card {i}"), "The first text.", &[]).await;
    }
    let app = Rc::new(app);
    let mut shared = Vec::new();
    let mut own = Vec::new();
    for i in 0..CLIENTS {
        let a = app.clone();
        shared.push(actix_web::rt::spawn(async move {
            let (body, line) = shared_edit(i);
            let r = a
                .put("/api/v1/cards/shared-runbook", json!({"title": "Shared runbook", "body": body, "base_rev": 1}))
                .await;
            match r.status {
                StatusCode::OK => Outcome::Saved { rev: r.json()["rev"].as_i64().unwrap(), line },
                StatusCode::CONFLICT => {
                    let j = r.json();
                    assert_eq!(j["error"]["code"], "conflict", "{j}");
                    // The head as it was when the edit was refused: the client sees both texts.
                    let rev = j["current"]["rev"].as_i64().expect("the conflict carries the head's rev");
                    let head = a.get(&format!("/api/v1/cards/shared-runbook/revisions/{rev}")).await.json();
                    assert_eq!(j["current"]["body"], head["body"], "the conflict carries the head's text");
                    assert_ne!(j["current"]["body"].as_str(), Some(body.as_str()));
                    Outcome::Conflict
                }
                other => panic!("client {i} on the shared card: {other} {}", r.text()),
            }
        }));
        let a = app.clone();
        own.push(actix_web::rt::spawn(async move {
            let body = format!("The text of client {i}.");
            let r = a
                .put(
                    &format!("/api/v1/cards/own-card-{i}"),
                    json!({"title": format!("Own card {i}"), "body": body, "base_rev": 1}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "client {i} on its own card: {}", r.text());
            body
        }));
    }
    let mut saved = Vec::new();
    let mut conflicts = 0;
    for handle in shared {
        match handle.await.expect("a client panicked") {
            Outcome::Saved { rev, line } => saved.push((rev, line)),
            Outcome::Conflict => conflicts += 1,
        }
    }
    for (i, handle) in own.into_iter().enumerate() {
        let body = handle.await.expect("a client panicked");
        let card = app.get(&format!("/api/v1/cards/own-card-{i}")).await.json();
        assert_eq!((card["body"].as_str(), card["rev"].as_i64()), (Some(body.as_str()), Some(2)));
    }

    // Every acknowledged save is in its revision and in the head; one revision per save.
    let head = app.get("/api/v1/cards/shared-runbook").await.json();
    let head_body = head["body"].as_str().unwrap();
    for (rev, line) in &saved {
        let revision = app.get(&format!("/api/v1/cards/shared-runbook/revisions/{rev}")).await.json();
        assert!(revision["body"].as_str().unwrap().contains(line.as_str()), "revision {rev} lacks {line:?}");
        assert!(head_body.contains(line.as_str()), "the head lost {line:?}");
    }
    assert_eq!(head["rev"].as_i64().unwrap(), 1 + saved.len() as i64);
    // Every client with a line of its own was merged in; of those on line 0, one won.
    assert_eq!(saved.len(), CLIENTS / 2 + 1, "saved {saved:?}");
    assert_eq!(conflicts, CLIENTS / 2 - 1);
}

#[actix_web::test]
async fn fifty_editors_of_one_card_and_fifty_of_their_own_on_sqlite() {
    editors(TestApp::new().await).await;
}

#[actix_web::test]
async fn fifty_editors_of_one_card_and_fifty_of_their_own_on_postgres() {
    let Some(app) = TestApp::on(Backend::Postgres).await else {
        eprintln!("fifty_editors…_on_postgres: PostgreSQL skipped; set {}", verity_store::testing::TEST_DATABASE_URL);
        return;
    };
    editors(app).await;
}
