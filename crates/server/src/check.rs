//! `verity check [--repair]`: compares the database, which is the truth, with what follows
//! it: the search index and the content folder.
//!
//! - Every live card must be in the index once, as it is now: the index's stored fields
//!   (see `verity_index::Inventory`) must match what indexing the card now would store.
//! - No archived or deleted card may be in the index.
//! - Every card tied to a file must match the file: the file's bytes hash to what was
//!   last synced, and the file holds the card's current revision.
//!
//! `--repair` indexes again the cards that differ. It cannot repair the content folder:
//! the sync resolves a file that differs (by reading it, or by writing the card back).
//!
//! With a server running, its indexer holds the index's writer. The check then only reads
//! (tantivy readers are safe beside a writer) and leaves out the cards changed since the
//! index's last commit: the server is indexing those. `--repair` needs the writer and
//! refuses. Without a server, the check holds the writer while it runs, so no server
//! starts writing halfway through.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use anyhow::bail;
use verity_index::{IndexError, Opened, SearchIndex};
use verity_store::cards::{self, Card};
use verity_store::{Store, changes};

use crate::indexer;

/// Cards read from the database at a time.
const CHUNK: usize = 500;
/// Changes read at a time when listing the cards a running server is still indexing.
const CHANGES_CHUNK: i64 = 10_000;

/// One way the index or the content folder differs from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The index was missing or written by another version of Verity: it is empty now.
    IndexReset,
    /// The index recorded changes the database does not have: it was built from another database.
    IndexAhead {
        applied: i64,
        latest: i64,
    },
    NotIndexed {
        id: i64,
        slug: String,
    },
    /// In the index, but not as the card is now.
    Stale {
        id: i64,
        slug: String,
    },
    /// An archived card, or one no longer in the database, is still in the index.
    NotLive {
        id: i64,
        slug: String,
    },
    /// The card is in the index more than once.
    Duplicate {
        id: i64,
        slug: String,
        copies: usize,
    },
    FileMissing {
        slug: String,
        path: String,
    },
    FileUnreadable {
        slug: String,
        path: String,
        reason: String,
    },
    /// The file's bytes changed since the last sync (the sync reads it at its next rescan).
    FileChanged {
        slug: String,
        path: String,
    },
    /// The card changed in the app after its file was last written.
    FileBehind {
        slug: String,
        path: String,
        file_rev: i32,
        head_rev: i32,
    },
}

impl Difference {
    /// The card to index again, for differences `--repair` fixes card by card.
    fn card_to_reindex(&self) -> Option<i64> {
        match self {
            Difference::NotIndexed { id, .. }
            | Difference::Stale { id, .. }
            | Difference::NotLive { id, .. }
            | Difference::Duplicate { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Whether the whole index must be rebuilt.
    fn needs_rebuild(&self) -> bool {
        matches!(self, Difference::IndexReset | Difference::IndexAhead { .. })
    }

    /// Differences in the index (which `--repair` fixes), not in the content folder.
    pub fn in_index(&self) -> bool {
        self.needs_rebuild() || self.card_to_reindex().is_some()
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::IndexReset => {
                write!(f, "index: missing or from another version of Verity; every card must be indexed again")
            }
            Difference::IndexAhead { applied, latest } => write!(
                f,
                "index: records change {applied} but the database is at {latest} (built from another database)"
            ),
            Difference::NotIndexed { slug, .. } => write!(f, "index: `{slug}` is not in the index"),
            Difference::Stale { slug, .. } => write!(f, "index: `{slug}` is indexed as it was before its last change"),
            Difference::NotLive { slug, .. } => {
                write!(f, "index: `{slug}` is archived or deleted but still in the index")
            }
            Difference::Duplicate { slug, copies, .. } => write!(f, "index: `{slug}` is in the index {copies} times"),
            Difference::FileMissing { slug, path } => write!(f, "file: {path} (card `{slug}`) is missing"),
            Difference::FileUnreadable { slug, path, reason } => {
                write!(f, "file: {path} (card `{slug}`) cannot be read: {reason}")
            }
            Difference::FileChanged { slug, path } => {
                write!(f, "file: {path} changed since it was last synced with card `{slug}`")
            }
            Difference::FileBehind { slug, path, file_rev, head_rev } => {
                write!(f, "file: {path} holds revision {file_rev} of card `{slug}`, which is at revision {head_rev}")
            }
        }
    }
}

/// What one comparison found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Live and archived cards in the database.
    pub live: usize,
    pub archived: usize,
    /// Documents in the index.
    pub indexed: usize,
    /// Cards tied to a file in the content folder, compared with it.
    pub files: usize,
    /// The change the index's last commit reflects, and the newest in the database.
    pub applied_seq: i64,
    pub latest_seq: i64,
    /// A running server holds the index.
    pub server_running: bool,
    /// Cards changed since the index's last commit, left to the running server.
    pub pending: usize,
    /// The content folder was not there, so files were not compared.
    pub no_content_folder: bool,
    pub differences: Vec<Difference>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "database: {} live cards, {} archived, change log at {}",
            self.live, self.archived, self.latest_seq
        )?;
        let behind = (self.latest_seq - self.applied_seq).max(0);
        write!(f, "index: {} documents, committed up to change {} ({behind} behind)", self.indexed, self.applied_seq)?;
        if self.server_running {
            write!(f, "; held by a running server, {} recently changed cards left to it", self.pending)?;
        } else if behind > 0 {
            write!(f, "; `verity serve` catches up when it starts")?;
        }
        writeln!(f)?;
        if self.no_content_folder {
            writeln!(f, "content folder: not found, files not compared")?;
        } else {
            writeln!(f, "content folder: {} cards tied to files", self.files)?;
        }
        if self.differences.is_empty() {
            writeln!(f, "no differences")
        } else {
            writeln!(f, "{} differences:", self.differences.len())?;
            for d in &self.differences {
                writeln!(f, "  {d}")?;
            }
            Ok(())
        }
    }
}

