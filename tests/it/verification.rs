//! Verification: status over time, who may verify, the queue, requests, reassigning,
//! reminders (idempotent across restarts), the webhook, and knowledge health.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use awc::http::Method;
use chrono::Duration;
use serde_json::{Value, json};
use verity::reminders;
use verity_core::Role;
use verity_store::health as store_health;
use verity_store::reminders as store_reminders;

use crate::support::{ClockExt, TestApp, fixtures};

async fn card_status(app: &TestApp, slug: &str) -> Value {
    app.get(&format!("/api/v1/cards/{slug}")).await.json()
}

/// A card verified by the group `sre` (members: mei), every 30 days.
async fn sre_card(app: &TestApp, title: &str) -> String {
    let slug = app.card("ops", title, "Restart the worker.", &[]).await["slug"].as_str().unwrap().to_owned();
    let _ = app.post("/api/v1/groups", json!({"name": "sre"})).await;
    let r =
        app.put(&format!("/api/v1/cards/{slug}/verification"), json!({"verifier": "sre", "verify_every": "30d"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    slug
}

#[actix_web::test]
async fn status_moves_through_every_state_with_the_clock_and_edits() {
    let app = TestApp::new().await;
    let mei = app.user("mei", Role::Editor).await;
    let bob = app.user("bob", Role::Editor).await;
    let slug = sre_card(&app, "Worker restarts").await;
    assert_eq!(app.post("/api/v1/groups/sre/members", json!({"username": "mei"})).await.status, StatusCode::CREATED);
    assert_eq!(card_status(&app, &slug).await["status"], "unverified", "never verified");

    let r = app
        .call(Method::POST, &format!("/api/v1/cards/{slug}/verify"), Some(json!({"note": "checked"})), Some(&mei))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let card = r.json();
    assert_eq!((card["status"].as_str(), card["verified_by"].as_str()), (Some("verified"), Some("mei")));
    assert_eq!(card["verified_at"], json!(app.clock.now_utc()));
    assert_eq!(card["next_verification_at"], json!(app.clock.now_utc() + Duration::days(30)));

    // 30 days: the due-soon window is 3 days (a tenth), shorter than a week.
    app.clock.advance(Duration::days(26));
    assert_eq!(card_status(&app, &slug).await["status"], "verified");
    app.clock.advance(Duration::days(1) + Duration::hours(1));
    assert_eq!(card_status(&app, &slug).await["status"], "due_soon");
    app.clock.advance(Duration::days(3));
    assert_eq!(card_status(&app, &slug).await["status"], "stale");

    // Verifying restarts the clock.
    app.call(Method::POST, &format!("/api/v1/cards/{slug}/verify"), None, Some(&mei)).await;
    assert_eq!(card_status(&app, &slug).await["status"], "verified");
    // An edit by the verifier keeps it verified; by anyone else it becomes unverified.
    let rev = card_status(&app, &slug).await["rev"].clone();
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/cards/{slug}"),
            Some(json!({"title": "Worker restarts", "body": "v2", "base_rev": rev})),
            Some(&mei),
        )
        .await;
    assert_eq!(r.json()["status"], "verified");
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/cards/{slug}"),
            Some(json!({"title": "Worker restarts", "body": "v3", "base_rev": r.json()["rev"]})),
            Some(&bob),
        )
        .await;
    assert_eq!(r.json()["status"], "unverified");
    // "Save and verify" by a verifier vouches for the new text at once, with a fresh clock.
    app.clock.advance(Duration::days(5));
    let body = json!({"title": "Worker restarts", "body": "v4", "base_rev": r.json()["rev"], "verify": true});
    let r = app.call(Method::PUT, &format!("/api/v1/cards/{slug}"), Some(body.clone()), Some(&mei)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["verified_at"].clone()),
        (Some("verified"), json!(app.clock.now_utc()))
    );
    let mut by_bob = body;
    by_bob["base_rev"] = r.json()["rev"].clone();
    let r = app.call(Method::PUT, &format!("/api/v1/cards/{slug}"), Some(by_bob), Some(&bob)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only verifiers may save and verify");
}

#[actix_web::test]
async fn only_the_verifier_a_member_of_its_group_or_an_admin_may_verify() {
    let app = TestApp::new().await;
    let mei = app.user("mei", Role::Editor).await;
    let bob = app.user("bob", Role::Editor).await;
    let vera = app.user("vera", Role::Viewer).await;
    let slug = sre_card(&app, "Paging").await;
    let verify = |token: String| {
        let path = format!("/api/v1/cards/{slug}/verify");
        let app = &app;
        async move { app.call(Method::POST, &path, Some(json!({})), Some(&token)).await }
    };
    for (who, token) in [("bob", bob.clone()), ("vera", vera.clone()), ("mei before joining", mei.clone())] {
        let r = verify(token).await;
        assert_eq!((r.status, r.error_code().as_str()), (StatusCode::FORBIDDEN, "forbidden"), "{who}");
    }
    app.post("/api/v1/groups/sre/members", json!({"username": "mei"})).await;
    assert_eq!(verify(mei).await.status, StatusCode::OK, "a group member may");
    assert_eq!(verify(app.token.clone()).await.status, StatusCode::OK, "an admin may");
    // A card verified by one person directly.
    app.put(&format!("/api/v1/cards/{slug}/verification"), json!({"verifier": "bob"})).await;
    assert_eq!(verify(bob).await.status, StatusCode::OK, "the named verifier may");
    assert_eq!(app.get("/api/v1/cards/no-such/verify").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn reassigning_checks_the_verifier_and_the_interval() {
    let app = TestApp::new().await;
    let slug = app.card("ops", "Backups", "x", &[]).await["slug"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/cards/{slug}/verification");
    let r = app.put(&path, json!({"verifier": "ghost"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"));
    let r = app.put(&path, json!({"verifier": "admin", "verify_every": "often"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.post(&format!("/api/v1/cards/{slug}/verify"), json!({})).await;
    let r = app.put(&path, json!({"verifier": "admin", "verify_every": "1y"})).await;
    assert_eq!(r.json()["verify_every"], "1y");
    assert_eq!(r.json()["next_verification_at"], json!(app.clock.now_utc() + Duration::days(365)));
    assert_eq!(r.json()["status"], "verified", "reassigning keeps the last verification");
    let bob = app.user("bob", Role::Editor).await;
    let r = app.call(Method::PUT, &path, Some(json!({"verifier": "bob"})), Some(&bob)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a stranger cannot take a card over");
}

#[actix_web::test]
async fn the_queue_lists_what_needs_me_most_overdue_first() {
    let app = TestApp::new().await;
    let mei = app.user("mei", Role::Editor).await;
    let mut slugs = Vec::new();
    for title in ["Old stale", "New stale", "Due soon", "Fine but questioned", "Fine", "Never verified"] {
        let slug = app.card("ops", title, "x", &[]).await["slug"].as_str().unwrap().to_owned();
        app.put(&format!("/api/v1/cards/{slug}/verification"), json!({"verifier": "mei", "verify_every": "30d"})).await;
        slugs.push(slug);
    }
    let verify_at = |slug: &str| {
        let path = format!("/api/v1/cards/{slug}/verify");
        let (app, mei) = (&app, &mei);
        async move { app.call(Method::POST, &path, None, Some(mei)).await }
    };
    verify_at(&slugs[0]).await;
    app.clock.advance(Duration::days(10));
    verify_at(&slugs[1]).await;
    app.clock.advance(Duration::days(10));
    for s in &slugs[2..5] {
        verify_at(s).await;
    }
    // Now 28 days after the third batch: "Due soon" etc. are inside their window? Move to
    // where the first two are stale and the third batch is due soon.
    app.clock.advance(Duration::days(28));
    // Fine: verified again just now, so it is not in the queue.
    verify_at(&slugs[4]).await;
    verify_at(&slugs[3]).await;
    let r = app
        .post(&format!("/api/v1/cards/{}/verification-requests", slugs[3]), json!({"comment": "The port changed"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let q = app.call(Method::GET, "/api/v1/verification/queue", None, Some(&mei)).await.json();
    let order: Vec<&str> = q["cards"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    // A question asked now comes before a card that is only due in two days.
    assert_eq!(order, vec!["Never verified", "Old stale", "New stale", "Fine but questioned", "Due soon"]);
    let statuses: Vec<&str> = q["cards"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["unverified", "stale", "stale", "verified", "due_soon"]);
    assert_eq!(q["cards"][3]["open_requests"], 1);
    // Someone else's queue is empty.
    assert_eq!(app.get("/api/v1/verification/queue").await.json()["cards"], json!([]));
}

#[actix_web::test]
async fn requests_notify_the_verifier_and_close_on_verification_or_answer() {
    let app = TestApp::new().await;
    let mei = app.user("mei", Role::Editor).await;
    let vera = app.user("vera", Role::Viewer).await;
    let slug = sre_card(&app, "Failover").await;
    app.post("/api/v1/groups/sre/members", json!({"username": "mei"})).await;
    let path = format!("/api/v1/cards/{slug}/verification-requests");
    let r = app.call(Method::POST, &path, Some(json!({"comment": "  "})), Some(&vera)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        app.call(Method::POST, &path, Some(json!({"comment": "Step 3 mentions the old region"})), Some(&vera)).await;
    assert_eq!(r.status, StatusCode::CREATED, "readers may ask");
    let first = r.json()["id"].as_i64().unwrap();
    let inbox = app.call(Method::GET, "/api/v1/notifications", None, Some(&mei)).await.json();
    assert_eq!(inbox["unread"], 1);
    assert!(inbox["notifications"][0]["body"].as_str().unwrap().contains("Step 3 mentions the old region"));

    // Answering closes one request and tells the asker.
    let answer = format!("/api/v1/cards/{slug}/verification-requests/{first}/answer");
    let r =
        app.call(Method::POST, &answer, Some(json!({"answer": "Still right: both regions work"})), Some(&vera)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only verifiers answer");
    let r =
        app.call(Method::POST, &answer, Some(json!({"answer": "Still right: both regions work"})), Some(&mei)).await;
    assert_eq!((r.status, r.json()["resolution"].as_str()), (StatusCode::OK, Some("answered")));
    assert_eq!(app.call(Method::GET, "/api/v1/notifications", None, Some(&vera)).await.json()["unread"], 1);
    assert_eq!(
        app.call(Method::POST, &answer, Some(json!({"answer": "again"})), Some(&mei)).await.status,
        StatusCode::NOT_FOUND
    );

    // Verifying closes the rest.
    app.call(Method::POST, &path, Some(json!({"comment": "Another doubt"})), Some(&vera)).await;
    app.call(Method::POST, &format!("/api/v1/cards/{slug}/verify"), None, Some(&mei)).await;
    let history = app.get(&format!("/api/v1/cards/{slug}/verifications")).await.json();
    assert!(history["requests"].as_array().unwrap().iter().all(|r| r["open"] == false));
    assert_eq!(history["requests"][0]["resolution"], "verified");
    assert_eq!(history["verifications"][0]["verified_by"], "mei");
}

#[actix_web::test]
async fn digests_go_to_each_verifier_once_even_across_restarts() {
    let app = TestApp::new().await;
    app.user("mei", Role::Editor).await;
    app.user("lucia", Role::Editor).await;
    app.import(&fixtures().join("kb")).await; // deploying: mei, due 2026-08-18; tls-renewal: mei, stale
    let slug = sre_card(&app, "Group card").await;
    for member in ["mei", "lucia"] {
        app.post("/api/v1/groups/sre/members", json!({"username": member})).await;
    }
    app.post(&format!("/api/v1/cards/{slug}/verify"), json!({})).await;

    let store = &app.state.store;
    let now = app.clock.now_utc();
    assert_eq!(reminders::send_digests(store, now, false).unwrap(), 1, "only mei has something due (tls renewal)");
    let mei = store.read(|c| store_reminders::notifications_for(c, "mei", 10)).unwrap();
    assert_eq!(mei.len(), 1);
    assert_eq!(mei[0].title, "1 card needs your verification");
    assert!(mei[0].body.contains("TLS certificate renewal"), "{}", mei[0].body);
    assert_eq!(reminders::send_digests(store, now, false).unwrap(), 0, "nothing twice");

    // A restart changes nothing: what was sent is in the database.
    let dir = app.close();
    let app = TestApp::open(dir, None).await;
    assert_eq!(reminders::send_digests(&app.state.store, now, false).unwrap(), 0);

    // 80 days on: deploying (mei) and the group card (mei and lucia) are due too.
    let later = now + Duration::days(80);
    assert_eq!(reminders::send_digests(&app.state.store, later, false).unwrap(), 2);
    let mei = app.state.store.read(|c| store_reminders::notifications_for(c, "mei", 10)).unwrap();
    assert_eq!(mei[0].title, "2 cards need your verification");
    let lucia = app.state.store.read(|c| store_reminders::notifications_for(c, "lucia", 10)).unwrap();
    assert_eq!(lucia.len(), 1);
    assert!(lucia[0].body.contains("Group card"));
}

#[actix_web::test]
async fn webhook_digests_are_posted_and_retried_with_backoff() {
    let app = TestApp::new().await;
    app.user("mei", Role::Editor).await;
    app.import(&fixtures().join("kb")).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let (c, b) = (calls.clone(), bodies.clone());
    // A receiver that fails the first time, then accepts.
    let receiver = actix_test::start(move || {
        let (c, b) = (c.clone(), b.clone());
        actix_web::App::new().route(
            "/hook",
            web::post().to(move |body: web::Json<Value>| {
                let n = c.fetch_add(1, Ordering::SeqCst);
                b.lock().unwrap().push(body.into_inner());
                async move {
                    if n == 0 { HttpResponse::InternalServerError().finish() } else { HttpResponse::Ok().finish() }
                }
            }),
        )
    });
    let url = receiver.url("/hook");
    let store = app.state.store.clone();
    let now = app.clock.now_utc();
    assert_eq!(reminders::send_digests(&store, now, true).unwrap(), 1);
    let deliver = |at| {
        let (store, url) = (store.clone(), url.clone());
        web::block(move || reminders::deliver_webhooks(&store, at, &reminders::post_json(&url)).unwrap())
    };
    assert_eq!(deliver(now).await.unwrap(), 0, "the receiver failed");
    assert_eq!(store.read(store_reminders::delivery_counts).unwrap(), (0, 0, 1));
    assert_eq!(deliver(now + Duration::seconds(10)).await.unwrap(), 0, "not before the backoff");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(deliver(now + Duration::seconds(31)).await.unwrap(), 1);
    assert_eq!(store.read(store_reminders::delivery_counts).unwrap(), (1, 0, 0));
    let body = bodies.lock().unwrap()[1].clone();
    assert_eq!(body["type"], "verification_digest");
    assert_eq!(body["verifier"], "mei");
    assert_eq!(body["cards"][0]["slug"], "engineering-tls-renewal");
    assert_eq!(body["cards"][0]["status"], "stale");
}

#[actix_web::test]
async fn a_webhook_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let app = TestApp::new().await;
    app.user("mei", Role::Editor).await;
    app.import(&fixtures().join("kb")).await;
    let store = &app.state.store;
    let mut now = app.clock.now_utc();
    reminders::send_digests(store, now, true).unwrap();
    let failing = |_: &str| -> Result<(), String> { Err("connection refused".into()) };
    for attempt in 1..=reminders::MAX_ATTEMPTS {
        reminders::deliver_webhooks(store, now, &failing).unwrap();
        now += reminders::backoff(attempt);
    }
    assert_eq!(store.read(store_reminders::delivery_counts).unwrap(), (0, 1, 0));
}

#[actix_web::test]
async fn health_counts_by_collection_and_verifier_with_history() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    verity::health::record_snapshot(&app.state.store, app.clock.now_utc() - Duration::days(1)).unwrap();
    verity::health::record_snapshot(&app.state.store, app.clock.now_utc()).unwrap();
    let h = app.get("/api/v1/health").await.json();
    assert_eq!(
        (h["total"].clone(), h["verified"].clone(), h["stale"].clone(), h["unverified"].clone()),
        (json!(5), json!(1), json!(1), json!(3))
    );
    assert_eq!(h["verified_share"], 0.2);
    let eng = h["collections"].as_array().unwrap().iter().find(|c| c["key"] == "engineering").unwrap();
    assert_eq!(
        (eng["total"].clone(), eng["stale"].clone(), eng["verified_share"].clone()),
        (json!(2), json!(1), json!(0.5))
    );
    let mei = h["verifiers"].as_array().unwrap().iter().find(|v| v["key"] == "mei").unwrap();
    assert_eq!(mei["total"], 2);
    assert_eq!(h["oldest_overdue"][0]["slug"], "engineering-tls-renewal");
    assert_eq!(h["history"].as_array().unwrap().len(), 2);
    assert_eq!(h["history"][1]["verified_share"], 0.2);
}

#[actix_web::test]
async fn the_daily_snapshot_counts_what_the_health_page_counts() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    sre_card(&app, "Group card").await;
    app.post("/api/v1/cards/ops-group-card/verify", json!({})).await;
    let store = &app.state.store;
    // The fixtures' cards and the 30-day group card go through every status over a year.
    let mut statuses_seen = [false; 4];
    for days in [0, 25, 29, 31, 60, 75, 80, 100, 400] {
        let at = app.clock.now_utc() + Duration::days(days);
        verity::health::record_snapshot(store, at).unwrap();
        let counted = verity::health::compute(store, at, &[]).unwrap().overall;
        let (_, snapshot) = store.read(|c| store_health::snapshots(c, 1)).unwrap().pop().unwrap();
        let got = [snapshot.total, snapshot.verified, snapshot.due_soon, snapshot.stale, snapshot.unverified];
        let want = [counted.total, counted.verified, counted.due_soon, counted.stale, counted.unverified];
        assert_eq!(got.map(i64::from), want.map(|n| n as i64), "{days} days on");
        for (seen, n) in statuses_seen.iter_mut().zip(&want[1..]) {
            *seen |= *n > 0;
        }
    }
    assert_eq!(statuses_seen, [true; 4], "every status was counted at some point");
}

#[actix_web::test]
async fn a_digest_lists_the_soonest_due_cards_and_counts_the_rest() {
    let app = TestApp::new().await;
    app.user("mei", Role::Editor).await;
    let dir = tempfile::tempdir().unwrap();
    let ops = dir.path().join("ops");
    std::fs::create_dir(&ops).unwrap();
    let cards = reminders::DIGEST_CARDS + 7;
    for i in 0..cards {
        // Verified on successive days a year ago: all stale, card 0 the longest.
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(i as i64);
        let front =
            format!("---\ntitle: Runbook {i:03}\nverifier: mei\nverify_every: 30d\nverified_at: {day}\n---\nSteps.\n");
        std::fs::write(ops.join(format!("runbook-{i:03}.md")), front).unwrap();
    }
    app.import(dir.path()).await;
    let store = &app.state.store;
    assert_eq!(reminders::send_digests(store, app.clock.now_utc(), true).unwrap(), 1);
    let mei = store.read(|c| store_reminders::notifications_for(c, "mei", 10)).unwrap();
    assert_eq!(mei[0].title, format!("{cards} cards need your verification"));
    let lines: Vec<&str> = mei[0].body.lines().collect();
    assert_eq!(lines.len(), reminders::DIGEST_CARDS + 1, "{}", mei[0].body);
    assert!(lines[0].starts_with("- Runbook 000 (stale since"), "soonest due first: {}", lines[0]);
    assert_eq!(lines.last().copied(), Some("- and 7 more: /verify"));
    let payload: Value = store
        .read(|c| store_reminders::due_deliveries(c, app.clock.now_utc(), 10))
        .unwrap()
        .pop()
        .map(|d| serde_json::from_str(&d.payload).unwrap())
        .unwrap();
    assert_eq!((payload["total"].clone(), payload["more"].clone()), (json!(cards), json!(7)));
    assert_eq!(payload["cards"].as_array().unwrap().len(), reminders::DIGEST_CARDS);
    assert_eq!(payload["cards"][0]["slug"], "ops-runbook-000");
    assert_eq!(reminders::send_digests(store, app.clock.now_utc(), true).unwrap(), 0, "nothing twice");
}

#[actix_web::test]
async fn verification_pages_queue_bulk_verify_health_and_inbox() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    // The admin verifies every fixture card; make them the verifier of two of them.
    for slug in ["engineering-tls-renewal", "people-time-off"] {
        app.put(&format!("/api/v1/cards/{slug}/verification"), json!({"verifier": "admin"})).await;
    }
    let page = app.get("/verify").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("TLS certificate renewal") && html.contains("Time off"), "{html}");
    assert!(
        html.contains(r#"<span class="pill" title="Cards waiting for you">2</span>"#),
        "the header counts the queue"
    );

    assert!(
        html.contains(r#"<form id="assign-people-time-off" method="post" action="/cards/people-time-off/assign">"#),
        "each row can be reassigned"
    );
    app.user("mei", Role::Editor).await;
    let res = app
        .client
        .post(app.server.url("/cards/engineering-deploying/assign"))
        .bearer_auth(&app.token)
        .send_form(&[("verifier", "mei"), ("next", "/verify")])
        .await
        .unwrap();
    assert_eq!(
        (res.status(), res.headers().get("location").unwrap().to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/verify")
    );
    let form = [("slug", "engineering-tls-renewal"), ("slug", "people-time-off"), ("note", "all checked")];
    let res = app.client.post(app.server.url("/verify")).bearer_auth(&app.token).send_form(&form).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers().get("location").unwrap(), "/verify?verified=2");
    assert_eq!(app.get("/api/v1/cards/people-time-off").await.json()["status"], "verified");
    assert!(app.get("/verify?verified=2").await.text().contains("Verified 2 cards."));

    let card = app.get("/cards/people-time-off").await.text();
    assert!(card.contains(r#"action="/cards/people-time-off/verify""#), "the verifier sees a Verify button");
    assert!(card.contains("all checked"), "the history shows the note");
    let vera = app.user("vera", Role::Viewer).await;
    let as_vera = app.call(Method::GET, "/cards/people-time-off", None, Some(&vera)).await.text();
    assert!(!as_vera.contains(r#"action="/cards/people-time-off/verify""#), "others do not");
    assert!(as_vera.contains("Request verification"));

    let res = app
        .client
        .post(app.server.url("/cards/people-time-off/request"))
        .bearer_auth(&vera)
        .send_form(&[("comment", "Is 28 days still right?")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let inbox = app.get("/notifications").await.text();
    assert!(inbox.contains("Is 28 days still right?"), "{inbox}");

    let health = app.get("/health").await;
    assert_eq!(health.status, StatusCode::OK);
    let health = health.text();
    assert!(health.contains("Knowledge health") && health.contains("By verifier"));
    verity::health::record_snapshot(&app.state.store, app.clock.now_utc()).unwrap();
    assert!(
        app.get("/health").await.text().contains("<svg class=\"chart\""),
        "the history chart is drawn on the server"
    );
}
