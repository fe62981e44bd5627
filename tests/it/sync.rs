//! The content folder as a live, two-way source, driven through a real watcher over a
//! temporary folder. Waits are bounded polls, never fixed sleeps (except to show that
//! nothing happens).

use std::path::Path;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use serde_json::{Value, json};
use verity_store::cards;

use crate::support::TestApp;

const DEADLINE: Duration = Duration::from_secs(5);

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Polls until `check` gives `Some`, for at most `DEADLINE` (the bound is 2 s of
/// work; the margin is for a loaded CI machine).
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn card(app: &TestApp, slug: &str) -> Option<Value> {
    let r = app.get(&format!("/api/v1/cards/{slug}")).await;
    (r.status == StatusCode::OK).then(|| r.json())
}

async fn revisions(app: &TestApp, slug: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/cards/{slug}/revisions")).await.json()["revisions"].as_array().unwrap().clone()
}

/// Runs a rescan and waits for it: everything queued before it is done too.
async fn settle(app: &TestApp) {
    let sync = app.state.sync.as_ref().unwrap();
    std::thread::sleep(verity_content::DEBOUNCE * 2); // let a pending watcher event arrive
    let ticket = sync.rescan();
    assert!(sync.wait(ticket, DEADLINE).await);
}

#[actix_web::test]
async fn files_created_changed_moved_and_deleted_on_disk_reach_the_cards() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/paging.md", "---\ntitle: Paging\nverifier: mei\n---\nPage the on-call.\n");
    let app = TestApp::syncing(dir.path()).await;
    let first = eventually("the initial scan", async || card(&app, "ops-paging").await).await;
    assert_eq!(first["source_path"], "ops/paging.md");

    // Created.
    write(dir.path(), "ops/backups.md", "# Backups\n\nNightly at 02:00.\n");
    let created = eventually("a new file", async || card(&app, "ops-backups").await).await;
    assert_eq!((created["title"].as_str(), created["collection"].as_str()), (Some("Backups"), Some("ops")));
    eventually("the new card in search", async || {
        (app.get("/api/v1/search?q=nightly").await.json()["hits"][0]["slug"] == "ops-backups").then_some(())
    })
    .await;

    // Changed: a revision by file-sync.
    write(dir.path(), "ops/backups.md", "# Backups\n\nNightly at 03:00 now.\n");
    let changed = eventually("a change", async || card(&app, "ops-backups").await.filter(|c| c["rev"] == 2)).await;
    assert_eq!(changed["body"], "# Backups\n\nNightly at 03:00 now.\n");
    let revs = revisions(&app, "ops-backups").await;
    assert_eq!((revs[0]["author"].as_str(), revs[0]["message"].as_str()), (Some("file-sync"), Some("changed on disk")));

    // Moved to another folder: the same card, new path and collection, history kept.
    std::fs::create_dir_all(dir.path().join("runbooks")).unwrap();
    std::fs::rename(dir.path().join("ops/backups.md"), dir.path().join("runbooks/backups.md")).unwrap();
    let moved = eventually("a move", async || {
        card(&app, "ops-backups").await.filter(|c| c["source_path"] == "runbooks/backups.md")
    })
    .await;
    assert_eq!(moved["collection"], "runbooks");
    assert_eq!(revisions(&app, "ops-backups").await.len(), 2, "history kept");
    assert_eq!(app.get("/api/v1/cards?limit=100").await.json()["total"], 2, "no duplicate");

    // Deleted: archived, history kept.
    std::fs::remove_file(dir.path().join("ops/paging.md")).unwrap();
    eventually("a delete", async || card(&app, "ops-paging").await.is_none().then_some(())).await;
    let archived = app.state.store.read(|c| cards::by_slug(c, "ops-paging")).unwrap();
    assert!(archived.archived_at.is_some());
    assert_eq!(app.state.store.read(|c| cards::revisions(c, archived.id)).unwrap().len(), 1);
    eventually("the archived card to leave search", async || {
        (app.get("/api/v1/search?q=on-call").await.json()["total"] == 0).then_some(())
    })
    .await;

    // The file comes back: so does the card.
    write(dir.path(), "ops/paging.md", "---\ntitle: Paging\nverifier: mei\n---\nPage the on-call, then the lead.\n");
    eventually("a file coming back", async || card(&app, "ops-paging").await).await;
}

