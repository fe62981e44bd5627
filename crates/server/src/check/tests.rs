//! `verity check` against a real SQLite database, tantivy index and content folder, with
//! the index or the folder put out of step by hand.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use verity_index::SearchIndex;
use verity_store::Store;
use verity_store::cards::{self, CardEdit};

use super::*;
use crate::import::{self, Source};
use crate::indexer::{Indexer, card_doc};

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
}

impl Fixture {
    /// Three cards from a content folder, synced with their files and indexed.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(content.join("ops")).unwrap();
        std::fs::write(content.join("welcome.md"), "# Welcome\n\nStart here.").unwrap();
        std::fs::write(content.join("ops/escalation.md"), "# Escalation\n\nPage the on-call engineer.").unwrap();
        std::fs::write(content.join("ops/deploys.md"), "# Deploys\n\nRun the pipeline.").unwrap();
        let store = Store::open(dir.path().join("verity.db").to_str().unwrap()).unwrap();
        import::import_dir(&store, &content, Source::ContentFolder, chrono::Utc::now(), &|_, _| {});
        // What the sync does after reading a file: remember its bytes and revision.
        for (id, path, _) in store.read(cards::synced_files).unwrap() {
            let hash = verity_content::hash_bytes(&std::fs::read(content.join(&path)).unwrap());
            let rev = store.read(|c| cards::by_id(c, id)).unwrap().head_rev;
            store.write(|c| cards::set_synced(c, id, &path, &hash, rev)).unwrap();
        }
        let fixture = Fixture { dir, store };
        let (index, _) = SearchIndex::open(&fixture.index_dir()).unwrap();
        let mut writer = index.writer().unwrap();
        indexer::rebuild_all(&fixture.store, &index, &mut writer).unwrap();
        writer.finish().unwrap();
        fixture
    }

    fn index_dir(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    fn content(&self) -> PathBuf {
        self.dir.path().join("content")
    }

    fn check(&self, repair: bool) -> Outcome {
        check(&self.store, &self.index_dir(), Some(&self.content()), repair).unwrap()
    }

    fn card(&self, slug: &str) -> Card {
        self.store.read(|c| cards::by_slug(c, slug)).unwrap()
    }

    /// Changes the index directly, keeping its recorded seq: as a lost or botched update would.
    fn tamper(&self, change: impl FnOnce(&mut verity_index::Writer)) {
        let (index, _) = SearchIndex::open(&self.index_dir()).unwrap();
        let seq = index.applied_seq().unwrap();
        let mut writer = index.writer().unwrap();
        change(&mut writer);
        writer.commit(seq).unwrap();
        writer.finish().unwrap();
    }

    /// Edits a card in the database only (the index is not told).
    fn edit(&self, slug: &str, body: &str) {
        let card = self.card(slug);
        let edit = CardEdit {
            title: card.title.clone(),
            body: body.into(),
            tags: card.tags.clone(),
            base_rev: Some(card.head_rev),
            author: "admin".into(),
            message: "edited".into(),
            by_verifier: true,
            meta: None,
            source_path: None,
            collection_id: None,
        };
        self.store.write(|c| cards::edit(c, card.id, edit, chrono::Utc::now())).unwrap();
    }
}

#[test]
fn an_index_and_folder_that_match_the_database_are_clean() {
    let f = Fixture::new();
    let outcome = f.check(false);
    assert!(outcome.is_clean(), "{}", outcome.found);
    assert_eq!((outcome.found.live, outcome.found.indexed, outcome.found.files), (3, 3, 3));
    assert_eq!(outcome.found.applied_seq, outcome.found.latest_seq);
    assert!(!outcome.found.server_running);
}

#[test]
fn a_card_missing_from_the_index_is_reported_and_repair_indexes_it() {
    let f = Fixture::new();
    let welcome = f.card("welcome");
    f.tamper(|w| w.delete(welcome.id));
    let outcome = f.check(false);
    assert_eq!(outcome.found.differences, vec![Difference::NotIndexed { id: welcome.id, slug: "welcome".into() }]);
    assert!(!outcome.is_clean());

    let repaired = f.check(true);
    let (reindexed, after) = repaired.repaired.as_ref().expect("repaired");
    assert_eq!(*reindexed, 1);
    assert!(after.is_clean(), "{after}");
    assert!(f.check(false).is_clean());
    let (index, _) = SearchIndex::open(&f.index_dir()).unwrap();
    assert_eq!(index.num_docs(), 3);
}

