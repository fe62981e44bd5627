//! Crash safety: the real `verity` binary is killed with SIGKILL while writers work through
//! the API, and restarted on the same data. Every write it acknowledged (a 2xx answer)
//! must be there afterwards, readable with its content and searchable, and the index must
//! equal the database (`verity check`).
//!
//! Each trial: four writers create, edit and verify cards (`?wait=true`) and upload
//! files, the server is killed at a random moment (50 to 1500 ms in), restarted, and
//! every card and file touched in the trial is read back (in a quarter of the trials it is
//! killed once more while starting up). The same data dir goes through every trial; at
//! the end the server stops with SIGTERM, `verity check` runs with it stopped, every card
//! and file of the whole run is read back once more, and no card may exist twice.
//!
//! ```sh
//! cargo test -p verity --test crash_safety                      # 5 trials (CI)
//! VERITY_CRASH_TRIALS=100 cargo test --release -p verity --test crash_safety -- --nocapture
//! ```
//!
//! With `VERITY_TEST_DATABASE_URL` set, the same runs on PostgreSQL (a fresh schema).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use rand::Rng;
use serde_json::json;
use support::{Api, Backend, Site, percentile_ms, token};

const WRITERS: usize = 4;
const DEFAULT_TRIALS: usize = 5;
/// The kill comes this long after the writers start, at random.
const KILL_AFTER_MS: std::ops::Range<u64> = 50..1500;
/// In a quarter of the trials it is killed again this long into its restart.
const STARTUP_KILL_MS: std::ops::Range<u64> = 0..400;
/// Collections the writers create cards in: `general` has a folder in the content
/// folder (its cards are written back to files), `crash` has none.
const COLLECTIONS: [&str; 2] = ["crash", "general"];

#[test]
fn acknowledged_writes_survive_sigkill_on_sqlite() {
    let site = Site::new(Backend::Sqlite, "sqlite").unwrap();
    run(&site, "sqlite");
}

#[test]
fn acknowledged_writes_survive_sigkill_on_postgres() {
    let Some(site) = Site::new(Backend::Postgres, "acknowledged_writes_survive_sigkill_on_postgres") else { return };
    run(&site, "postgres");
}

/// The sync writes a card edited in the app back to its file from a queue in memory, so
/// a crash after the edit's commit lost the write-back: the file kept the old revision
/// for good (`verity check` found it in the crash trials). Here the edit is made in the
/// database while the server is stopped, which is what such a crash leaves.
#[test]
fn an_edit_whose_write_back_was_lost_reaches_its_file_after_a_restart() {
    let site = Site::new(Backend::Sqlite, "sqlite").unwrap();
    let file = site.content().join("welcome.md");
    std::fs::write(&file, "# Welcome\n\nThe first text.\n").unwrap();
    let mut server = site.start();
    let api = server.admin();
    let card = api.get("/api/v1/cards/welcome").unwrap().json().unwrap();
    assert_eq!(card["source_path"], "welcome.md", "{card}");
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(60)).is_some_and(|s| s.success()));

    let store = verity_store::Store::open(site.data_dir().join("verity.db").to_str().unwrap()).unwrap();
    let head = store.read(|c| verity_store::cards::by_slug(c, "welcome")).unwrap();
    let edit = verity_store::cards::CardEdit {
        title: head.title.clone(),
        body: "The text edited in the app.".into(),
        tags: head.tags.clone(),
        base_rev: Some(head.head_rev),
        author: "admin".into(),
        message: "edited".into(),
        by_verifier: true,
        meta: None,
        source_path: None,
        collection_id: None,
    };
    store.write(|c| verity_store::cards::edit(c, head.id, edit, chrono::Utc::now())).unwrap();
    drop(store);
    let (report, _) = site.check(&[]);
    assert!(report.contains("holds revision 1 of card `welcome`, which is at revision 2"), "{report}");

    let server = site.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&file).unwrap().contains("The text edited in the app.") {
        assert!(Instant::now() < deadline, "the file kept the old text: {}", std::fs::read_to_string(&file).unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    let card = server.admin().get("/api/v1/cards/welcome").unwrap().json().unwrap();
    assert_eq!(card["rev"], 2, "writing the file back made no new revision: {card}");
    let mut server = server;
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(60)).is_some_and(|s| s.success()));
    let (report, code) = site.check(&[]);
    assert_eq!(code, Some(0), "{report}");
}

