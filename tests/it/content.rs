//! Importing Markdown folders, and the index catching up after restarts.

use std::path::Path;

use verity::import::{self, Source};
use verity_store::{cards, changes};

use crate::support::{TestApp, fixtures};

fn copy_dir(from: &Path, to: &Path) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[actix_web::test]
async fn a_folder_imports_as_collections_of_cards_with_their_front_matter() {
    let app = TestApp::new().await;
    let report = app.import(&fixtures().join("kb")).await;
    assert_eq!((report.created, report.updated, report.unchanged), (5, 0, 0));
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].path, "broken/bad-yaml.md");
    assert!(report.skipped[0].reason.contains("YAML"), "{}", report.skipped[0].reason);

    let welcome = app.get("/api/v1/cards/welcome").await.json();
    assert_eq!(
        (welcome["title"].as_str(), welcome["collection"].as_str()),
        (Some("Welcome to the test handbook"), Some("general"))
    );
    let deploying = app.get("/api/v1/cards/engineering-deploying").await.json();
    assert_eq!(deploying["owner"], "lucia");
    assert_eq!(deploying["verifier"], "mei");
    assert_eq!(deploying["verify_every"], "3m");
    assert_eq!(deploying["verified_by"], "mei");
    assert_eq!(deploying["verified_at"], "2026-05-20T00:00:00Z");
    assert_eq!(deploying["next_verification_at"], "2026-08-18T00:00:00Z");
    assert_eq!(deploying["source_path"], "engineering/deploying.md");
    assert_eq!(
        app.get("/api/v1/cards/engineering-tls-renewal").await.json()["status"],
        "stale",
        "verified long ago: stale at once"
    );
    assert_eq!(app.get("/api/v1/cards/people-time-off").await.json()["status"], "unverified");

    // Keys Verity does not know are kept, in order.
    let card = app.state.store.read(|c| cards::by_slug(c, "engineering-deploying")).unwrap();
    assert_eq!(card.extra, r##"{"slack_channel":"#deploys","pagerduty":["primary","secondary"]}"##);
    // Collections get their folder's name.
    let collections = app.get("/api/v1/collections").await.json();
    let names: Vec<&str> =
        collections["collections"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Broken", "Engineering", "General", "People"]);
}

#[actix_web::test]
async fn reimporting_unchanged_files_does_nothing_and_a_changed_file_appends_a_revision() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("kb"), dir.path());
    app.import(dir.path()).await;
    let seq = app.state.store.read(changes::last_seq).unwrap();

    let again = app.import(dir.path()).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 5));
    assert_eq!(app.state.store.read(changes::last_seq).unwrap(), seq, "no change written");

    let path = dir.path().join("engineering/tls-renewal.md");
    let text = std::fs::read_to_string(&path).unwrap().replace("check the issuer logs", "page the platform team");
    std::fs::write(&path, text).unwrap();
    let third = app.import(dir.path()).await;
    assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 4));
    let revs = app.get("/api/v1/cards/engineering-tls-renewal/revisions").await.json();
    assert_eq!(revs["revisions"].as_array().unwrap().len(), 2);
    assert_eq!(revs["revisions"][0]["author"], "import");
    let hits = app.get("/api/v1/search?q=platform").await.json();
    assert_eq!(hits["hits"][0]["slug"], "engineering-tls-renewal", "the change is searchable");
}

#[actix_web::test]
async fn a_one_off_import_is_not_tied_to_its_folder() {
    let app = TestApp::new().await;
    let report =
        import::import_dir(&app.state.store, &fixtures().join("kb"), Source::OneOff, app.clock.now_utc(), &|_, _| {});
    assert_eq!(report.created, 5);
    let card = app.state.store.read(|c| cards::by_slug(c, "engineering-deploying")).unwrap();
    assert_eq!(card.source_path, None);
    let again =
        import::import_dir(&app.state.store, &fixtures().join("kb"), Source::OneOff, app.clock.now_utc(), &|_, _| {});
    assert_eq!(again.unchanged, 5, "found again by slug");
}

