//! Golden queries over the shipped handbook (`content/`): what a person types, and the
//! card they are looking for. Written from what a reader wants, not from what search
//! happened to return; a ranking change that breaks one of these is a regression.

use crate::support::TestApp;

/// (query, the card that must come first, or within the first `top`).
const GOLDEN: &[(&str, &str, usize)] = &[
    // Plain words and phrases as people type them.
    ("escalation policy", "communication-escalation-policy", 1),
    ("roll back a deploy", "engineering-rolling-back-a-deploy", 1),
    ("rollback", "engineering-rolling-back-a-deploy", 1),
    ("deploy to production", "engineering-deploying-to-production", 1),
    ("tls certificate", "engineering-tls-certificate-renewal", 1),
    ("parental leave", "people-parental-leave", 1),
    ("sick", "people-sick-leave", 1),
    ("vacation", "people-time-off", 1),
    ("expenses receipts", "people-expenses", 1),
    ("lost laptop", "security-lost-or-stolen-laptop", 1),
    ("phishing email", "security-reporting-phishing", 1),
    ("password manager", "security-password-manager", 1),
    ("2fa", "security-two-factor-authentication", 1),
    ("feature flags", "engineering-feature-flags", 1),
    ("unleash", "engineering-feature-flags", 1),
    ("payments gateway timeout", "engineering-payments-gateway-timeout-runbook", 1),
    ("queue backlog", "engineering-queue-backlog-runbook", 1),
    ("public holidays", "time-zones-public-holidays-calendar", 1),
    ("overlap hours time zones", "time-zones-overlap-hours", 1),
    ("demo thursday", "meetings-weekly-demo", 1),
    ("budget for learning", "people-learning-budget", 1),
    ("slack response time", "communication-response-time-expectations", 1),
    ("sev1 incident", "engineering-incident-response", 1),
    // Questions: the stop words do not get in the way.
    ("how do I write a postmortem", "engineering-postmortems", 1),
    ("what to do when my laptop is stolen", "security-lost-or-stolen-laptop", 1),
    ("who is on call", "engineering-on-call-handbook", 3),
    // Typos and words being typed.
    ("escalaton", "communication-escalation-policy", 1),
    ("certifcate renewal", "engineering-tls-certificate-renewal", 1),
    ("compensaton bands", "people-compensation-bands", 1),
    ("laptop set", "onboarding-laptop-setup", 1),
    ("oncall handbook", "engineering-on-call-handbook", 1),
    // Identifiers, error codes and hyphenated words.
    ("E4012", "engineering-reconciliation-batch-failures", 1),
    ("e4012", "engineering-reconciliation-batch-failures", 1),
    ("statement_timeout", "engineering-database-migrations", 1),
    ("reconcile_batch", "engineering-reconciliation-batch-failures", 1),
    ("MT940", "glossary", 1),
    ("one-on-ones", "meetings-one-on-ones", 1),
    // Operators and syntax.
    ("collection:security laptop", "security-lost-or-stolen-laptop", 1),
    ("tag:runbook kafka", "engineering-queue-backlog-runbook", 1),
    ("\"first day\"", "onboarding-first-day", 1),
    ("budget -learning", "people-equipment-budget", 1),
];

#[actix_web::test]
async fn golden_queries_find_the_card_a_reader_wants() {
    let app = TestApp::new().await;
    app.import(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).await;
    let mut failures = Vec::new();
    for (query, expected, top) in GOLDEN {
        let url = format!("/api/v1/search?limit=5&q={}", verity::auth::urlencode(query));
        let j = app.get(&url).await.json();
        let slugs: Vec<&str> = j["hits"].as_array().unwrap().iter().filter_map(|h| h["slug"].as_str()).collect();
        if !slugs.iter().take(*top).any(|s| s == expected) {
            failures.push(format!("{query:?}: wanted {expected} in the first {top}, got {slugs:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden queries failed:\n{}",
        failures.len(),
        GOLDEN.len(),
        failures.join("\n")
    );
}