#[actix_web::test]
async fn edits_in_the_app_rewrite_the_file_without_an_echo_and_keep_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/paging.md", "---\nzeta: 1\ntitle: Paging\nslack_channel: '#ops'\n---\nPage the on-call.\n");
    let app = TestApp::syncing(dir.path()).await;
    let c = eventually("the initial scan", async || card(&app, "ops-paging").await).await;
    let r = app.put("/api/v1/cards/ops-paging", json!({"title": "Paging", "body": "Page the on-call, then the lead.\n", "base_rev": c["rev"], "tags": ["oncall"]})).await;
    assert_eq!(r.status, StatusCode::OK);
    let path = dir.path().join("ops/paging.md");
    let text = eventually("the file to be rewritten", async || {
        std::fs::read_to_string(&path).ok().filter(|t| t.contains("then the lead"))
    })
    .await;
    assert_eq!(
        text,
        "---\ntitle: Paging\ntags:\n- oncall\nverify_every: 3m\nzeta: 1\nslack_channel: '#ops'\n---\nPage the on-call, then the lead.\n"
    );
    settle(&app).await;
    assert_eq!(revisions(&app, "ops-paging").await.len(), 2, "the watcher saw its own write: no echo revision");
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("ops"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["paging.md"]);

    // Verifying rewrites the front matter too.
    app.post("/api/v1/cards/ops-paging/verify", json!({})).await;
    eventually("the verification in the file", async || {
        std::fs::read_to_string(&path).ok().filter(|t| t.contains("verified_by: admin"))
    })
    .await;
}

#[actix_web::test]
async fn a_card_made_in_the_app_in_a_synced_collection_gets_a_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/paging.md", "# Paging\n");
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "ops-paging").await).await;
    let made = app
        .post("/api/v1/cards", json!({"title": "Disk full", "body": "Free space first.\n", "collection": "ops"}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let file = dir.path().join("ops/disk-full.md");
    let text = eventually("the new file", async || std::fs::read_to_string(&file).ok()).await;
    assert!(text.starts_with("---\ntitle: Disk full\n") && text.ends_with("---\nFree space first.\n"), "{text}");
    settle(&app).await;
    assert_eq!(
        app.get("/api/v1/cards?limit=100").await.json()["total"],
        2,
        "the new file is the same card, not a second one"
    );
    // A collection without a folder stays in the database only.
    app.post("/api/v1/collections", json!({"slug": "elsewhere", "name": "Elsewhere"})).await;
    app.post("/api/v1/cards", json!({"title": "Not on disk", "body": "x", "collection": "elsewhere"})).await;
    settle(&app).await;
    assert!(!dir.path().join("elsewhere").exists());
}

/// Sets up "both changed since the last sync": an edit that reached the database but
/// not the file (another server process, or a failed write), then a change on disk.
async fn diverge(app: &TestApp, dir: &Path, app_body: &str, disk_body: &str) {
    let card = app.state.store.read(|c| cards::by_slug(c, "ops-steps")).unwrap();
    let edit = cards::CardEdit {
        title: card.title.clone(),
        body: app_body.into(),
        tags: card.tags.clone(),
        base_rev: Some(card.head_rev),
        author: "admin".into(),
        message: "edited in the app".into(),
        by_verifier: true,
        meta: None,
        source_path: None,
        collection_id: None,
    };
    app.state.store.write(|c| cards::edit(c, card.id, edit, chrono::Utc::now())).unwrap();
    write(dir, "ops/steps.md", &format!("---\ntitle: Steps\n---\n{disk_body}"));
}

const BASE: &str = "Step one: look.\nStep two: think.\nStep three: act.\n";

#[actix_web::test]
async fn separate_edits_on_disk_and_in_the_app_are_merged() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/steps.md", &format!("---\ntitle: Steps\n---\n{BASE}"));
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "ops-steps").await).await;
    diverge(&app, dir.path(), &BASE.replace("look", "look around"), &BASE.replace("act", "act fast")).await;
    let merged = eventually("the merge", async || {
        card(&app, "ops-steps").await.filter(|c| c["body"].as_str().unwrap().contains("fast"))
    })
    .await;
    assert_eq!(merged["body"], "Step one: look around.\nStep two: think.\nStep three: act fast.\n");
    let file = dir.path().join("ops/steps.md");
    eventually("the merged file", async || {
        std::fs::read_to_string(&file).ok().filter(|t| t.contains("look around") && t.contains("act fast"))
    })
    .await;
    assert!(!app.state.store.read(|c| cards::by_slug(c, "ops-steps")).unwrap().sync_conflict);
}