#[actix_web::test]
async fn a_folder_larger_than_a_batch_imports_every_good_file_and_skips_the_bad_ones() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    // More files than one transaction holds, with bad files in the first and last batch.
    for n in 0..600 {
        let folder = if n < 300 { "alpha" } else { "beta" };
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        std::fs::write(dir.path().join(format!("{folder}/note-{n:03}.md")), format!("# Note {n}\n\nText {n}.\n"))
            .unwrap();
    }
    std::fs::write(dir.path().join("alpha/note-010.md"), "---\ntitle: [oops\n---\n").unwrap();
    std::fs::write(dir.path().join("beta/note-590.md"), [0xff, 0xfe, 0x00]).unwrap();

    let calls = std::cell::RefCell::new(Vec::new());
    let report =
        import::import_dir(&app.state.store, dir.path(), Source::OneOff, app.clock.now_utc(), &|done, total| {
            calls.borrow_mut().push((done, total))
        });
    assert_eq!((report.created, report.updated, report.unchanged), (598, 0, 0));
    let skipped: Vec<&str> = report.skipped.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(skipped, vec!["alpha/note-010.md", "beta/note-590.md"]);
    assert!(report.skipped[0].reason.contains("YAML"), "{:?}", report.skipped);
    assert!(report.skipped[1].reason.contains("UTF-8"), "{:?}", report.skipped);
    let calls = calls.into_inner();
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0), "progress only moves forward");
    assert_eq!(calls.last(), Some(&(600, 600)));

    let last = app.state.store.read(|c| cards::by_slug(c, "beta-note-599")).unwrap();
    assert_eq!((last.title.as_str(), last.collection.as_str()), ("Note 599", "beta"));
    assert_eq!(app.state.store.read(changes::last_seq).unwrap(), report.last_seq);
}

use crate::support::ClockExt;

#[actix_web::test]
async fn the_index_catches_up_after_a_restart_and_rebuilds_when_lost() {
    let app = TestApp::new().await;
    app.card("eng", "Before restart", "alpha words", &[]).await;
    // Write straight to the database while no indexer is running: as if the process
    // crashed between the commit and the index update.
    let dir = app.close();
    {
        let store = verity::app::open_store(&dir.path().join("data"), None).unwrap();
        let col = store.read(|c| verity_store::collections::get(c, "eng")).unwrap();
        store
            .write(|c| {
                cards::create(
                    c,
                    cards::NewCard {
                        slug: verity_core::Slug::parse("written-while-down").unwrap(),
                        collection_id: col.id,
                        title: "Written while down".into(),
                        body: "betawords".into(),
                        tags: vec![],
                        meta: cards::CardMeta::default(),
                        author: "admin".into(),
                        message: String::new(),
                        source_path: None,
                    },
                    chrono::Utc::now(),
                )
            })
            .unwrap();
    }
    let app = TestApp::open(dir, None).await;
    let seq = app.state.store.read(changes::last_seq).unwrap();
    assert!(app.state.indexer.wait_for(seq, std::time::Duration::from_secs(30)).await);
    assert_eq!(app.get("/api/v1/search?q=betawords").await.json()["total"], 1, "caught up from the commit payload");
    assert_eq!(app.get("/api/v1/search?q=alpha").await.json()["total"], 1);

    // Lose the index entirely: it is rebuilt from the database.
    let data = app.data_dir();
    let dir = app.close();
    std::fs::remove_dir_all(data.join("index")).unwrap();
    let app = TestApp::open(dir, None).await;
    assert_eq!(app.get("/api/v1/search?q=betawords").await.json()["total"], 1);
    assert_eq!(app.get("/api/v1/search?q=").await.json()["total"], 2);
}

