//! The `--content` folder as a live, two-way source.
//!
//! One thread owns all file work, so disk and database never race each other: it rescans
//! the folder when the watcher reports a change (and every 30 s, a polling fallback for
//! network mounts), and it writes cards edited in the app back to their files. Each card
//! remembers the hash of the bytes its file held when last synced and the revision they
//! were, so the thread recognises its own writes (no echo revisions), tells a rename from
//! a delete plus a create (same bytes, new path), and spots a file and the app both
//! changing since the last sync (a three-way merge, as the editor does).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use verity_content::confined::{self, Flush, WriteError};
use verity_content::{
    CardFile, FileError, FolderWatcher, ROOT_COLLECTION, card_file, hash_bytes, read_bytes, read_file, to_markdown,
    walk,
};
use verity_core::Clock;
use verity_store::cards::{self, Card, EditOutcome};
use verity_store::{DbConnection, Store, StoreError};

use crate::export::{draft_of, file_path};
use crate::import::{collection_for, edit_from_file, new_from_file};
use crate::indexer::IndexerHandle;

/// The author of revisions that came from the folder.
pub const SYNC_AUTHOR: &str = "file-sync";
/// Rescan this often even without events (network mounts do not report them).
const POLL: Duration = Duration::from_secs(30);

enum Job {
    Rescan(u64),
    WriteBack(u64, i64),
    Archive(u64, i64),
}

/// Where archived cards' files go: hidden, so scans skip them, and nothing is deleted.
pub const ARCHIVE_DIR: &str = ".verity-archive";

/// What the rest of the app holds to talk to the sync thread.
#[derive(Clone)]
pub struct SyncHandle {
    jobs: Sender<Job>,
    next: Arc<std::sync::atomic::AtomicU64>,
    done: watch::Receiver<u64>,
    problems: Arc<Mutex<Vec<FileError>>>,
    root: PathBuf,
}

impl SyncHandle {
    fn send(&self, job: impl FnOnce(u64) -> Job) -> u64 {
        let ticket = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if self.jobs.send(job(ticket)).is_err() {
            tracing::warn!("the content sync has stopped");
        }
        ticket
    }

    /// Asks for a rescan; returns a ticket to wait for.
    pub fn rescan(&self) -> u64 {
        self.send(Job::Rescan)
    }

    /// Asks for the card's file to be (re)written, if it lives in the folder.
    pub fn write_back(&self, card_id: i64) -> u64 {
        self.send(|t| Job::WriteBack(t, card_id))
    }

    /// Asks for an archived card's file to move out of the folder.
    pub fn archive(&self, card_id: i64) -> u64 {
        self.send(|t| Job::Archive(t, card_id))
    }

    /// Waits until the job with this ticket (and every one before it) is done.
    pub async fn wait(&self, ticket: u64, timeout: Duration) -> bool {
        let mut rx = self.done.clone();
        matches!(tokio::time::timeout(timeout, rx.wait_for(|done| *done >= ticket)).await, Ok(Ok(_)))
    }

