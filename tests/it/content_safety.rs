//! The content folder under attack: symlinks planted where the write-back writes, the
//! archive moves or the rescan reads, and files that are not files. Each test runs the
//! real app over a real folder, makes the change through the API, and checks that
//! nothing outside the folder changed, the problem is listed on `/api/v1/sync`, and the
//! edit is still the card's head.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

const DEADLINE: Duration = Duration::from_secs(5);

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

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

/// Waits for everything queued so far (write-backs, archives), then a rescan.
async fn settle(app: &TestApp) {
    let sync = app.state.sync.as_ref().unwrap();
    std::thread::sleep(verity_content::DEBOUNCE * 2);
    let ticket = sync.rescan();
    assert!(sync.wait(ticket, DEADLINE).await, "the sync thread answers");
}

/// The reason `/api/v1/sync` gives for `path`, if it lists it.
async fn problem(app: &TestApp, path: &str) -> Option<String> {
    let status = app.get("/api/v1/sync").await.json();
    status["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == path)
        .map(|p| p["reason"].as_str().unwrap().to_owned())
}

async fn edit(app: &TestApp, slug: &str, body: &str) {
    let c = card(app, slug).await.unwrap();
    let r = app
        .put(&format!("/api/v1/cards/{slug}"), json!({"title": c["title"], "body": body, "base_rev": c["rev"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Finding 2: `content/.welcome.md.verity-tmp -> data/jwt-secret` made the next edit of
/// `welcome` write the card into the JWT secret (and the link became `welcome.md`).
#[actix_web::test]
async fn a_planted_temp_file_link_does_not_let_an_edit_overwrite_the_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "welcome.md", "# Welcome\n\nHello.\n");
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "welcome").await).await;
    let secret_file = app.data_dir().join("jwt-secret");
    let secret = std::fs::read(&secret_file).expect("the app keeps its JWT secret in the data dir");
    symlink(&secret_file, dir.path().join(".welcome.md.verity-tmp")).unwrap();

    edit(&app, "welcome", "# Welcome\n\nHello, edited.\n").await;
    let file = dir.path().join("welcome.md");
    eventually("the file to be rewritten", async || {
        std::fs::read_to_string(&file).ok().filter(|t| t.contains("Hello, edited."))
    })
    .await;
    settle(&app).await;

    assert_eq!(std::fs::read(&secret_file).unwrap(), secret, "the secret is untouched, byte for byte");
    assert!(!is_symlink(&file), "welcome.md is still a regular file");
    assert!(is_symlink(&dir.path().join(".welcome.md.verity-tmp")), "the planted link is left for a person");
    let reason = problem(&app, ".welcome.md.verity-tmp").await.expect("the planted link is reported");
    assert!(reason.contains("named like Verity's own files"), "{reason}");
    assert_eq!(card(&app, "welcome").await.unwrap()["body"], "# Welcome\n\nHello, edited.\n");
    // The folder holds no temporary file of ours afterwards.
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, vec![".welcome.md.verity-tmp", "welcome.md"]);
}

/// Finding 2: a collection folder that is a link (`content/ops -> /elsewhere`) made a
/// card created in the app in `ops` a file outside the content folder.
#[actix_web::test]
async fn a_symlinked_collection_folder_is_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "paging.md", "# Paging\n");
    write(dir.path(), "welcome.md", "# Welcome\n");
    symlink(outside.path(), dir.path().join("ops")).unwrap();
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "welcome").await).await;
    app.post("/api/v1/collections", json!({"slug": "ops", "name": "Ops"})).await;

    let made = app
        .post("/api/v1/cards", json!({"title": "Disk full", "body": "Free space first.\n", "collection": "ops"}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    settle(&app).await;

    let mut outside_names: Vec<String> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    outside_names.sort();
    assert_eq!(outside_names, vec!["paging.md"], "nothing written outside the folder");
    assert_eq!(std::fs::read_to_string(outside.path().join("paging.md")).unwrap(), "# Paging\n");
    assert!(card(&app, "ops-paging").await.is_none(), "nor read through the link");
    let reason = problem(&app, "ops").await.expect("the symlinked folder is reported");
    assert!(reason.contains("symlinked folder"), "{reason}");
    assert_eq!(card(&app, "disk-full").await.unwrap()["body"], "Free space first.\n", "the card is kept");
}

/// Finding 2: archiving moved the file into `.verity-archive/`, and a link there moved
/// the card's file out of the folder.
#[actix_web::test]
async fn archiving_through_a_symlinked_archive_folder_is_refused_and_the_card_stays_archived() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/old.md", "# Old\n\nRetired process.\n");
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "ops-old").await).await;
    symlink(outside.path(), dir.path().join(".verity-archive")).unwrap();

    let r = app.call(awc::http::Method::DELETE, "/api/v1/cards/ops-old", None, Some(&app.token)).await;
    assert_eq!(r.status, StatusCode::OK);
    settle(&app).await;

    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing moved or made outside");
    assert_eq!(std::fs::read_to_string(dir.path().join("ops/old.md")).unwrap(), "# Old\n\nRetired process.\n");
    let reason = problem(&app, "ops/old.md").await.expect("the refused move is reported");
    assert!(reason.contains("`.verity-archive` is a symlink"), "{reason}");
    assert!(problem(&app, ".verity-archive").await.is_some(), "and so is the link");
    settle(&app).await;
    assert!(card(&app, "ops-old").await.is_none(), "the file left in place does not bring the card back");

    // Once the link is gone, the next rescan finishes the move.
    std::fs::remove_file(dir.path().join(".verity-archive")).unwrap();
    settle(&app).await;
    let aside = dir.path().join(".verity-archive/ops/old.md");
    assert_eq!(std::fs::read_to_string(&aside).unwrap(), "# Old\n\nRetired process.\n");
    assert!(!dir.path().join("ops/old.md").exists());
    assert!(problem(&app, "ops/old.md").await.is_none(), "the problem is gone with the link");
    assert!(card(&app, "ops-old").await.is_none());
}