/// The GOV.UK developer manual (238 real pages, written by others): every page is
/// findable by its title. Runs when ../shared/corpora is present (CI and developers).
#[actix_web::test]
async fn govuk_developer_docs_are_all_findable_by_title() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/govuk-developer-docs/source");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is not here", corpus.display());
        return;
    }
    let app = TestApp::new().await;
    let report = app.import(&corpus).await;
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert!(report.created >= 238, "{report}");
    let total = app.get("/api/v1/cards?limit=1").await.json()["total"].as_u64().unwrap();
    let mut missing = Vec::new();
    let mut offset = 0;
    while offset < total {
        let page = app.get(&format!("/api/v1/cards?limit=1000&offset={offset}")).await.json();
        for card in page["cards"].as_array().unwrap() {
            let title = card["title"].as_str().unwrap();
            let q = verity::auth::urlencode(&format!("\"{}\"", title.replace('"', " ")));
            let hits = app.get(&format!("/api/v1/search?q={q}&limit=10")).await.json();
            let found = hits["hits"].as_array().unwrap().iter().any(|h| h["slug"] == card["slug"]);
            if !found {
                let plain =
                    app.get(&format!("/api/v1/search?q={}&limit=10", verity::auth::urlencode(title))).await.json();
                if !plain["hits"].as_array().unwrap().iter().any(|h| h["slug"] == card["slug"]) {
                    missing.push(title.to_owned());
                }
            }
        }
        offset += 1000;
    }
    assert!(missing.is_empty(), "{} of {total} titles not found in the top 10: {missing:?}", missing.len());
}

fn read_tree(root: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = walk(root)
        .into_iter()
        .map(|p| (p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[actix_web::test]
async fn export_writes_verification_front_matter_and_round_trips_byte_for_byte() {
    let app = TestApp::new().await;
    app.import(&fixtures().join("kb")).await;
    app.card("ops", "Made in the app", "Created through the API.", &["api"]).await;
    let first = tempfile::tempdir().unwrap();
    let written = verity::export::export_dir(&app.state.store, first.path(), &|_, _| {}).unwrap();
    assert_eq!(written, 6);
    let files = read_tree(first.path());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "broken/good-neighbour.md",
            "engineering/deploying.md",
            "engineering/tls-renewal.md",
            "ops/made-in-the-app.md",
            "people/time-off.md",
            "welcome.md"
        ]
    );
    let deploying = &files[1].1;
    assert!(
        deploying.starts_with("---\ntitle: Deploying to production\ntags:\n- deploys\n- runbook\nowner: lucia\nverifier: mei\nverify_every: 3m\nverified_at: 2026-05-20\nverified_by: mei\nslack_channel: '#deploys'\npagerduty:\n- primary\n- secondary\n---\n# Deploying to production\n"),
        "{deploying}"
    );

    // Import the export elsewhere and export again: the same bytes.
    let other = TestApp::new().await;
    let report = other.import(first.path()).await;
    assert_eq!((report.created, report.skipped.len()), (6, 0));
    assert_eq!(
        other.get("/api/v1/cards/engineering-tls-renewal").await.json()["status"],
        "stale",
        "verification survives"
    );
    let second = tempfile::tempdir().unwrap();
    verity::export::export_dir(&other.state.store, second.path(), &|_, _| {}).unwrap();
    assert_eq!(read_tree(second.path()), files);
}

#[actix_web::test]
async fn export_gives_two_cards_wanting_one_path_distinct_files_and_keeps_slugs() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ops")).unwrap();
    std::fs::write(dir.path().join("ops/deploy.md"), "# From the folder\n").unwrap();
    app.import(dir.path()).await;
    app.card("ops", "Deploy", "From the app.", &[]).await; // slug `deploy`, wants ops/deploy.md
    let out = tempfile::tempdir().unwrap();
    assert_eq!(verity::export::export_dir(&app.state.store, out.path(), &|_, _| {}).unwrap(), 2);
    let files = read_tree(out.path());
    assert_eq!(files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), vec!["ops/deploy-2.md", "ops/deploy.md"]);
    assert!(files[0].1.contains("slug: deploy\n"), "{}", files[0].1);
    let other = TestApp::new().await;
    other.import(out.path()).await;
    assert_eq!(other.get("/api/v1/cards/deploy").await.json()["body"], "From the app.", "the slug survived");
    assert_eq!(other.get("/api/v1/cards/ops-deploy").await.json()["body"], "# From the folder\n");
}