    /// Files skipped at the last scan, and cards whose file was not written or moved
    /// (a symlink in the way), with the reason.
    pub fn problems(&self) -> Vec<FileError> {
        self.problems.lock().map(|p| p.clone()).unwrap_or_default()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// The sync writes a new card's file, then records it: a crash in between leaves a file
/// no card is tied to, holding exactly what the sync wrote. That file is the card's (not
/// a new card's): it sits where the card's file goes and holds the card at one of its
/// revisions (the head, or an older one when later write-backs were lost too). Returns
/// the card and that revision.
fn written_back_before_a_crash(
    c: &mut DbConnection,
    file: &CardFile,
    hash: &str,
) -> Result<Option<(i64, i32)>, StoreError> {
    let Ok(card) = cards::by_slug(c, file.slug.as_str()) else { return Ok(None) };
    let own_path = file_path(&card).to_string_lossy().replace('\\', "/") == file.path;
    if card.source_path.is_some() || card.archived_at.is_some() || !own_path {
        return Ok(None);
    }
    // Newest first: the head is the likeliest.
    for revision in cards::revisions(c, card.id)? {
        let mut draft = draft_of(&card);
        (draft.title, draft.body, draft.tags) = (revision.title, revision.body, revision.tags);
        if hash_bytes(to_markdown(&draft).as_bytes()) == hash {
            return Ok(Some((card.id, revision.rev)));
        }
    }
    Ok(None)
}

/// The running sync: its thread and the folder watcher.
pub struct ContentSync {
    handle: SyncHandle,
    thread: Option<JoinHandle<()>>,
    _watcher: Option<FolderWatcher>,
}

struct Worker {
    root: PathBuf,
    store: Store,
    indexer: IndexerHandle,
    clock: Arc<dyn Clock>,
    /// What the handle shows: the last scan's problems, then the refusals.
    problems: Arc<Mutex<Vec<FileError>>>,
    scan_problems: RefCell<Vec<FileError>>,
    /// Cards whose file could not be written or archived because a symlink stood in the
    /// way, by card id. Retried at every rescan, until the link is gone.
    refused: RefCell<BTreeMap<i64, Refusal>>,
}

struct Refusal {
    problem: FileError,
    /// The card is archived but its file could not move aside: the file stays where it
    /// is, and rescans leave it alone rather than bring the card back.
    archiving: bool,
}

impl ContentSync {
    /// Starts following `root`; the first full scan is queued at once.
    pub fn start(
        root: PathBuf,
        store: Store,
        indexer: IndexerHandle,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<ContentSync> {
        let (jobs, rx) = mpsc::channel();
        let (done_tx, done) = watch::channel(0u64);
        let problems = Arc::new(Mutex::new(Vec::new()));
        let handle =
            SyncHandle { jobs, next: Arc::new(0.into()), done, problems: problems.clone(), root: root.clone() };
        let watcher = {
            let h = handle.clone();
            match FolderWatcher::start(&root, move || {
                h.rescan();
            }) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, folder = %root.display(), "cannot watch the content folder; polling instead");
                    None
                }
            }
        };
        let worker = Worker {
            root,
            store,
            indexer,
            clock,
            problems,
            scan_problems: RefCell::default(),
            refused: RefCell::default(),
        };
        let thread = std::thread::Builder::new().name("verity-sync".into()).spawn(move || worker.run(rx, done_tx))?;
        handle.rescan();
        Ok(ContentSync { handle, thread: Some(thread), _watcher: watcher })
    }

    pub fn handle(&self) -> SyncHandle {
        self.handle.clone()
    }

    pub fn stop(mut self) {
        self._watcher = None;
        // Handles live on in request state; an impossible ticket tells the thread to end.
        let _ = self.handle.jobs.send(Job::Rescan(u64::MAX));
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the content sync thread panicked");
        }
    }
}