#[actix_web::test]
async fn overlapping_edits_keep_both_versions_and_flag_the_card() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/steps.md", &format!("---\ntitle: Steps\n---\n{BASE}"));
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "ops-steps").await).await;
    let app_text = BASE.replace("think", "think twice");
    let disk_text = BASE.replace("think", "ask a colleague");
    diverge(&app, dir.path(), &app_text, &disk_text).await;
    let flagged = eventually("the conflict", async || {
        let card = app.state.store.read(|c| cards::by_slug(c, "ops-steps")).unwrap();
        card.sync_conflict.then_some(card)
    })
    .await;
    assert_eq!(flagged.body, app_text, "the app's version is the head");
    let revs = app.state.store.read(|c| cards::revisions(c, flagged.id)).unwrap();
    assert!(revs.iter().any(|r| r.body == disk_text && r.author == "file-sync"), "the disk version is a revision");
    assert!(revs.iter().any(|r| r.body == BASE), "and the base is still there");
    let file = dir.path().join("ops/steps.md");
    eventually("the file to hold the head", async || {
        std::fs::read_to_string(&file).ok().filter(|t| t.contains("think twice"))
    })
    .await;
}

#[actix_web::test]
async fn bad_files_are_reported_and_skipped_and_the_watcher_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.md", "# Secret\n");
    write(dir.path(), "ops/good.md", "# Good\n");
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "ops-good").await).await;

    std::fs::write(dir.path().join("ops/binary.md"), [0xff, 0xfe, 0x00]).unwrap();
    write(dir.path(), "ops/broken.md", "---\ntitle: [oops\n---\n");
    write(dir.path(), "ops/huge.md", &"x".repeat(verity_core::max_card_bytes() + 10));
    write(dir.path(), "ops/dots..md", "# Dots\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("secret.md"), dir.path().join("ops/link.md")).unwrap();
    write(dir.path(), "ops/after.md", "# After the bad ones\n");
    eventually("the good file after the bad ones", async || card(&app, "ops-after").await).await;
    settle(&app).await;

    let status = app.get("/api/v1/sync").await.json();
    let problems: Vec<(String, String)> = status["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap().to_owned(), p["reason"].as_str().unwrap().to_owned()))
        .collect();
    let reason = |path: &str| {
        problems
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{path} not reported: {problems:?}"))
    };
    assert!(reason("ops/binary.md").contains("UTF-8"));
    assert!(reason("ops/broken.md").contains("YAML"));
    assert!(reason("ops/huge.md").contains("limited"));
    assert!(reason("ops/dots..md").contains(".."));
    #[cfg(unix)]
    assert!(reason("ops/link.md").contains("outside"));
    assert_eq!(app.get("/api/v1/cards?limit=100").await.json()["total"], 2, "only the good files are cards");
    assert!(app.get("/admin/sync").await.text().contains("ops/broken.md"), "the admin page lists them");
}

#[actix_web::test]
async fn archiving_a_card_moves_its_file_aside_and_unarchiving_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/old.md", "# Old\n\nRetired process.\n");
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "ops-old").await).await;
    let r = app.call(awc::http::Method::DELETE, "/api/v1/cards/ops-old", None, Some(&app.token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let aside = dir.path().join(".verity-archive/ops/old.md");
    eventually("the file to move aside", async || aside.is_file().then_some(())).await;
    assert!(!dir.path().join("ops/old.md").exists());
    settle(&app).await;
    assert!(card(&app, "ops-old").await.is_none(), "a rescan does not revive it");
    app.post("/api/v1/cards/ops-old/unarchive", json!({})).await;
    eventually("the file to come back", async || dir.path().join("ops/old.md").is_file().then_some(())).await;
    assert!(!aside.exists());
    settle(&app).await;
    assert_eq!(revisions(&app, "ops-old").await.len(), 1, "no echo from the returning file");
}
