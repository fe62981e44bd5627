//! Typo tolerance and completions decide from what the person searching may see: a word
//! that only hidden cards have is, for them, a word no card has.

use actix_web::http::StatusCode;
use awc::http::Method;
use serde_json::json;
use verity_core::Role;

use crate::support::TestApp;

/// The set-up: `secret` admits only the admin and holds "Merger plans"; `vera`
/// is a viewer. Gives vera's token.
async fn secret_collection(app: &TestApp, secret_body: &str) -> String {
    app.card("secret", "Merger plans", secret_body, &["board"]).await;
    let r =
        app.put("/api/v1/collections/secret/access", json!({"rules": [{"user": "admin", "level": "manage"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    app.user("vera", Role::Viewer).await
}

async fn total(app: &TestApp, q: &str, token: &str) -> u64 {
    let r = app.call(Method::GET, &format!("/api/v1/search?q={q}"), None, Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["total"].as_u64().unwrap()
}

#[actix_web::test]
async fn a_word_only_a_hidden_card_has_gets_the_typo_matches_of_a_word_that_exists_nowhere() {
    let app = TestApp::new().await;
    let vera = secret_collection(&app, "The clandestine merger closes in March.").await;
    // A word one edit from both guesses, in a card vera may read (any editor can plant one).
    app.card("general", "Project names", "Codename clandestina for the offsite.", &[]).await;
    let hidden_word = total(&app, "clandestine+-qqqq", &vera).await;
    let nowhere = total(&app, "clandestino+-qqqq", &vera).await;
    assert_eq!(hidden_word, nowhere, "the totals tell vera whether `clandestine` exists");
    assert_eq!(nowhere, 1, "both find the open card as a typo match");
    // The admin, who may read the secret card, finds it as written.
    assert_eq!(total(&app, "clandestine+-qqqq", &app.token).await, 1);
}

#[actix_web::test]
async fn a_visible_word_is_completed_however_many_hidden_words_start_the_same_way() {
    let app = TestApp::new().await;
    // 70 continuations of "zeta" in the hidden card, as common as the visible one and
    // before it in order: the 64 completions used to be all hidden ones.
    let hidden_words: Vec<String> = (1..=70).map(|i| format!("zetaalpha{i:02}")).collect();
    let vera = secret_collection(&app, &hidden_words.join(" ")).await;
    app.card("general", "Greek letters", "The zetavisible card.", &[]).await;
    let r = app.call(Method::GET, "/api/v1/search?q=zeta&instant=true", None, Some(&vera)).await;
    let hits: Vec<String> =
        r.json()["hits"].as_array().unwrap().iter().map(|h| h["slug"].as_str().unwrap().to_owned()).collect();
    assert_eq!(hits, vec!["greek-letters"]);
    assert!(!r.text().contains("zetaalpha"), "{}", r.text());
}
