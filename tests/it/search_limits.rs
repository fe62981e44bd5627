//! One URL must not stop the server: queries over the limits (length, words, parenthesis
//! nesting, range clauses) are refused with a 400 before anything expensive or recursive
//! runs, the server stays healthy after each, and queries just under the limits work.
//! Syntax the parser reads but the index cannot run is searched as words, not a 500.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use awc::http::Method;
use verity_index::limits::{MAX_NESTING, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MAX_RANGES};

use crate::support::TestApp;

/// A refusal reads the query once: well under this even in a debug build on a busy machine.
const QUICK: Duration = Duration::from_secs(2);

async fn app_with_a_card() -> TestApp {
    let app = TestApp::new().await;
    app.card("ops", "Deploy runbook", "How to deploy and roll back the payments service.", &["ops"]).await;
    app
}

/// `q` percent-encoded for a URL (spaces as `+`).
fn encoded(q: &str) -> String {
    let mut out = String::with_capacity(q.len() * 3);
    for b in q.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'(' | b')' | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Sends the search, checks it is refused quickly as too complex, and gives the message.
async fn refused(app: &TestApp, q: &str) -> String {
    let started = Instant::now();
    let r = app.get(&format!("/api/v1/search?q={}", encoded(q))).await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.error_code(), "query_too_complex");
    assert!(took < QUICK, "refusing took {took:?}");
    r.json()["error"]["message"].as_str().unwrap().to_owned()
}

/// The server still answers: health, and an ordinary search finds the card.
async fn still_healthy(app: &TestApp) {
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text());
    let r = app.get("/api/v1/search?q=deploy").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["total"], 1);
    assert_eq!(r.json()["hits"][0]["slug"], "deploy-runbook");
}

fn unknown_words(n: usize) -> String {
    // Letters only, five or more of them, found nowhere: each would get typo treatment.
    let letters = |mut i: usize| {
        let mut word = String::from("zq");
        for _ in 0..4 {
            word.push((b'a' + (i % 26) as u8) as char);
            i /= 26;
        }
        word
    };
    (0..n).map(letters).collect::<Vec<_>>().join(" ")
}

#[actix_web::test]
async fn deeply_nested_parentheses_are_refused_and_the_server_stays_healthy() {
    let app = app_with_a_card().await;
    let depth = 30_000;
    let q = format!("{}deploy{}", "(".repeat(depth), ")".repeat(depth));
    let message = refused(&app, &q).await;
    assert_eq!(
        message,
        format!("a search may nest parentheses at most {MAX_NESTING} deep; this one nests them 30,000 deep")
    );
    still_healthy(&app).await;
}

#[actix_web::test]
async fn thousands_of_range_clauses_are_refused_and_the_server_stays_healthy() {
    let app = app_with_a_card().await;
    // With a word beside them, the ranges are not dropped for having no terms.
    let q = format!("deploy {}", vec!["body:[aaa TO zzz]"; 2_500].join(" "));
    let message = refused(&app, &q).await;
    assert_eq!(message, "a search may have at most 1 range; this one has 2,500");
    still_healthy(&app).await;
}

#[actix_web::test]
async fn thousands_of_unknown_words_are_refused_and_the_server_stays_healthy() {
    let app = app_with_a_card().await;
    let message = refused(&app, &unknown_words(3_000)).await;
    assert_eq!(message, format!("a search may have at most {MAX_QUERY_WORDS} words; this one has 3,000"));
    still_healthy(&app).await;
}

#[actix_web::test]
async fn an_overlong_query_is_refused_and_the_search_page_shows_why() {
    let app = app_with_a_card().await;
    let q = format!("deploy{}", "x".repeat(MAX_QUERY_CHARS));
    let message = refused(&app, &q).await;
    assert_eq!(message, format!("a search may have at most 1,000 characters; this one has {}", "1,006"));
    // The page answers 400 with the message on a rendered page, not a crash.
    let page = app.get(&format!("/search?q={}", encoded(&q))).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.text().contains(&message[1..]), "{}", page.text());
    assert!(page.text().contains("This search is too long or too complex"), "the search page, not an error page");
    assert!(page.text().contains(&format!(r#"value="{q}""#)), "the query stays in the box to shorten");
    still_healthy(&app).await;
}

#[actix_web::test]
async fn queries_just_under_each_limit_still_search() {
    let app = app_with_a_card().await;
    let found = |r: &crate::support::Response| {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["hits"].as_array().unwrap().iter().any(|h| h["slug"] == "deploy-runbook")
    };
    let nested = format!("{}deploy{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(found(&app.get(&format!("/api/v1/search?q={}", encoded(&nested))).await), "{nested}");
    let too_deep = format!("({nested})");
    assert!(refused(&app, &too_deep).await.contains("nests them 9 deep"));

    let ranges = format!("deploy {}", ["title:[a TO z]"; MAX_RANGES].join(" OR "));
    assert!(found(&app.get(&format!("/api/v1/search?q={}", encoded(&ranges))).await), "{ranges}");
    let message = refused(&app, &format!("{ranges} OR body:>a")).await;
    assert!(message.ends_with(&format!("this one has {}", MAX_RANGES + 1)), "{message}");

    let words = format!("deploy {}", unknown_words(MAX_QUERY_WORDS - 1));
    assert!(found(&app.get(&format!("/api/v1/search?q={}", encoded(&words))).await));
    assert!(refused(&app, &format!("{words} payments")).await.contains("this one has 65"));

    // Long words: just under the length limit with few words.
    let long = format!("deploy {}", "y".repeat(MAX_QUERY_CHARS - 7));
    assert_eq!(long.chars().count(), MAX_QUERY_CHARS);
    assert!(found(&app.get(&format!("/api/v1/search?q={}", encoded(&long))).await));
    assert!(refused(&app, &format!("{long}y")).await.ends_with("this one has 1,001"));
    still_healthy(&app).await;
}

#[actix_web::test]
async fn syntax_the_index_cannot_run_is_searched_as_words() {
    let app = app_with_a_card().await;
    // `title:*` parses (cards that have a title) but needs a fast field: it was a 500.
    for q in ["title:*+deploy", "deploy+body:*"] {
        let r = app.get(&format!("/api/v1/search?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text());
        assert_eq!(r.json()["hits"][0]["slug"], "deploy-runbook", "{q}");
    }
}