impl Worker {
    fn run(self, rx: mpsc::Receiver<Job>, done: watch::Sender<u64>) {
        let mut first_scan = true;
        loop {
            let job = match rx.recv_timeout(POLL) {
                Ok(job) => Some(job),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let ticket = match job {
                Some(Job::Rescan(u64::MAX)) => return,
                Some(Job::Rescan(t)) => {
                    self.log(self.rescan());
                    if std::mem::take(&mut first_scan) {
                        self.log(self.write_back_lagging());
                    }
                    Some(t)
                }
                Some(Job::WriteBack(t, id)) => {
                    self.log(self.write_back(id));
                    Some(t)
                }
                Some(Job::Archive(t, id)) => {
                    self.log(self.move_to_archive(id));
                    Some(t)
                }
                None => {
                    self.log(self.rescan());
                    None
                }
            };
            self.publish_problems();
            if let Some(t) = ticket {
                done.send_modify(|d| *d = (*d).max(t));
            }
        }
    }

    fn log(&self, result: Result<(), StoreError>) {
        if let Err(e) = result {
            tracing::error!(error = %e, "content sync failed; retrying at the next change");
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Shows the last scan's problems and the refusals on the handle, logging each new
    /// one once (not at every rescan).
    fn publish_problems(&self) {
        let mut problems = self.scan_problems.borrow().clone();
        problems.extend(self.refused.borrow().values().map(|r| r.problem.clone()));
        if let Ok(mut previous) = self.problems.lock() {
            for p in problems.iter().filter(|p| !previous.contains(p)) {
                tracing::warn!(path = %p.path, reason = %p.reason, "file skipped");
            }
            *previous = problems;
        }
    }

    /// Remembers (or forgets) that the card's file could not be written or moved.
    fn set_refused(&self, id: i64, refusal: Option<Refusal>) {
        let mut refused = self.refused.borrow_mut();
        match refusal {
            Some(r) => refused.insert(id, r),
            None => refused.remove(&id),
        };
    }

    /// Compares the folder with the cards tied to it and applies the difference.
    fn rescan(&self) -> Result<(), StoreError> {
        self.retry_refused()?;
        let (paths, mut problems) = walk(&self.root);
        let known: HashMap<String, (i64, Option<String>)> =
            self.store.read(cards::synced_files)?.into_iter().map(|(id, path, hash)| (path, (id, hash))).collect();
        let parked: HashSet<String> =
            self.refused.borrow().values().filter(|r| r.archiving).map(|r| r.problem.path.clone()).collect();
        let present: HashSet<&str> = paths.iter().map(String::as_str).collect();
        let mut new_files: Vec<(CardFile, String)> = Vec::new();
        let mut changed = false;
        for rel in paths.iter().filter(|rel| !parked.contains(*rel)) {
            // Checked (a regular file inside the folder, not too big) before it is read.
            let bytes = match read_bytes(&self.root, rel) {
                Ok(bytes) => bytes,
                Err(reason) => {
                    problems.push(FileError { path: rel.clone(), reason });
                    continue;
                }
            };
            let hash = hash_bytes(&bytes);
            let known_card = known.get(rel);
            if let Some((_, Some(stored))) = known_card
                && *stored == hash
            {
                continue; // unchanged, or our own write
            }
            match card_file(rel, bytes) {
                Ok(file) => match known_card {
                    Some((id, _)) => changed |= self.apply_change(*id, &file, &hash)?,
                    None => new_files.push((file, hash)),
                },
                Err(reason) => problems.push(FileError { path: rel.clone(), reason }),
            }
        }
        // Cards whose file is gone: moved (same bytes elsewhere) or deleted.
        let mut missing: Vec<(&String, i64, Option<&String>)> = known
            .iter()
            .filter(|(p, _)| !present.contains(p.as_str()))
            .map(|(p, (id, h))| (p, *id, h.as_ref()))
            .collect();
        for (file, hash) in new_files {
            let moved = missing.iter().position(|(_, _, h)| *h == Some(&hash));
            changed = true;
            match moved {
                Some(i) => {
                    let (_, id, _) = missing.remove(i);
                    self.apply_move(id, &file, &hash)?;
                }
                None => self.apply_new(&file, &hash)?,
            }
        }
        for (path, id, _) in missing {
            let now = self.now();
            self.store.write(|c| cards::archive(c, id, now))?;
            tracing::info!(path = %path, "file deleted; card archived");
            changed = true;
        }
        *self.scan_problems.borrow_mut() = problems;
        if changed {
            self.indexer.wake();
        }
        Ok(())
    }

    /// Tries again what a symlink stopped: it may have been removed since.
    fn retry_refused(&self) -> Result<(), StoreError> {
        let ids: Vec<i64> = std::mem::take(&mut *self.refused.borrow_mut()).into_keys().collect();
        for id in ids {
            // Each does nothing unless the card needs it, and remembers a new refusal.
            self.write_back(id)?;
            self.move_to_archive(id)?;
        }
        Ok(())
    }

    /// A new file: a new card, or an archived card coming back at the same path.
    fn apply_new(&self, file: &CardFile, hash: &str) -> Result<(), StoreError> {
        let now = self.now();
        self.store.write(|c| {
            let saved = match cards::archived_by_source_path(c, &file.path)? {
                Some(card) => {
                    cards::unarchive(c, card.id, now)?;
                    let collection = collection_for(c, file, now)?;
                    let edit = edit_from_file(file, SYNC_AUTHOR, "changed on disk", None, Some(collection.id));
                    match cards::edit(c, card.id, edit, now)? {
                        EditOutcome::Saved(s) => s.card,
                        EditOutcome::Unchanged(card) => card,
                    }
                }
                None => {
                    if let Some((id, rev)) = written_back_before_a_crash(c, file, hash)? {
                        tracing::info!(path = %file.path, "a file written just before a crash: tied to its card");
                        // An older revision's file is written again after the first rescan.
                        return cards::set_synced(c, id, &file.path, hash, rev);
                    }
                    let collection = collection_for(c, file, now)?;
                    let new =
                        new_from_file(file, collection.id, SYNC_AUTHOR, "created on disk", Some(file.path.clone()));
                    cards::create(c, new, now)?.card
                }
            };
            cards::set_synced(c, saved.id, &file.path, hash, saved.head_rev)
        })
    }

    /// The same bytes at a new path: the same card, under its new path and collection.
    fn apply_move(&self, id: i64, file: &CardFile, hash: &str) -> Result<(), StoreError> {
        let now = self.now();
        self.store.write(|c| {
            let collection = collection_for(c, file, now)?;
            let edit = edit_from_file(file, SYNC_AUTHOR, "moved on disk", Some(file.path.clone()), Some(collection.id));
            let card = match cards::edit(c, id, edit, now)? {
                EditOutcome::Saved(s) => s.card,
                EditOutcome::Unchanged(card) => card,
            };
            cards::set_synced(c, id, &file.path, hash, card.head_rev)
        })?;
        tracing::info!(path = %file.path, "file moved; card kept");
        Ok(())
    }

    /// A changed file. If the card was not edited in the app since the last sync, the
    /// file wins; otherwise the two are merged, and overlapping edits keep both.
    fn apply_change(&self, id: i64, file: &CardFile, hash: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let card = self.store.read(|c| cards::by_id(c, id))?;
        let synced_rev = card.source_rev.unwrap_or(card.head_rev);
        if card.head_rev == synced_rev {
            self.store.write(|c| {
                let edit = edit_from_file(file, SYNC_AUTHOR, "changed on disk", None, None);
                let head = match cards::edit(c, id, edit, now)? {
                    EditOutcome::Saved(s) => s.card.head_rev,
                    EditOutcome::Unchanged(card) => card.head_rev,
                };
                cards::set_synced(c, id, &file.path, hash, head)
            })?;
            return Ok(true);
        }
        let base = self.store.read(|c| cards::revision(c, id, synced_rev))?;
        let theirs = &file.draft.body;
        match verity_core::merge::merge(&base.body, &card.body, theirs) {
            Ok(merged) => {
                self.store.write(|c| {
                    let mut edit = edit_from_file(file, SYNC_AUTHOR, "merged changes from disk", None, None);
                    edit.body = merged;
                    // The app's title and tags stand unless only the file changed them.
                    if card.title != base.title {
                        edit.title = card.title.clone();
                    }
                    if card.tags != base.tags {
                        edit.tags = card.tags.clone();
                    }
                    cards::edit(c, id, edit, now).map(|_| ())
                })?;
            }
            Err(_) => {
                // Overlapping edits: the disk version becomes a revision, the app's
                // version stays the head, and the card is flagged for a person to look.
                self.store.write(|c| {
                    let disk = edit_from_file(
                        file,
                        SYNC_AUTHOR,
                        "changed on disk (conflict: kept as this revision)",
                        None,
                        None,
                    );
                    cards::edit(c, id, disk, now)?;
                    let mut app = edit_from_file(
                        file,
                        SYNC_AUTHOR,
                        "kept the app's version after a conflict with the file",
                        None,
                        None,
                    );
                    app.title = card.title.clone();
                    app.body = card.body.clone();
                    app.tags = card.tags.clone();
                    cards::edit(c, id, app, now)?;
                    cards::set_sync_conflict(c, id, true)
                })?;
                tracing::warn!(path = %file.path, "the file and the app changed the same lines; both kept");
            }
        }
        // The file now lags the merged head: write it.
        self.write_back(id)?;
        Ok(true)
    }

    /// Writes the card's file (creating it for a card made in the app in a collection
    /// that has a folder), unless it already holds exactly these bytes.
    fn write_back(&self, id: i64) -> Result<(), StoreError> {
        let card = self.store.read(|c| cards::by_id(c, id))?;
        if card.archived_at.is_some() {
            return Ok(());
        }
        let Some(rel) = card.source_path.clone().or_else(|| self.path_for_new(&card)) else {
            return Ok(());
        };
        let text = to_markdown(&draft_of(&card));
        let hash = hash_bytes(text.as_bytes());
        if card.source_hash.as_deref() == Some(hash.as_str()) && confined::is_regular_file(&self.root, &rel) {
            self.set_refused(id, None);
            return Ok(());
        }
        match confined::write_file(&self.root, &rel, text.as_bytes(), Flush::Durable) {
            Ok(()) => self.set_refused(id, None),
            Err(WriteError::Refused(why)) => {
                // The app keeps the edit; the file waits until the link is gone.
                let reason = format!("not written: {why}; the card keeps its edits");
                self.set_refused(id, Some(Refusal { problem: FileError { path: rel, reason }, archiving: false }));
                return Ok(());
            }
            Err(WriteError::Io(e)) => {
                tracing::error!(path = %rel, error = %e, "cannot write the card's file");
                return Ok(());
            }
        }
        // A card back from the archive: its archived copy has served its purpose.
        if let Err(e) = confined::remove_file(&self.root, &format!("{ARCHIVE_DIR}/{rel}")) {
            tracing::warn!(path = %rel, error = %e, "cannot remove the archived copy of a card's file");
        }
        self.store.write(|c| cards::set_synced(c, id, &rel, &hash, card.head_rev))
    }

    /// Write-backs wait in memory, so a crash after an edit's commit loses its
    /// write-back, and the file keeps an older revision. At start-up, once the first
    /// rescan took in the files changed on disk, writes again every file that still holds
    /// the bytes last synced but an older revision than its card.
    fn write_back_lagging(&self) -> Result<(), StoreError> {
        let files = self.store.read(cards::synced_files)?;
        let ids: Vec<i64> = files.iter().map(|(id, _, _)| *id).collect();
        for chunk in ids.chunks(500) {
            for card in self.store.read(|c| cards::many(c, chunk))? {
                let (Some(rel), Some(rev)) = (&card.source_path, card.source_rev) else { continue };
                if rev >= card.head_rev {
                    continue;
                }
                // `read_file` checks links and size before reading.
                let on_disk = read_file(&self.root, rel).ok().map(|(_, hash)| hash);
                if on_disk.is_some() && on_disk == card.source_hash {
                    tracing::info!(path = %rel, "writing back an edit the last run did not");
                    self.write_back(card.id)?;
                }
            }
        }
        Ok(())
    }

    /// Moves an archived card's file under `.verity-archive/`, keeping its path there.
    fn move_to_archive(&self, id: i64) -> Result<(), StoreError> {
        let card = self.store.read(|c| cards::by_id(c, id))?;
        let Some(rel) = card.source_path.clone() else { return Ok(()) };
        if card.archived_at.is_none() || confined::is_free(&self.root, &rel) {
            return Ok(());
        }
        match confined::move_file(&self.root, &rel, &format!("{ARCHIVE_DIR}/{rel}")) {
            Ok(()) => self.set_refused(id, None),
            Err(WriteError::Refused(why)) => {
                let reason =
                    format!("not moved to the archive: {why}; the card stays archived and the file stays here");
                self.set_refused(id, Some(Refusal { problem: FileError { path: rel, reason }, archiving: true }));
            }
            Err(WriteError::Io(e)) => tracing::error!(path = %rel, error = %e, "cannot move an archived card's file"),
        }
        Ok(())
    }

    /// Where a card made in the app goes: only into collections the folder has (a real
    /// folder: a symlinked one is never written through).
    fn path_for_new(&self, card: &Card) -> Option<String> {
        let folder_exists = card.collection == ROOT_COLLECTION || confined::is_real_dir(&self.root, &card.collection);
        if !folder_exists {
            return None;
        }
        let path = file_path(card).to_string_lossy().replace('\\', "/");
        confined::is_free(&self.root, &path).then_some(path)
    }
}
