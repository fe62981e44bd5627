//! Markdown files -> cards. Used at start-up for the `--content` folder (cards stay tied
//! to their file) and by `verity import DIR` (a one-off copy, tied to nothing).

use std::path::Path;

use chrono::{DateTime, Utc};
use verity_content::{CardDraft, CardFile, FileError, collection_name};
use verity_store::cards::{self, CardEdit, CardMeta, EditOutcome, NewCard};
use verity_store::collections::{self, Collection};
use verity_store::{DbConnection, Store};

/// The author recorded on revisions made by imports.
pub const IMPORT_AUTHOR: &str = "import";

#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Files that could not be read, parsed or stored, with the reason.
    pub skipped: Vec<FileError>,
    /// The last change written (0 if none): wait for it to be searchable.
    pub last_seq: i64,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged, {} skipped",
            self.created,
            self.updated,
            self.unchanged,
            self.skipped.len()
        )
    }
}

/// How imported cards relate to their files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The live content folder: cards remember their path and are found by it.
    ContentFolder,
    /// Any other folder: cards are found by slug and not tied to the files.
    OneOff,
}

/// Files written per transaction. A commit per file cost more than the card itself
/// (every commit rewrites the same index pages into the WAL); each file still gets its
/// own savepoint, so one bad file never costs the others.
const FILES_PER_TRANSACTION: usize = 250;

/// Imports every Markdown file under `dir`. `progress` is called once per file, after the
/// transaction holding it committed.
///
/// Files are read a batch at a time, just before their transaction, so memory stays flat
/// however large the folder is. Skipped files are reported as a whole scan would: those
/// that could not be walked, then those that could not be read or parsed (by path), then
/// those the database refused.
pub fn import_dir(
    store: &Store,
    dir: &Path,
    source: Source,
    now: DateTime<Utc>,
    progress: &dyn Fn(usize, usize),
) -> ImportReport {
    let (paths, walk_errors) = verity_content::walk(dir);
    for e in &walk_errors {
        tracing::warn!(path = %e.path, reason = %e.reason, "file skipped");
    }
    let mut report = ImportReport::default();
    let mut unreadable = Vec::new();
    let mut refused = Vec::new();
    let total = paths.len();
    let mut done = 0;
    for chunk in paths.chunks(FILES_PER_TRANSACTION) {
        let batch = read_batch(dir, chunk, &mut unreadable);
        done += chunk.len() - batch.len();
        let paths: Vec<String> = batch.iter().map(|f| f.path.clone()).collect();
        for (path, outcome) in paths.into_iter().zip(write_batch(store, batch, source, now)) {
            match outcome {
                Ok((outcome, seq)) => {
                    match outcome {
                        Outcome::Created => report.created += 1,
                        Outcome::Updated => report.updated += 1,
                        Outcome::Unchanged => report.unchanged += 1,
                    }
                    report.last_seq = report.last_seq.max(seq);
                }
                Err(e) => {
                    tracing::warn!(path = %path, reason = %e, "file skipped");
                    refused.push(FileError { path, reason: e.to_string() });
                }
            }
            done += 1;
            progress(done, total);
        }
    }
    report.skipped = [walk_errors, unreadable, refused].concat();
    report
}

/// Reads and parses the files at `paths`; the ones that fail go to `unreadable`.
fn read_batch(dir: &Path, paths: &[String], unreadable: &mut Vec<FileError>) -> Vec<CardFile> {
    let mut files = Vec::with_capacity(paths.len());
    for rel in paths {
        match verity_content::read_file(dir, rel) {
            Ok((file, _hash)) => files.push(file),
            Err(reason) => {
                tracing::warn!(path = %rel, reason = %reason, "file skipped");
                unreadable.push(FileError { path: rel.clone(), reason });
            }
        }
    }
    files
}

/// Writes `batch` in one transaction; one outcome per file, in order.
fn write_batch(
    store: &Store,
    batch: Vec<CardFile>,
    source: Source,
    now: DateTime<Utc>,
) -> Vec<verity_store::Result<(Outcome, i64)>> {
    let count = batch.len();
    let written = store.write(|c| {
        Ok::<_, verity_store::StoreError>(
            batch
                .into_iter()
                // A savepoint per file: a failure rolls back that file only.
                .map(|file| c.savepoint(|c| import_file(c, file, source, now)))
                .collect::<Vec<_>>(),
        )
    });
    match written {
        Ok(outcomes) => outcomes,
        // The whole transaction failed (database gone, disk full): none of it stuck.
        Err(e) => (0..count).map(|_| Err(verity_store::StoreError::Unavailable(e.to_string()))).collect(),
    }
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

fn import_file(
    c: &mut DbConnection,
    file: CardFile,
    source: Source,
    now: DateTime<Utc>,
) -> verity_store::Result<(Outcome, i64)> {
    let source_path = (source == Source::ContentFolder).then(|| file.path.clone());
    let message = format!("imported from {}", file.path);
    let existing = match source {
        Source::ContentFolder => cards::by_source_path(c, &file.path)?,
        Source::OneOff => cards::by_slug(c, file.slug.as_str()).ok(),
    };
    if let Some(card) = existing {
        let edit = edit_from_file(&file, IMPORT_AUTHOR, &message, source_path, None);
        return Ok(match cards::edit(c, card.id, edit, now)? {
            EditOutcome::Saved(s) => (Outcome::Updated, s.seq),
            EditOutcome::Unchanged(_) => (Outcome::Unchanged, 0),
        });
    }
    let collection = collection_for(c, &file, now)?;
    let new = new_from_file(&file, collection.id, IMPORT_AUTHOR, &message, source_path);
    cards::create_quietly(c, new, now).map(|(_, seq)| (Outcome::Created, seq))
}

/// What a file's front matter says about who looks after its card.
pub fn meta_of(d: &CardDraft) -> CardMeta {
    CardMeta {
        owner: d.owner.clone(),
        verifier: d.verifier.clone(),
        interval: d.verify_every,
        verified_at: d.verified_at,
        verified_by: d.verified_by.clone(),
        extra: Some(serde_json::Value::Object(d.extra.clone()).to_string()),
    }
}

/// The file's folder as a collection, created on first sight.
pub fn collection_for(c: &mut DbConnection, file: &CardFile, now: DateTime<Utc>) -> verity_store::Result<Collection> {
    let name =
        file.collection_dir.as_deref().map_or_else(|| collection_name(file.collection.as_str()), collection_name);
    collections::get_or_create(c, &file.collection, &name, now)
}

pub fn new_from_file(
    file: &CardFile,
    collection_id: i64,
    author: &str,
    message: &str,
    source_path: Option<String>,
) -> NewCard {
    let d = &file.draft;
    NewCard {
        slug: file.slug.clone(),
        collection_id,
        title: d.title.clone(),
        body: d.body.clone(),
        tags: d.tags.clone(),
        meta: meta_of(d),
        author: author.into(),
        message: message.into(),
        source_path,
    }
}

/// An edit that makes a card say what its file says (front matter included).
pub fn edit_from_file(
    file: &CardFile,
    author: &str,
    message: &str,
    source_path: Option<String>,
    collection_id: Option<i64>,
) -> CardEdit {
    let d = &file.draft;
    CardEdit {
        title: d.title.clone(),
        body: d.body.clone(),
        tags: d.tags.clone(),
        base_rev: None,
        author: author.into(),
        message: message.into(),
        by_verifier: false,
        meta: Some(meta_of(d)),
        source_path,
        collection_id,
    }
}