#[test]
fn a_card_indexed_as_it_was_before_its_last_edit_is_stale_until_repaired() {
    let f = Fixture::new();
    // Edited while nothing indexed it: the index is one change behind.
    f.edit("ops-deploys", "Run the pipeline, then watch the dashboards.");
    let id = f.card("ops-deploys").id;
    let outcome = f.check(false);
    let in_index: Vec<&Difference> = outcome.found.differences.iter().filter(|d| d.in_index()).collect();
    assert_eq!(in_index, vec![&Difference::Stale { id, slug: "ops-deploys".into() }]);
    assert_eq!(outcome.found.latest_seq - outcome.found.applied_seq, 1);

    // A botched update with the seq unchanged is found the same way.
    let f2 = Fixture::new();
    let card = f2.card("welcome");
    let mut doc = card_doc(&card);
    doc.title = "Welcome (old)".into();
    f2.tamper(|w| w.upsert(&doc).unwrap());
    assert_eq!(f2.check(false).found.differences, vec![Difference::Stale { id: card.id, slug: "welcome".into() }]);

    let repaired = f.check(true);
    let after = &repaired.repaired.as_ref().unwrap().1;
    assert!(after.differences.iter().all(|d| !d.in_index()), "{after}");
    assert_eq!(after.applied_seq, after.latest_seq, "the repair commits the database's seq");
    assert!(f2.check(true).is_clean());
}

#[test]
fn an_archived_card_left_in_the_index_is_reported_and_removed() {
    let f = Fixture::new();
    let card = f.card("welcome");
    f.store.write(|c| cards::archive(c, card.id, chrono::Utc::now())).unwrap();
    // The index still has it, at its current seq: as if the archive were never applied.
    f.tamper(|_| {});
    let outcome = f.check(false);
    assert_eq!(outcome.found.differences, vec![Difference::NotLive { id: card.id, slug: "welcome".into() }]);
    assert_eq!((outcome.found.live, outcome.found.archived), (2, 1));
    assert!(f.check(true).is_clean());
    let (index, _) = SearchIndex::open(&f.index_dir()).unwrap();
    assert_eq!(index.num_docs(), 2);
}

#[test]
fn files_that_differ_from_their_cards_are_reported_and_left_to_the_sync() {
    let f = Fixture::new();
    std::fs::write(f.content().join("welcome.md"), "# Welcome\n\nStart here, changed on disk.").unwrap();
    std::fs::remove_file(f.content().join("ops/escalation.md")).unwrap();
    // Edited in the app, but never written back.
    f.edit("ops-deploys", "Run the pipeline twice.");
    let outcome = f.check(true);
    let (_, after) = outcome.repaired.as_ref().expect("the index was repaired");
    let mut files: Vec<String> = after.differences.iter().map(ToString::to_string).collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            "file: ops/deploys.md holds revision 1 of card `ops-deploys`, which is at revision 2",
            "file: ops/escalation.md (card `ops-escalation`) is missing",
            "file: welcome.md changed since it was last synced with card `welcome`",
        ],
    );
    assert!(after.differences.iter().all(|d| !d.in_index()));
    assert!(!outcome.is_clean(), "the repair cannot fix files");
    // Without a content folder the files are not compared.
    let elsewhere = check(&f.store, &f.index_dir(), Some(&f.dir.path().join("none")), false).unwrap();
    assert!(elsewhere.is_clean() && elsewhere.found.no_content_folder);
}

#[test]
fn beside_a_running_indexer_the_check_only_reads_and_repair_refuses() {
    let f = Fixture::new();
    let (index, _) = SearchIndex::open(&f.index_dir()).unwrap();
    let indexer = Indexer::start(f.store.clone(), Arc::new(index), false).unwrap();
    let outcome = f.check(false);
    assert!(outcome.found.server_running);
    assert!(outcome.is_clean(), "{}", outcome.found);
    let refused = check(&f.store, &f.index_dir(), Some(&f.content()), true).err().expect("refused");
    assert!(refused.to_string().contains("running server"), "{refused}");
    // The running indexer still works.
    f.edit("welcome", "Start here, now.");
    let seq = f.store.read(verity_store::changes::last_seq).unwrap();
    assert!(indexer.handle().wait_for_blocking(seq, Duration::from_secs(30)));
    indexer.stop();
    assert!(f.check(false).found.differences.iter().all(|d| !d.in_index()));
}

#[test]
fn an_index_of_another_database_is_reported_and_rebuilt() {
    let f = Fixture::new();
    let (index, _) = SearchIndex::open(&f.index_dir()).unwrap();
    let mut writer = index.writer().unwrap();
    writer.commit(1000).unwrap();
    writer.finish().unwrap();
    drop(index);
    let outcome = f.check(true);
    let latest = outcome.found.latest_seq;
    assert!(outcome.found.differences.contains(&Difference::IndexAhead { applied: 1000, latest }));
    let (reindexed, after) = outcome.repaired.as_ref().unwrap();
    assert_eq!(*reindexed, 3);
    assert!(after.is_clean(), "{after}");
    assert_eq!(after.applied_seq, latest);
}