/// The sync writes a new card's file, then records it; a crash in between (the crash
/// trials on PostgreSQL hit it once in 100) left a file no card was tied to, which the
/// next start took for a new card: the card existed twice. Here the record is removed
/// while the server is stopped, once for a file holding the card's head and once for one
/// holding an older revision (the edits after it were not written back either).
#[test]
fn a_file_written_back_just_before_a_crash_is_not_taken_for_a_new_card() {
    let site = Site::new(Backend::Sqlite, "sqlite").unwrap();
    std::fs::write(site.content().join("welcome.md"), "# Welcome\n\nStart here.\n").unwrap();
    let mut server = site.start();
    let api = server.admin();
    for title in ["Runbook", "Checklist"] {
        let r = api.post_json(
            "/api/v1/cards?wait=true",
            &json!({"title": title, "body": "Step one.", "collection": "general"}),
        );
        assert_eq!(r.unwrap().status, 201);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while ["runbook", "checklist"]
        .iter()
        .any(|slug| api.get(&format!("/api/v1/cards/{slug}")).unwrap().json().unwrap()["source_path"].is_null())
    {
        assert!(Instant::now() < deadline, "the files were not written");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(60)).is_some_and(|s| s.success()));

    let store = verity_store::Store::open(site.data_dir().join("verity.db").to_str().unwrap()).unwrap();
    let untie = "UPDATE cards SET source_path = NULL, source_hash = NULL, source_rev = NULL \
                 WHERE slug IN ('runbook', 'checklist')";
    store.write(|c| c.batch_execute(untie).map_err(verity_store::StoreError::from)).unwrap();
    let checklist = store.read(|c| verity_store::cards::by_slug(c, "checklist")).unwrap();
    let edit = verity_store::cards::CardEdit {
        title: checklist.title.clone(),
        body: "Step one, then step two.".into(),
        tags: checklist.tags.clone(),
        base_rev: Some(1),
        author: "admin".into(),
        message: "edited".into(),
        by_verifier: true,
        meta: None,
        source_path: None,
        collection_id: None,
    };
    store.write(|c| verity_store::cards::edit(c, checklist.id, edit, chrono::Utc::now())).unwrap();
    drop(store);

    let server = site.start();
    let api = server.admin();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(site.content().join("checklist.md")).unwrap().contains("step two") {
        assert!(Instant::now() < deadline, "checklist.md was not brought up to date");
        std::thread::sleep(Duration::from_millis(50));
    }
    let titles = api.get("/api/v1/cards?limit=100").unwrap().json().unwrap();
    let mut titles: Vec<&str> =
        titles["cards"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    titles.sort();
    assert_eq!(titles, ["Checklist", "Runbook", "Welcome"], "a card was made twice");
    for (slug, rev) in [("runbook", 1), ("checklist", 2)] {
        let card = api.get(&format!("/api/v1/cards/{slug}")).unwrap().json().unwrap();
        assert_eq!(
            (card["source_path"].as_str(), card["rev"].as_i64()),
            (Some(format!("{slug}.md").as_str()), Some(rev))
        );
    }
    let mut server = server;
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(60)).is_some_and(|s| s.success()));
    let (report, code) = site.check(&[]);
    assert_eq!(code, Some(0), "{report}");
}

/// A card as the writers know it: its last acknowledged state and, while a request for it
/// was unanswered at the kill, the state that request asked for.
#[derive(Clone, Debug)]
struct Known {
    slug: String,
    title: String,
    rev: i64,
    body: String,
    token: String,
    verified: bool,
    in_flight: Option<(i64, String, String)>,
    touched: bool,
}

#[derive(Clone, Debug)]
struct Upload {
    url: String,
    bytes: Vec<u8>,
}

#[derive(Default, Debug, Clone, Copy)]
struct Acks {
    creates: u64,
    edits: u64,
    verifications: u64,
    uploads: u64,
    /// Requests unanswered at the kill, and how many of those turned out applied.
    in_flight: u64,
    applied_in_flight: u64,
}

impl Acks {
    fn total(&self) -> u64 {
        self.creates + self.edits + self.verifications + self.uploads
    }

    fn add(&mut self, o: &Acks) {
        self.creates += o.creates;
        self.edits += o.edits;
        self.verifications += o.verifications;
        self.uploads += o.uploads;
        self.in_flight += o.in_flight;
        self.applied_in_flight += o.applied_in_flight;
    }
}

/// What went wrong, with enough to find it.
#[derive(Default)]
struct Problems {
    lost: Vec<String>,
    unsearchable: Vec<String>,
    check_failures: Vec<String>,
    /// Answers other than 2xx from a server that was not being killed.
    unexpected: Vec<String>,
    /// Titles that more than one live card has (every card the writers made has its own).
    duplicates: Vec<String>,
}

