//! The index follows the database's change log on its own thread, which owns the only
//! `IndexWriter`. Writers wake it; it applies every change after the last one committed,
//! commits once per pass with the applied `seq` as payload, reloads the reader, and
//! publishes the seq so `?wait=true` requests can return once their change is searchable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;
use verity_core::markdown;
use verity_index::{CardDoc, SearchIndex, Writer};
use verity_store::cards::Card;
use verity_store::{Store, cards, changes};

/// Changes read per query while catching up.
const BATCH: i64 = 1000;
/// Changes applied between commits during a bulk import. Each commit ends a segment, and
/// small segments are merged again and again in the background, taking CPU time from
/// the import itself.
const BULK_CHANGES_PER_COMMIT: i64 = 20_000;
/// Without a wake-up, look for changes made by other processes this often.
const POLL: Duration = Duration::from_secs(2);
/// After a failure (database down, disk full), wait this long before trying again.
const RETRY: Duration = Duration::from_secs(1);

/// How a request or a command talks to the running indexer.
#[derive(Clone)]
pub struct IndexerHandle {
    wake: SyncSender<()>,
    applied: watch::Receiver<i64>,
    /// The highest seq anyone has waited for: a bulk indexer commits as soon as it has
    /// applied that far, instead of when it next would.
    awaited: Arc<AtomicI64>,
}

impl IndexerHandle {
    /// Asks for a pass soon. Never blocks: a pending wake-up already covers this one.
    pub fn wake(&self) {
        match self.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => tracing::warn!("the indexer has stopped"),
        }
    }

    /// The last change seq that searches can see.
    pub fn applied(&self) -> i64 {
        *self.applied.borrow()
    }

    /// Waits until change `seq` is searchable; false if that took longer than `timeout`.
    pub async fn wait_for(&self, seq: i64, timeout: Duration) -> bool {
        self.awaited.fetch_max(seq, Ordering::AcqRel);
        self.wake();
        let mut rx = self.applied.clone();
        matches!(tokio::time::timeout(timeout, rx.wait_for(|applied| *applied >= seq)).await, Ok(Ok(_)))
    }

    /// Blocks the calling (non-async) thread until `seq` is searchable or `timeout` passes.
    pub fn wait_for_blocking(&self, seq: i64, timeout: Duration) -> bool {
        self.awaited.fetch_max(seq, Ordering::AcqRel);
        self.wake();
        let deadline = std::time::Instant::now() + timeout;
        while self.applied() < seq {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }
}

/// The running indexer thread; stopping it commits and waits for merges.
pub struct Indexer {
    handle: IndexerHandle,
    /// Handles live on in request state after shutdown, so stopping is an explicit flag
    /// rather than waiting for every sender to go.
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    /// Starts following the change log. With `rebuild`, first indexes every card.
    pub fn start(store: Store, index: Arc<SearchIndex>, rebuild: bool) -> anyhow::Result<Indexer> {
        Self::start_with(store, index, rebuild, 1)
    }

    /// [`Indexer::start`] for a bulk import (`verity import`), where nobody searches until
    /// it ends: commits are rarer, so the index is built from fewer, larger segments.
    /// Besides every [`BULK_CHANGES_PER_COMMIT`] changes, it commits only when someone
    /// waits for a change, or when the writes pause for [`POLL`]. (Committing whenever it
    /// caught up with the writes, as the server does, made a segment of every few
    /// hundred cards.)
    pub fn start_bulk(store: Store, index: Arc<SearchIndex>, rebuild: bool) -> anyhow::Result<Indexer> {
        Self::start_with(store, index, rebuild, BULK_CHANGES_PER_COMMIT)
    }

    fn start_with(
        store: Store,
        index: Arc<SearchIndex>,
        rebuild: bool,
        changes_per_commit: i64,
    ) -> anyhow::Result<Indexer> {
        let mut writer = index.writer()?;
        let mut applied = index.applied_seq()?;
        // An index ahead of the database belongs to another database (a new URL, a
        // restored backup): rebuild it.
        let rebuild = rebuild || applied > store.read(changes::last_seq)?;
        if rebuild {
            applied = rebuild_all(&store, &index, &mut writer)?;
        }
        let (wake, wake_rx) = mpsc::sync_channel(1);
        let (applied_tx, applied_rx) = watch::channel(applied);
        let awaited = Arc::new(AtomicI64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let handle = IndexerHandle { wake, applied: applied_rx, awaited: awaited.clone() };
        let thread = std::thread::Builder::new().name("verity-indexer".into()).spawn(move || {
            let mut at = Progress { read: applied, applied };
            // Whether this pass follows a pause in the writes (no wake-up for POLL).
            let mut idle = false;
            loop {
                // Asked to stop: one last pass commits every change written until now, so
                // the next start has nothing to catch up.
                let last = stopping.load(Ordering::Acquire);
                let pass = catch_up(&store, &index, &mut writer, &mut at, changes_per_commit).and_then(|()| {
                    // Left uncommitted only in bulk mode (the server commits every batch).
                    let wanted = idle || last || awaited.load(Ordering::Acquire) > at.applied;
                    if at.read > at.applied && wanted { commit(&store, &index, &mut writer, &mut at) } else { Ok(()) }
                });
                match pass {
                    Ok(()) => {
                        let applied = at.applied;
                        // Wake waiters only when something moved (send_replace always notifies).
                        applied_tx.send_if_modified(|current| std::mem::replace(current, applied) != applied);
                    }
                    Err(e) if last => {
                        tracing::error!(error = %e, "indexing failed while stopping; the next start catches up");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "indexing failed; retrying");
                        // Apply again everything not committed (harmless: delete + add).
                        at.read = at.applied;
                        std::thread::sleep(RETRY);
                        continue;
                    }
                }
                if last {
                    break;
                }
                match wake_rx.recv_timeout(POLL) {
                    Ok(()) => idle = false,
                    Err(RecvTimeoutError::Timeout) => idle = true,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            if let Err(e) = writer.finish() {
                tracing::warn!(error = %e, "index merges did not finish cleanly");
            }
        })?;
        Ok(Indexer { handle, stop, thread: Some(thread) })
    }

    pub fn handle(&self) -> IndexerHandle {
        self.handle.clone()
    }

    /// Stops after one last pass, which commits every change written until now.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        self.handle.wake();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the indexer thread panicked");
        }
    }
}

