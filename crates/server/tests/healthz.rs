//! `/healthz` on the real binary: 200 while the database answers, 503 when it does not,
//! and how far the index lags behind the database's change log.

mod support;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use support::{Backend, Site};
use verity_store::cards::{self, CardEdit};
use verity_store::{Store, StoreError};

/// Runs SQL on the server's database beside it.
fn execute(store: &Store, sql: &str) {
    store.write(|c| c.batch_execute(sql).map_err(StoreError::from)).unwrap();
}

fn store_of(site: &Site) -> Store {
    let url = site.database_url.clone().unwrap_or_else(|| site.data_dir().join("verity.db").display().to_string());
    Store::open(&url).unwrap()
}

/// Edits the shipped welcome card in the database behind the server's back: the server
/// is not told, so only the indexer's polling finds the change.
fn edit_behind_its_back(store: &Store, body: &str) -> i64 {
    store
        .write(|c| {
            let card = cards::by_slug(c, "welcome")?;
            let edit = CardEdit {
                title: card.title.clone(),
                body: body.into(),
                tags: card.tags.clone(),
                base_rev: Some(card.head_rev),
                author: "admin".into(),
                message: "edited elsewhere".into(),
                by_verifier: true,
                meta: None,
                source_path: None,
                collection_id: None,
            };
            cards::edit(c, card.id, edit, chrono::Utc::now())
        })
        .unwrap();
    store.read(verity_store::changes::last_seq).unwrap()
}

fn reports_the_index_lag(backend: Backend) {
    let Some(site) = Site::new(backend, "reports_the_index_lag") else { return };
    std::fs::write(site.content().join("welcome.md"), "# Welcome\n\nStart here.\n").unwrap();
    let server = site.start();
    assert!(server.wait_caught_up(Duration::from_secs(60)));
    let (status, health) = server.healthz().unwrap();
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert_eq!(health["index"]["lag"], 0);
    assert_eq!(health["index"]["applied_seq"], health["index"]["latest_seq"]);

    // The indexer looks for changes from elsewhere every 2 s: right after such a change
    // the index lags (tried a few times, in case its poll came just in between).
    let store = store_of(&site);
    let mut seen = Vec::new();
    for attempt in 0..3 {
        let latest = edit_behind_its_back(&store, &format!("Start here, edit {attempt}."));
        let health = server.healthz().unwrap().1;
        assert_eq!(health["index"]["latest_seq"], latest, "{health}");
        let applied = health["index"]["applied_seq"].as_i64().unwrap();
        assert_eq!(health["index"]["lag"], latest - applied, "{health}");
        seen.push(latest - applied);
        if latest > applied {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(seen.iter().any(|&lag| lag > 0), "never saw a lag: {seen:?}");
    // Once the indexer polled, the lag is back to 0.
    assert!(server.wait_caught_up(Duration::from_secs(30)));
    let health = server.healthz().unwrap().1;
    assert_eq!(health["index"]["applied_seq"], store.read(verity_store::changes::last_seq).unwrap(), "{health}");
}

fn answers_503_while_the_database_fails(backend: Backend) {
    let Some(site) = Site::new(backend, "answers_503_while_the_database_fails") else { return };
    let server = site.start();
    let store = store_of(&site);
    // The change log gone: what /healthz reads fails as it would with the database down.
    execute(&store, "ALTER TABLE changes RENAME TO changes_away");
    let (status, health) = server.healthz().unwrap();
    execute(&store, "ALTER TABLE changes_away RENAME TO changes");
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "unavailable");
    assert_eq!(health["database"], "unavailable");
    assert!(health["index"]["applied_seq"].is_i64(), "{health}");
    assert_eq!(server.healthz().unwrap().0, 200, "healthy again");
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
}

#[test]
fn healthz_reports_the_index_lag_on_sqlite() {
    reports_the_index_lag(Backend::Sqlite);
}

#[test]
fn healthz_reports_the_index_lag_on_postgres() {
    reports_the_index_lag(Backend::Postgres);
}

#[test]
fn healthz_answers_503_while_the_database_fails_on_sqlite() {
    answers_503_while_the_database_fails(Backend::Sqlite);
}

#[test]
fn healthz_answers_503_while_the_database_fails_on_postgres() {
    answers_503_while_the_database_fails(Backend::Postgres);
}