/// Titles of more than one live card: a card made twice (say, its written-back file taken
/// for a new card after a crash).
fn duplicated_titles(api: &Api) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for offset in (0..).step_by(1000) {
        let page = api.get(&format!("/api/v1/cards?limit=1000&offset={offset}")).unwrap().json().unwrap();
        let cards = page["cards"].as_array().unwrap();
        for card in cards {
            *seen.entry(card["title"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        if cards.len() < 1000 {
            break;
        }
    }
    seen.into_iter().filter(|(_, n)| *n > 1).map(|(title, n)| format!("{title:?} {n} times")).collect()
}

/// The server went away (no answer): the writer stops.
struct Gone;

struct Writer {
    api: Api,
    trial: usize,
    cards: Vec<Known>,
    uploads: Vec<Upload>,
    acks: Acks,
    unexpected: Vec<String>,
    words: Arc<AtomicU64>,
}

impl Writer {
    fn run(mut self) -> Writer {
        let mut rng = rand::rng();
        loop {
            let roll = rng.random_range(0..100);
            let done = if self.cards.is_empty() || roll < 35 {
                self.create(&mut rng)
            } else if roll < 70 {
                self.edit(&mut rng)
            } else if roll < 85 {
                self.verify(&mut rng)
            } else {
                self.upload(&mut rng)
            };
            if done.is_err() {
                return self;
            }
        }
    }

    fn word(&self) -> String {
        token(self.words.fetch_add(1, Ordering::Relaxed))
    }

    fn body(&self, word: &str) -> String {
        format!("# Trial {}\n\nThe crash test wrote {word} here.\n", self.trial)
    }

    fn answer(&mut self, what: &str, r: Result<support::Response, ureq::Error>, ok: u16) -> Result<bool, Gone> {
        match r {
            Err(_) => Err(Gone),
            Ok(r) if r.status == ok => Ok(true),
            Ok(r) => {
                self.unexpected.push(format!("{what}: {} {}", r.status, r.text()));
                Ok(false)
            }
        }
    }

    fn create(&mut self, rng: &mut impl Rng) -> Result<(), Gone> {
        let word = self.word();
        let title = format!("Crash card {word}");
        let body = self.body(&word);
        let collection = COLLECTIONS[rng.random_range(0..COLLECTIONS.len())];
        let r = self
            .api
            .post_json("/api/v1/cards?wait=true", &json!({"title": title, "body": body, "collection": collection}));
        let r = match r {
            Ok(r) => r,
            Err(_) => {
                self.acks.in_flight += 1;
                return Err(Gone);
            }
        };
        let card = r.json().unwrap_or_default();
        if self.answer("create", Ok(r), 201)? {
            self.acks.creates += 1;
            self.cards.push(Known {
                slug: card["slug"].as_str().unwrap().to_owned(),
                title,
                rev: card["rev"].as_i64().unwrap(),
                body,
                token: word,
                verified: false,
                in_flight: None,
                touched: true,
            });
        }
        Ok(())
    }

    fn edit(&mut self, rng: &mut impl Rng) -> Result<(), Gone> {
        let i = rng.random_range(0..self.cards.len());
        let word = self.word();
        let body = self.body(&word);
        let card = &mut self.cards[i];
        card.touched = true;
        card.in_flight = Some((card.rev + 1, body.clone(), word.clone()));
        let path = format!("/api/v1/cards/{}?wait=true", card.slug);
        let r = self.api.put_json(&path, &json!({"title": card.title, "body": body, "base_rev": card.rev}));
        let Ok(r) = r else {
            self.acks.in_flight += 1;
            return Err(Gone);
        };
        let saved = r.json().unwrap_or_default();
        if self.answer("edit", Ok(r), 200)? {
            let card = &mut self.cards[i];
            card.rev = saved["rev"].as_i64().unwrap();
            card.body = body;
            card.token = word;
            self.acks.edits += 1;
        }
        self.cards[i].in_flight = None;
        Ok(())
    }

    fn verify(&mut self, rng: &mut impl Rng) -> Result<(), Gone> {
        let i = rng.random_range(0..self.cards.len());
        self.cards[i].touched = true;
        let path = format!("/api/v1/cards/{}/verify?wait=true", self.cards[i].slug);
        let r = self.api.post_json(&path, &json!({"note": "crash test"}));
        if r.is_err() {
            self.acks.in_flight += 1;
        }
        if self.answer("verify", r, 200)? {
            self.cards[i].verified = true;
            self.acks.verifications += 1;
        }
        Ok(())
    }

    fn upload(&mut self, rng: &mut impl Rng) -> Result<(), Gone> {
        // A PNG signature, then bytes no other upload has.
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend((0..rng.random_range(16..4096)).map(|_| rng.random::<u8>()));
        let r = self.api.post_bytes("/api/v1/attachments", &bytes);
        let Ok(r) = r else {
            self.acks.in_flight += 1;
            return Err(Gone);
        };
        let url = r.json().and_then(|j| j["url"].as_str().map(str::to_owned));
        if self.answer("upload", Ok(r), 201)? {
            self.uploads.push(Upload { url: url.expect("an upload answers its URL"), bytes });
            self.acks.uploads += 1;
        }
        Ok(())
    }
}

/// Reads a card back: its acknowledged revision must hold the acknowledged text, and the
/// head must be that revision, or the next one if a request for it was unanswered. The
/// head's word must find the card. Updates `known` to the head.
fn read_back(api: &Api, known: &mut Known, acks: &mut Acks, problems: &mut Problems) {
    let r = api.get(&format!("/api/v1/cards/{}", known.slug)).expect("the server answers");
    if r.status != 200 {
        problems.lost.push(format!("{}: GET answered {} {}", known.slug, r.status, r.text()));
        return;
    }
    let head = r.json().unwrap();
    let rev = head["rev"].as_i64().unwrap();
    let body = head["body"].as_str().unwrap_or_default().to_owned();
    match known.in_flight.take() {
        Some((next, in_flight_body, word)) if rev == next && body == in_flight_body => {
            acks.applied_in_flight += 1;
            known.rev = rev;
            known.body = body.clone();
            known.token = word;
        }
        _ => {}
    }
    if rev != known.rev || body != known.body {
        problems
            .lost
            .push(format!("{}: acknowledged rev {} but the head is rev {rev}: {body:?}", known.slug, known.rev));
    }
    let old = api.get(&format!("/api/v1/cards/{}/revisions/{}", known.slug, known.rev)).unwrap();
    if old.status != 200 || old.json().unwrap()["body"] != known.body.as_str() {
        problems.lost.push(format!("{}: revision {} is not what was acknowledged", known.slug, known.rev));
    }
    if known.verified && head["status"] != "verified" {
        problems.lost.push(format!("{}: verified, but the status is {}", known.slug, head["status"]));
    }
    let hits = api.get(&format!("/api/v1/search?q={}&limit=50", known.token)).unwrap().json().unwrap();
    let found = hits["hits"].as_array().is_some_and(|h| h.iter().any(|h| h["slug"] == known.slug.as_str()));
    if !found {
        problems.unsearchable.push(format!("{}: `{}` does not find it", known.slug, known.token));
    }
}

fn read_back_upload(api: &Api, upload: &Upload, problems: &mut Problems) {
    let r = api.get(&upload.url).expect("the server answers");
    if r.status != 200 || r.body != upload.bytes {
        problems.lost.push(format!("{}: answered {} with {} bytes", upload.url, r.status, r.body.len()));
    }
}

fn check_is_clean(site: &Site, when: &str, problems: &mut Problems) {
    let (output, code) = site.check(&[]);
    if code != Some(0) {
        problems.check_failures.push(format!("{when}: verity check exited {code:?}:\n{output}"));
    }
}

fn trials() -> usize {
    std::env::var("VERITY_CRASH_TRIALS").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_TRIALS)
}

fn run(site: &Site, backend: &str) {
    let trials = trials();
    let started = Instant::now();
    let mut rng = rand::rng();
    let words = Arc::new(AtomicU64::new(0));
    let mut cards: Vec<Known> = Vec::new();
    let mut uploads: Vec<Upload> = Vec::new();
    let mut acks = Acks::default();
    let mut problems = Problems::default();
    let mut recoveries = Vec::new();
    let mut startup_kills = 0;

    // A content folder with a card at its root, so `general` exists and has a folder.
    std::fs::write(site.content().join("welcome.md"), "# Welcome\n\nThe crash test's content folder.\n").unwrap();
    let mut server = site.start();
    let r = server.admin().post_json("/api/v1/collections", &json!({"slug": "crash", "name": "Crash"})).unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    for trial in 0..trials {
        let api = server.admin();
        // Each writer edits only its own cards, so its edits never conflict.
        let mut shares: Vec<Vec<Known>> = vec![Vec::new(); WRITERS];
        for (i, card) in cards.drain(..).enumerate() {
            shares[i % WRITERS].push(Known { touched: false, ..card });
        }
        let writers: Vec<_> = shares
            .into_iter()
            .map(|mine| {
                let writer = Writer {
                    api: api.clone(),
                    trial,
                    cards: mine,
                    uploads: Vec::new(),
                    acks: Acks::default(),
                    unexpected: Vec::new(),
                    words: words.clone(),
                };
                std::thread::spawn(move || writer.run())
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.random_range(KILL_AFTER_MS)));
        server.kill();
        let mut new_uploads = Vec::new();
        for w in writers {
            let w = w.join().expect("a writer panicked");
            acks.add(&w.acks);
            cards.extend(w.cards);
            new_uploads.extend(w.uploads);
            problems.unexpected.extend(w.unexpected);
        }

        // Now and then, a second crash while it starts up again (catching up, rescanning).
        if rng.random_range(0..4) == 0 {
            let starting = site.spawn();
            std::thread::sleep(Duration::from_millis(rng.random_range(STARTUP_KILL_MS)));
            starting.kill();
            startup_kills += 1;
        }
        let restarted = Instant::now();
        server = site.start();
        assert!(server.wait_caught_up(Duration::from_secs(120)), "trial {trial}: the index did not catch up");
        recoveries.push(restarted.elapsed());
        let api = server.admin();
        for card in cards.iter_mut().filter(|c| c.touched) {
            read_back(&api, card, &mut acks, &mut problems);
        }
        for upload in &new_uploads {
            read_back_upload(&api, upload, &mut problems);
        }
        uploads.extend(new_uploads);
        // Beside the running server: it only reads.
        check_is_clean(site, &format!("trial {trial}"), &mut problems);
    }

    // A polite stop, a check with the server stopped, then everything read back once more.
    server.signal("TERM");
    let stopped = server.wait_exit(Duration::from_secs(60));
    assert!(stopped.is_some_and(|s| s.success()), "SIGTERM: {stopped:?}");
    check_is_clean(site, "stopped", &mut problems);
    let server = site.start();
    assert!(server.wait_caught_up(Duration::from_secs(120)));
    let api = server.admin();
    for card in &mut cards {
        read_back(&api, card, &mut acks, &mut problems);
    }
    for upload in &uploads {
        read_back_upload(&api, upload, &mut problems);
    }
    problems.duplicates = duplicated_titles(&api);
    drop(server);

    let mut times = recoveries.clone();
    println!(
        "crash safety ({backend}): {trials} trials, {WRITERS} writers, killed {}-{} ms in, {:.0} s",
        KILL_AFTER_MS.start,
        KILL_AFTER_MS.end,
        started.elapsed().as_secs_f64()
    );
    println!(
        "  acknowledged writes: {} ({} creates, {} edits, {} verifications, {} uploads); cards {}, files {}",
        acks.total(),
        acks.creates,
        acks.edits,
        acks.verifications,
        acks.uploads,
        cards.len(),
        uploads.len()
    );
    println!(
        "  unanswered at the kill: {} requests ({} edits found applied after the restart)",
        acks.in_flight, acks.applied_in_flight
    );
    println!(
        "  lost writes: {}; acknowledged but not searchable: {}; verity check not clean: {}; unexpected answers: {}; \
         cards made twice: {}",
        problems.lost.len(),
        problems.unsearchable.len(),
        problems.check_failures.len(),
        problems.unexpected.len(),
        problems.duplicates.len()
    );
    println!("  killed again while starting up: {startup_kills} times");
    println!(
        "  recovery (restart until the index caught up): p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms",
        percentile_ms(&mut times, 0.5),
        percentile_ms(&mut times, 0.9),
        percentile_ms(&mut times, 1.0)
    );
    let report = |name: &str, list: &[String]| {
        for line in list.iter().take(20) {
            eprintln!("{name}: {line}");
        }
    };
    report("lost", &problems.lost);
    report("not searchable", &problems.unsearchable);
    report("check", &problems.check_failures);
    report("unexpected", &problems.unexpected);
    report("made twice", &problems.duplicates);
    assert!(acks.total() > 0, "nothing was acknowledged: the trials were too short");
    assert!(
        problems.lost.is_empty()
            && problems.unsearchable.is_empty()
            && problems.check_failures.is_empty()
            && problems.unexpected.is_empty()
            && problems.duplicates.is_empty(),
        "the crash test found problems (above)"
    );
}
