//! Markdown files -> cards. Used at start-up for the `--content` folder (cards stay tied
//! to their file) and by `verity import DIR` (a one-off copy, tied to nothing).

use std::path::Path;

use chrono::{DateTime, Utc};
use verity_content::{CardFile, FileError, collection_name};
use verity_store::cards::{self, CardEdit, CardMeta, EditOutcome, NewCard};
use verity_store::{Store, collections};

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

/// Imports every Markdown file under `dir`. Each file is its own transaction, so one bad
/// file never costs the others. `progress` is called once per file.
pub fn import_dir(
    store: &Store,
    dir: &Path,
    source: Source,
    now: DateTime<Utc>,
    progress: &dyn Fn(usize, usize),
) -> ImportReport {
    let scan = verity_content::scan(dir);
    let mut report = ImportReport { skipped: scan.errors, ..ImportReport::default() };
    for e in &report.skipped {
        tracing::warn!(path = %e.path, reason = %e.reason, "file skipped");
    }
    let total = scan.files.len();
    for (i, file) in scan.files.into_iter().enumerate() {
        let path = file.path.clone();
        match import_file(store, file, source, now) {
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
                report.skipped.push(FileError { path, reason: e.to_string() });
            }
        }
        progress(i + 1, total);
    }
    report
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

fn import_file(
    store: &Store,
    file: CardFile,
    source: Source,
    now: DateTime<Utc>,
) -> verity_store::Result<(Outcome, i64)> {
    let d = file.draft;
    let meta = CardMeta {
        owner: d.owner,
        verifier: d.verifier,
        interval: d.verify_every,
        verified_at: d.verified_at,
        verified_by: d.verified_by,
        extra: Some(serde_json::Value::Object(d.extra).to_string()),
    };
    let source_path = (source == Source::ContentFolder).then(|| file.path.clone());
    store.write(|c| {
        let existing = match source {
            Source::ContentFolder => cards::by_source_path(c, &file.path)?,
            Source::OneOff => cards::by_slug(c, file.slug.as_str()).ok(),
        };
        if let Some(card) = existing {
            let edit = CardEdit {
                title: d.title,
                body: d.body,
                tags: d.tags,
                base_rev: None,
                author: IMPORT_AUTHOR.into(),
                message: format!("imported from {}", file.path),
                by_verifier: false,
                meta: Some(meta),
                source_path,
            };
            return Ok(match cards::edit(c, card.id, edit, now)? {
                EditOutcome::Saved(s) => (Outcome::Updated, s.seq),
                EditOutcome::Unchanged(_) => (Outcome::Unchanged, 0),
            });
        }
        let name =
            file.collection_dir.as_deref().map_or_else(|| collection_name(file.collection.as_str()), collection_name);
        let collection = collections::get_or_create(c, &file.collection, &name, now)?;
        let new = NewCard {
            slug: file.slug,
            collection_id: collection.id,
            title: d.title,
            body: d.body,
            tags: d.tags,
            meta,
            author: IMPORT_AUTHOR.into(),
            message: format!("imported from {}", file.path),
            source_path,
        };
        cards::create(c, new, now).map(|s| (Outcome::Created, s.seq))
    })
}