/// How far the indexer got: changes up to `read` are in the writer, those up to
/// `applied` are committed and searchable.
struct Progress {
    read: i64,
    applied: i64,
}

/// Applies every change after `at.read`, committing once `changes_per_commit` changes
/// wait for it, so that a steady stream of writes (a bulk import) becomes searchable as
/// it goes. The caller decides whether to commit the rest.
fn catch_up(
    store: &Store,
    index: &SearchIndex,
    writer: &mut Writer,
    at: &mut Progress,
    changes_per_commit: i64,
) -> anyhow::Result<()> {
    loop {
        let batch = store.read(|c| changes::after(c, at.read, BATCH))?;
        let Some(last) = batch.last() else { break };
        let mut ids: Vec<i64> = batch.iter().map(|c| c.card_id).collect();
        ids.sort_unstable();
        ids.dedup();
        apply(store, writer, &ids)?;
        at.read = last.seq;
        if at.read - at.applied >= changes_per_commit {
            commit(store, index, writer, at)?;
        }
    }
    Ok(())
}

/// Commits what was applied up to change `at.read` and makes it searchable.
fn commit(store: &Store, index: &SearchIndex, writer: &mut Writer, at: &mut Progress) -> anyhow::Result<()> {
    writer.commit(at.read)?;
    if index.reload()? {
        index_again(store, index, writer, at.read)?;
    }
    tracing::debug!(from = at.applied, to = at.read, "index caught up");
    at.applied = at.read;
    Ok(())
}

/// Indexes every card again, once the first common words are known, so that every card
/// has their pairs (see `verity_index` `pairs`).
fn index_again(store: &Store, index: &SearchIndex, writer: &mut Writer, seq: i64) -> anyhow::Result<()> {
    let cards = apply_all(store, writer)?;
    writer.commit(seq)?;
    index.reload()?;
    tracing::info!(cards, "indexed every card again with the common words' pairs");
    Ok(())
}

/// Applies every card; returns how many there are.
fn apply_all(store: &Store, writer: &mut Writer) -> anyhow::Result<usize> {
    let ids = store.read(cards::all_ids)?;
    for chunk in ids.chunks(BATCH as usize) {
        apply(store, writer, chunk)?;
    }
    Ok(ids.len())
}

fn apply(store: &Store, writer: &mut Writer, ids: &[i64]) -> anyhow::Result<()> {
    let cards = store.read(|c| cards::many(c, ids))?;
    for card in &cards {
        if card.archived_at.is_some() {
            writer.delete(card.id);
        } else {
            writer.upsert(&card_doc(card))?;
        }
    }
    Ok(())
}

/// Indexes every card from scratch; returns the seq the index now reflects.
pub fn rebuild_all(store: &Store, index: &SearchIndex, writer: &mut Writer) -> anyhow::Result<i64> {
    // Read the log position first: changes after it are applied again later, which is harmless.
    let seq = store.read(changes::last_seq)?;
    writer.delete_all()?;
    let cards = apply_all(store, writer)?;
    writer.commit(seq)?;
    // A new index learns its common words from this first build: a big one is built twice.
    if index.reload()? {
        index_again(store, index, writer, seq)?;
    }
    tracing::info!(cards, "search index rebuilt");
    Ok(seq)
}

/// Rebuilds the search index in `dir` from the database (`verity reindex`, `verity
/// restore`); returns how many cards it holds and the seq it reflects. A running server
/// holds the index's writer, so this refuses while one does.
pub fn rebuild_in(store: &Store, dir: &std::path::Path) -> anyhow::Result<(u64, i64)> {
    let (index, _) = SearchIndex::open(dir)?;
    let mut writer = match index.writer() {
        Ok(w) => w,
        Err(verity_index::IndexError::Locked) => {
            anyhow::bail!("the search index is in use: stop `verity serve` first")
        }
        Err(e) => return Err(e.into()),
    };
    let seq = rebuild_all(store, &index, &mut writer)?;
    writer.finish()?;
    Ok((index.num_docs(), seq))
}