/// The comparison, and what `--repair` did.
pub struct Outcome {
    pub found: Report,
    /// With `--repair`: how many cards were indexed again (all of them for a rebuild),
    /// and the comparison made afterwards.
    pub repaired: Option<(usize, Report)>,
}

impl Outcome {
    /// Nothing differs (any longer).
    pub fn is_clean(&self) -> bool {
        self.repaired.as_ref().map_or(&self.found, |(_, after)| after).is_clean()
    }
}

/// Compares the database with the index in `index_dir` and the files in `content`; with
/// `repair`, indexes again what differs in the index and compares again.
pub fn check(store: &Store, index_dir: &Path, content: Option<&Path>, repair: bool) -> anyhow::Result<Outcome> {
    let (index, opened) = SearchIndex::open(index_dir)?;
    let writer = match index.writer() {
        Ok(writer) => Some(writer),
        Err(IndexError::Locked) => None,
        Err(e) => return Err(e.into()),
    };
    if repair && writer.is_none() {
        bail!(
            "a running server holds the search index: stop it to repair (it catches up with the database by itself; \
             `verity check` without --repair is safe while it runs)"
        );
    }
    let fresh = opened == Opened::Fresh;
    let found = compare(store, &index, fresh, writer.is_none(), content)?;
    let Some(mut writer) = writer.filter(|_| repair && found.differences.iter().any(Difference::in_index)) else {
        return Ok(Outcome { found, repaired: None });
    };
    let reindexed = if found.differences.iter().any(Difference::needs_rebuild) {
        indexer::rebuild_all(store, &index, &mut writer)?;
        found.live
    } else {
        let mut ids: Vec<i64> = found.differences.iter().filter_map(Difference::card_to_reindex).collect();
        ids.sort_unstable();
        ids.dedup();
        indexer::reindex_cards(store, &index, &mut writer, &ids, found.latest_seq)?;
        ids.len()
    };
    writer.finish()?;
    let after = compare(store, &index, false, false, content)?;
    Ok(Outcome { found, repaired: Some((reindexed, after)) })
}

