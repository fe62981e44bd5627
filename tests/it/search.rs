//! Search over HTTP: hits, snippets, facets, filters, status over time, write-then-read.

use actix_web::http::StatusCode;
use chrono::Duration;
use serde_json::json;

use crate::support::{TestApp, fixtures};

#[actix_web::test]
async fn a_write_with_wait_is_searchable_at_once() {
    let app = TestApp::new().await;
    app.card("eng", "Quokka handling", "The quokkafact word appears here.", &[]).await;
    let r = app.get("/api/v1/search?q=quokkafact").await.json();
    assert_eq!(r["total"], 1);
    assert_eq!(r["hits"][0]["slug"], "quokka-handling");
    // And an edit is searchable at once too, with the old words gone.
    let put = app
        .put(
            "/api/v1/cards/quokka-handling?wait=true",
            json!({"title": "Quokka handling", "body": "Now about wombatfact.", "base_rev": 1}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/search?q=quokkafact").await.json()["total"], 0);
    assert_eq!(app.get("/api/v1/search?q=wombatfact").await.json()["total"], 1);
}

#[actix_web::test]
async fn hits_carry_highlighted_snippets_and_every_facet() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    let r = app.get("/api/v1/search?q=renewal").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert!(j["took_ms"].is_number());
    let hit = &j["hits"][0];
    assert_eq!(hit["slug"], "engineering-tls-renewal");
    assert_eq!(hit["title"], "TLS certificate renewal");
    assert_eq!(hit["collection"], "engineering");
    assert_eq!(hit["tags"], json!(["runbook", "tls"]));
    assert_eq!(hit["status"], "stale");
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    assert!(hit["snippet"].as_str().unwrap().contains("<b>renew</b>"), "{}", hit["snippet"]);
    assert_eq!(j["facets"]["collection"], json!({"engineering": 1}));
    assert_eq!(j["facets"]["status"], json!({"stale": 1}));
    assert_eq!(j["facets"]["tag"], json!({"runbook": 1, "tls": 1}));
}

#[actix_web::test]
async fn filters_narrow_results_and_facets_count_them() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    let all = app.get("/api/v1/search?q=").await.json();
    assert_eq!(all["total"], 5, "browsing without words lists every card");
    assert_eq!(all["facets"]["collection"], json!({"engineering": 2, "broken": 1, "general": 1, "people": 1}));
    assert_eq!(all["facets"]["status"], json!({"verified": 1, "stale": 1, "unverified": 3}));
    let eng = app.get("/api/v1/search?collection=engineering").await.json();
    assert_eq!(eng["total"], 2);
    let runbooks = app.get("/api/v1/search?tag=runbook&status=verified").await.json();
    assert_eq!(runbooks["total"], 1);
    assert_eq!(runbooks["hits"][0]["slug"], "engineering-deploying");
    let paged = app.get("/api/v1/search?limit=2&offset=4").await.json();
    assert_eq!((paged["total"].clone(), paged["hits"].as_array().unwrap().len()), (json!(5), 1));
    let bad = app.get("/api/v1/search?status=great").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn status_in_search_follows_the_clock_without_any_write() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    let status = |j: &serde_json::Value| j["hits"][0]["status"].as_str().unwrap().to_owned();
    assert_eq!(status(&app.get("/api/v1/search?q=pipeline").await.json()), "verified");
    // deploying.md was verified on 2026-05-20 for 3 months (90 days): due 2026-08-18.
    app.clock.advance(Duration::days(75));
    assert_eq!(status(&app.get("/api/v1/search?q=pipeline").await.json()), "due_soon");
    app.clock.advance(Duration::days(10));
    assert_eq!(status(&app.get("/api/v1/search?q=pipeline").await.json()), "stale");
    assert_eq!(app.get("/api/v1/search?status=stale").await.json()["total"], 2);
    assert_eq!(app.get("/api/v1/cards?status=stale").await.json()["total"], 2, "the list agrees with search");
}