/// Finding 2: a card whose file is a link (to another file inside the folder) has its
/// link refused on write-back, not replaced or written through.
#[actix_web::test]
async fn an_edit_of_a_card_whose_file_is_a_symlink_is_kept_and_the_link_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/real.md", "# Real\n\nThe real text.\n");
    symlink("real.md", dir.path().join("ops/alias.md")).unwrap();
    let app = TestApp::syncing(dir.path()).await;
    eventually("the initial scan", async || card(&app, "ops-alias").await).await;

    edit(&app, "ops-alias", "# Real\n\nEdited through the alias.\n").await;
    settle(&app).await;

    let alias = dir.path().join("ops/alias.md");
    assert!(is_symlink(&alias), "the link is not replaced");
    assert_eq!(std::fs::read_to_string(dir.path().join("ops/real.md")).unwrap(), "# Real\n\nThe real text.\n");
    let reason = problem(&app, "ops/alias.md").await.expect("the refused write is reported");
    assert!(reason.contains("`ops/alias.md` is a symlink") && reason.contains("keeps its edits"), "{reason}");
    assert_eq!(card(&app, "ops-alias").await.unwrap()["body"], "# Real\n\nEdited through the alias.\n");
}

/// Finding 8: the rescan read every file whole before checking it, so `zero.md ->
/// /dev/zero` read until memory ran out and a FIFO blocked the sync thread for good.
#[actix_web::test]
async fn special_files_in_the_content_folder_are_skipped_promptly_and_the_rest_syncs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ops/good.md", "# Good\n");
    symlink("/dev/zero", dir.path().join("zero.md")).unwrap();
    let made = std::process::Command::new("mkfifo").arg(dir.path().join("ops/pipe.md")).status().unwrap();
    assert!(made.success(), "mkfifo");
    let app = TestApp::syncing(dir.path()).await;
    eventually("the good file", async || card(&app, "ops-good").await).await;
    // A new good file after them still arrives: the sync thread is not stuck.
    write(dir.path(), "ops/later.md", "# Later\n");
    eventually("a later file", async || card(&app, "ops-later").await).await;
    settle(&app).await;

    assert!(problem(&app, "zero.md").await.is_some_and(|r| r.contains("outside")));
    assert!(problem(&app, "ops/pipe.md").await.is_some_and(|r| r.contains("not a regular file")));
    assert_eq!(app.get("/api/v1/cards?limit=100").await.json()["total"], 2);
}

mod diffs {
    use proptest::prelude::*;
    use verity::diff;
    use verity_checks::texts::unicode_lines;

    /// The lines of one side of a diff, as the texts of their segments.
    fn side(lines: &[diff::Line], ops: [&str; 2]) -> Vec<String> {
        lines
            .iter()
            .filter(|l| ops.contains(&l.op))
            .map(|l| l.segments.iter().map(|s| s.text.as_str()).collect())
            .collect()
    }

    /// The lines of a text without their endings: `\n`, `\r\n`, or a `\r` alone (as in
    /// CommonMark, and as the diff splits them).
    fn lines_of(text: &str) -> Vec<String> {
        let mut lines = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
            lines.push(rest[..end].to_owned());
            let ending = if rest[end..].starts_with("\r\n") { 2 } else { 1 };
            rest = rest.get(end + ending..).unwrap_or("");
        }
        lines
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Random Unicode revisions: no panic, a text against itself has no changes, and
        /// each side of a diff reads back as its text, character for character.
        #[test]
        fn diffs_of_unicode_texts_keep_every_character(old in unicode_lines(), new in unicode_lines()) {
            let (same, stats) = diff::lines(&old, &old);
            prop_assert_eq!(stats, diff::Stats::default());
            prop_assert!(same.iter().all(|l| l.op == "equal" && l.segments.iter().all(|s| !s.changed)));
            let (lines, stats) = diff::lines(&old, &new);
            prop_assert_eq!(side(&lines, ["equal", "delete"]), lines_of(&old));
            prop_assert_eq!(side(&lines, ["equal", "insert"]), lines_of(&new));
            prop_assert_eq!(stats.deletions, lines.iter().filter(|l| l.op == "delete").count());
        }
    }
}

/// Two rewrites of a long card (about 1 MB each): the editor's three-way merge took 47 s
/// inside the write transaction (every other write waited for it), and the diff of the
/// two revisions 227 s on a server thread. Now the merge is a conflict at once and the
/// diff stops refining after a second.
#[actix_web::test]
async fn long_rewrites_merge_and_diff_in_bounded_time() {
    let app = TestApp::new().await;
    let text = |side: &str| -> String { (0..30_000).map(|i| format!("line {side} {i} of a long card\n")).collect() };
    let made = app.card("ops", "Long", &text("a"), &[]).await;
    let slug = made["slug"].as_str().unwrap().to_owned();
    let save = |body: String| json!({"title": "Long", "body": body, "base_rev": 1});
    let r = app.put(&format!("/api/v1/cards/{slug}"), save(text("b"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let started = Instant::now();
    let r = app.put(&format!("/api/v1/cards/{slug}"), save(text("c"))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(10), "the merge took {:?}", started.elapsed());

    let started = Instant::now();
    let r = app.get(&format!("/api/v1/cards/{slug}/diff?from=1&to=2")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(10), "the diff took {:?}", started.elapsed());
    let stats = &r.json()["stats"];
    assert_eq!((stats["deletions"].as_u64(), stats["insertions"].as_u64()), (Some(30_000), Some(30_000)));
}