/// One pass over every card. `server_running`: someone else holds the writer, so cards
/// changed since the index's last commit are left out (see the module docs).
fn compare(
    store: &Store,
    index: &SearchIndex,
    fresh: bool,
    server_running: bool,
    content: Option<&Path>,
) -> anyhow::Result<Report> {
    let latest_seq = store.read(changes::last_seq)?;
    let mut report = Report { latest_seq, server_running, ..Report::default() };
    // Read before the cards: every card the index should know is then in the index.
    let inventory = inventory(index, server_running)?;
    report.applied_seq = inventory.applied_seq;
    report.indexed = inventory.cards.len();
    if fresh {
        report.differences.push(Difference::IndexReset);
    } else if inventory.applied_seq > latest_seq {
        report.differences.push(Difference::IndexAhead { applied: inventory.applied_seq, latest: latest_seq });
    }
    let mut indexed: HashMap<i64, (String, Vec<u64>)> = HashMap::with_capacity(inventory.cards.len());
    for card in inventory.cards {
        indexed.entry(card.id).or_insert_with(|| (card.slug, Vec::new())).1.push(card.fingerprint);
    }
    let root = content.filter(|dir| dir.is_dir());
    report.no_content_folder = root.is_none();
    let mut in_index = Vec::new();
    let ids = store.read(cards::all_ids)?;
    for chunk in ids.chunks(CHUNK) {
        for card in store.read(|c| cards::many(c, chunk))? {
            let entry = indexed.remove(&card.id);
            if card.archived_at.is_some() {
                report.archived += 1;
                if entry.is_some() {
                    in_index.push(Difference::NotLive { id: card.id, slug: card.slug });
                }
                continue;
            }
            report.live += 1;
            if let Some(root) = root
                && card.source_path.is_some()
            {
                report.files += 1;
                report.differences.extend(compare_file(root, &card));
            }
            let (id, slug) = (card.id, card.slug.clone());
            match entry {
                None => in_index.push(Difference::NotIndexed { id, slug }),
                Some((_, prints)) if prints.len() > 1 => {
                    in_index.push(Difference::Duplicate { id, slug, copies: prints.len() })
                }
                Some((_, prints)) if prints[0] != indexer::card_doc(&card).fingerprint() => {
                    in_index.push(Difference::Stale { id, slug })
                }
                Some(_) => {}
            }
        }
    }
    // Left over: documents of cards the database does not have at all.
    in_index.extend(indexed.into_iter().map(|(id, (slug, _))| Difference::NotLive { id, slug }));
    if server_running {
        // Read last: a card that changed while the cards were read has a change in here.
        let changing = changed_since(store, report.applied_seq)?;
        in_index.retain(|d| d.card_to_reindex().is_none_or(|id| !changing.contains(&id)));
        report.pending = changing.len();
    }
    if !fresh {
        in_index.sort_by_key(ToString::to_string);
        report.differences.splice(0..0, in_index);
    }
    Ok(report)
}

/// The index's documents. Beside a running server a commit may delete the files of the
/// segments being opened (merged away): try again on the newer commit.
fn inventory(index: &SearchIndex, server_running: bool) -> anyhow::Result<verity_index::Inventory> {
    let mut tries = if server_running { 5 } else { 1 };
    loop {
        tries -= 1;
        match index.inventory() {
            Err(e) if tries > 0 => tracing::debug!(error = %e, "the index changed while it was read; again"),
            read => return Ok(read?),
        }
    }
}

/// Cards with a change after `seq`.
fn changed_since(store: &Store, mut seq: i64) -> anyhow::Result<HashSet<i64>> {
    let mut ids = HashSet::new();
    loop {
        let batch = store.read(|c| changes::after(c, seq, CHANGES_CHUNK))?;
        let Some(last) = batch.last() else { return Ok(ids) };
        seq = last.seq;
        ids.extend(batch.iter().map(|c| c.card_id));
    }
}

/// How a card tied to a file differs from it, if it does.
fn compare_file(root: &Path, card: &Card) -> Option<Difference> {
    let path = card.source_path.clone()?;
    let slug = card.slug.clone();
    // Never follow a link out of the folder, nor read a huge file: `read_file` checks both.
    let hash = match verity_content::read_file(root, &path) {
        Ok((_, hash)) => hash,
        Err(_) if std::fs::symlink_metadata(root.join(&path)).is_err() => {
            return Some(Difference::FileMissing { slug, path });
        }
        Err(reason) => return Some(Difference::FileUnreadable { slug, path, reason }),
    };
    if card.source_hash.as_deref() != Some(hash.as_str()) {
        return Some(Difference::FileChanged { slug, path });
    }
    match card.source_rev {
        Some(file_rev) if file_rev != card.head_rev => {
            Some(Difference::FileBehind { slug, path, file_rev, head_rev: card.head_rev })
        }
        _ => None,
    }
}

/// Used by `verity check` in `cli.rs`: prints the outcome; true when nothing differs.
pub fn print(outcome: &Outcome) -> bool {
    print!("{}", outcome.found);
    if let Some((reindexed, after)) = &outcome.repaired {
        println!("repair: indexed {reindexed} cards again");
        let left: Vec<&Difference> = after.differences.iter().collect();
        if left.is_empty() {
            println!("after repair: no differences");
        } else {
            println!("after repair: {} differences left", left.len());
            for d in left {
                let why = if d.in_index() { "" } else { " (the content sync resolves this, not --repair)" };
                println!("  {d}{why}");
            }
        }
    } else if outcome.found.differences.iter().any(Difference::in_index) {
        println!("run `verity check --repair` (with the server stopped) to index the differing cards again");
    }
    outcome.is_clean()
}

#[cfg(test)]
mod tests;