#[actix_web::test]
async fn titles_weigh_more_than_bodies_and_stems_match() {
    let app = TestApp::new().await;
    app.card("eng", "Escalation policy", "Who to call and when.", &[]).await;
    app.card("eng", "Weekly report", "Mentions escalation once, in passing.", &[]).await;
    let j = app.get("/api/v1/search?q=escalations").await.json();
    let slugs: Vec<&str> = j["hits"].as_array().unwrap().iter().map(|h| h["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, vec!["escalation-policy", "weekly-report"]);
}

#[actix_web::test]
async fn queries_the_parser_rejects_still_answer() {
    let app = TestApp::new().await;
    app.card("eng", "Escalation policy", "Who to call.", &[]).await;
    for q in ["%22unbalanced%20AND%20(%20-", "title%3A", "((((", "%5B%5D%7B%7D", "-", "*"] {
        let r = app.get(&format!("/api/v1/search?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text());
    }
    let j = app.get("/api/v1/search?q=escalation%20AND%20(").await.json();
    assert_eq!(j["total"], 1, "the understood part still searches");
}

#[actix_web::test]
async fn search_needs_a_signed_in_user() {
    let app = TestApp::new().await;
    let r = app.call(awc::http::Method::GET, "/api/v1/search?q=x", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn typos_and_unfinished_words_still_find_the_card() {
    let app = TestApp::new().await;
    app.card("eng", "Escalation policy", "Who to call when a customer is blocked.", &[]).await;
    app.card("eng", "Payments gateway timeouts", "What to do when the gateway is slow.", &[]).await;
    let first = |j: serde_json::Value| j["hits"][0]["slug"].as_str().unwrap_or_default().to_owned();
    assert_eq!(first(app.get("/api/v1/search?q=escalaton%20polcy").await.json()), "escalation-policy");
    assert_eq!(first(app.get("/api/v1/search?q=payments%20gatew").await.json()), "payments-gateway-timeouts");
}

#[actix_web::test]
async fn operators_typed_in_the_box_filter_like_parameters() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    let j = app.get("/api/v1/search?q=collection%3Aengineering%20status%3Astale").await.json();
    assert_eq!(j["total"], 1);
    assert_eq!(j["hits"][0]["slug"], "engineering-tls-renewal");
    let j = app.get("/api/v1/search?q=tag%3Aleave").await.json();
    assert_eq!(j["hits"][0]["slug"], "people-time-off");
    // The URL parameter wins over the box.
    assert_eq!(app.get("/api/v1/search?q=collection%3Apeople&collection=engineering").await.json()["total"], 2);
    assert_eq!(app.get("/api/v1/search?q=status%3Agreat").await.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn card_pages_suggest_related_cards() {
    let app = TestApp::new().await;
    app.card("ops", "Incident reviews", "Every incident gets a written review within a week.", &["incidents"]).await;
    app.card(
        "ops",
        "Incident response",
        "When an incident starts, open a channel and page the on-call.",
        &["incidents"],
    )
    .await;
    app.card("people", "Expenses", "Receipts within thirty days.", &["money"]).await;
    let html = app.get("/cards/incident-reviews").await.text();
    let related = html.split("<dt>Related</dt>").nth(1).expect("a related section");
    assert!(related.contains(r#"href="/cards/incident-response""#), "{related}");
    assert!(!related.contains("/cards/incident-reviews\""), "not itself");
}

#[actix_web::test]
async fn searches_are_logged_with_clicks_gaps_and_retention() {
    let app = TestApp::new().await;
    app.card("eng", "Escalation policy", "Who to call.", &[]).await;
    for _ in 0..2 {
        app.get("/api/v1/search?q=Escalation").await;
    }
    app.get("/api/v1/search?q=vpn%20setup").await; // finds nothing: a knowledge gap
    app.get("/api/v1/search?q=escal&instant=true").await; // typing: not logged
    app.get("/api/v1/search?q=escalation&offset=20").await; // a later page: not logged
    // From the search page, opening a result counts as a click.
    let page = app.get("/search?q=escalation").await.text();
    let link = page.split("href=\"/cards/escalation-policy?from_search=").nth(1).expect("a tracked result link");
    let id: String = link.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(app.get(&format!("/cards/escalation-policy?from_search={id}")).await.status, StatusCode::OK);

    let r = app.get("/api/v1/admin/search-analytics").await.json();
    assert_eq!((r["searches"].clone(), r["clicks"].clone()), (json!(4), json!(1)));
    assert_eq!(r["top_queries"][0], json!({"query": "escalation", "searches": 3, "clicks": 1, "results": 1}));
    assert_eq!(r["no_results"], json!([{"query": "vpn setup", "searches": 1, "clicks": 0, "results": 0}]));
    assert!(app.get("/admin/search").await.text().contains("vpn setup"));
    let viewer = app.user("vera", verity_core::Role::Viewer).await;
    let denied = app.call(awc::http::Method::GET, "/api/v1/admin/search-analytics", None, Some(&viewer)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // Retention: the scheduled round forgets searches older than 90 days.
    let everything = |app: &TestApp| {
        let since = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        app.state.store.read(|c| verity_store::search_log::report(c, since, 25)).unwrap().searches
    };
    app.clock.advance(Duration::days(60));
    verity::reminders::tick(&app.state, None).unwrap();
    assert_eq!(everything(&app), 4, "kept within the retention period");
    app.clock.advance(Duration::days(31));
    verity::reminders::tick(&app.state, None).unwrap();
    assert_eq!(everything(&app), 0, "forgotten after 90 days");
}

#[actix_web::test]
async fn identifiers_error_codes_and_chinese_or_japanese_text_are_found() {
    let app = TestApp::new().await;
    let body = "Fails with `error C2001` in builds.\n\n```cpp\nstd::vector<int> v = getElementById(id);\n```\n";
    app.card("eng", "Build failures", body, &[]).await;
    app.card("eng", "部署", "部署前请检查配置。デプロイ手順も読む。", &[]).await;
    app.card("eng", "Elements", "Every element has an id; get an element by its id.", &[]).await;
    let slugs = |j: serde_json::Value| -> Vec<String> {
        j["hits"].as_array().unwrap().iter().map(|h| h["slug"].as_str().unwrap().to_owned()).collect()
    };
    for q in ["C2001", "c2001", "std%3A%3Avector", "vector", "getElementById"] {
        assert_eq!(slugs(app.get(&format!("/api/v1/search?q={q}")).await.json())[0], "build-failures", "{q}");
    }
    for q in ["%E6%A3%80%E6%9F%A5%E9%85%8D%E7%BD%AE", "%E3%83%87%E3%83%97%E3%83%AD%E3%82%A4%E6%89%8B%E9%A0%86"] {
        assert_eq!(slugs(app.get(&format!("/api/v1/search?q={q}")).await.json()), vec!["bu-shu"], "{q}");
    }
}

#[actix_web::test]
async fn quoted_phrases_match_in_order_and_minus_excludes() {
    let app = TestApp::new().await;
    app.card("eng", "Release", "Roll back the release first.", &[]).await;
    app.card("eng", "Back office", "The release of back office tools and how to roll them out.", &[]).await;
    let total = |j: serde_json::Value| j["total"].clone();
    assert_eq!(total(app.get("/api/v1/search?q=%22roll%20back%22").await.json()), 1);
    assert_eq!(total(app.get("/api/v1/search?q=roll%20back").await.json()), 2);
    let j = app.get("/api/v1/search?q=release%20-office").await.json();
    assert_eq!((j["total"].clone(), j["hits"][0]["slug"].clone()), (json!(1), json!("release")));
    // Syntax the parser rejects searches the words instead.
    for q in ["%22unclosed%20release", "AND%20OR", "release%20title%3A", "((release"] {
        let r = app.get(&format!("/api/v1/search?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}");
        assert!(r.json()["total"].as_u64().unwrap() >= 1, "{q}: the words still find cards");
    }
}

#[actix_web::test]
async fn a_search_that_finds_little_suggests_a_correction() {
    let app = TestApp::new().await;
    app.card("eng", "Escalation policy", "Who to page and when.", &[]).await;
    let j = app.get("/api/v1/search?q=escalaton%20polcy").await.json();
    assert_eq!(j["suggestion"], "escalation policy");
    assert_eq!(app.get("/api/v1/search?q=escalation").await.json()["suggestion"], json!(null));
    let page = app.get("/search?q=escalaton%20polcy").await.text();
    assert!(page.contains("Did you mean"), "{page}");
    assert!(page.contains(r#"href="/search?q=escalation%20policy""#), "{page}");
}