/// Indexes these cards again, or removes them when archived or gone (which also removes
/// any second copy), then commits `seq`: what `verity check --repair` does.
pub fn reindex_cards(
    store: &Store,
    index: &SearchIndex,
    writer: &mut Writer,
    ids: &[i64],
    seq: i64,
) -> anyhow::Result<()> {
    for &id in ids {
        writer.delete(id);
    }
    for chunk in ids.chunks(BATCH as usize) {
        apply(store, writer, chunk)?;
    }
    writer.commit(seq)?;
    if index.reload()? {
        index_again(store, index, writer, seq)?;
    }
    Ok(())
}

pub fn card_doc(card: &Card) -> CardDoc {
    CardDoc {
        id: card.id,
        slug: card.slug.clone(),
        title: card.title.clone(),
        headings: markdown::headings(&card.body),
        // The title is indexed (and shown) on its own; a heading repeating it would only
        // open every snippet with the title again.
        text: markdown::to_text(markdown::without_title_heading(&card.body, &card.title)),
        tags: card.tags.clone(),
        collection: card.collection.clone(),
        due: card.due_times(),
        updated_at: card.updated_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{self, Source};

    #[test]
    fn a_bulk_import_is_searchable_once_waited_for_and_reimporting_replaces_cards() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("verity.db").to_str().unwrap()).unwrap();
        let (index, _) = SearchIndex::open(&dir.path().join("index")).unwrap();
        let index = Arc::new(index);
        let indexer = Indexer::start_bulk(store.clone(), index.clone(), true).unwrap();
        let handle = indexer.handle();
        let content = dir.path().join("content");
        std::fs::create_dir(&content).unwrap();
        for round in ["first", "second"] {
            for name in ["a", "b", "c"] {
                std::fs::write(content.join(format!("{name}.md")), format!("# {name}\n\nThe {round} text.")).unwrap();
            }
            let now = chrono::Utc::now();
            let report = import::import_dir(&store, &content, Source::OneOff, now, &|_, _| handle.wake());
            assert_eq!(report.skipped.len(), 0);
            assert!(handle.wait_for_blocking(report.last_seq, Duration::from_secs(30)));
            assert_eq!(handle.applied(), report.last_seq);
            // Updates replace the cards (delete + add), also when several passes went by
            // without a commit.
            assert_eq!(index.num_docs(), 3, "{round}");
        }
        indexer.stop();
    }

    #[test]
    fn stopping_commits_the_changes_written_since_the_last_pass() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("verity.db").to_str().unwrap()).unwrap();
        let (index, _) = SearchIndex::open(&dir.path().join("index")).unwrap();
        let index = Arc::new(index);
        let indexer = Indexer::start(store.clone(), index.clone(), true).unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir(&content).unwrap();
        std::fs::write(content.join("a.md"), "# A\n\nWritten just before the stop.").unwrap();
        // Nobody wakes the indexer: the stop finds these changes unapplied.
        let report = import::import_dir(&store, &content, Source::OneOff, chrono::Utc::now(), &|_, _| {});
        assert!(report.last_seq > 0);
        indexer.stop();
        assert_eq!(index.applied_seq().unwrap(), report.last_seq, "committed on the way out");
        let (reopened, _) = SearchIndex::open(&dir.path().join("index")).unwrap();
        assert_eq!(reopened.num_docs(), 1);
    }

    #[test]
    fn once_the_first_common_words_appear_every_card_is_indexed_again_with_their_pairs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("verity.db").to_str().unwrap()).unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir(&content).unwrap();
        for i in 0..6 {
            std::fs::write(content.join(format!("c{i}.md")), format!("# Card {i}\n\nThe escalation policy applies."))
                .unwrap();
        }
        // Following the writes: the words become common while the cards arrive.
        let (index, _) = SearchIndex::open(&dir.path().join("index")).unwrap();
        index.set_common_in(3);
        let index = Arc::new(index);
        let indexer = Indexer::start(store.clone(), index.clone(), true).unwrap();
        let handle = indexer.handle();
        let report = import::import_dir(&store, &content, Source::OneOff, chrono::Utc::now(), &|_, _| handle.wake());
        assert!(handle.wait_for_blocking(report.last_seq, Duration::from_secs(30)));
        assert_eq!(index.num_docs(), 6);
        assert_eq!(index.cards_without_pairs().unwrap(), 0);
        indexer.stop();
        // Rebuilding a new index from the database: it learns them from its first build.
        let (fresh, _) = SearchIndex::open(&dir.path().join("fresh")).unwrap();
        fresh.set_common_in(3);
        rebuild_all(&store, &fresh, &mut fresh.writer().unwrap()).unwrap();
        assert_eq!(fresh.num_docs(), 6);
        assert_eq!(fresh.cards_without_pairs().unwrap(), 0);
    }
}
