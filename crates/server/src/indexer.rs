//! The index follows the database's change log on its own thread, which owns the only
//! `IndexWriter`. Writers wake it; it applies every change after the last one committed,
//! commits once per pass with the applied `seq` as payload, reloads the reader, and
//! publishes the seq so `?wait=true` requests can return once their change is searchable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
/// Batches applied between commits during a bulk import. Each commit ends a segment, and
/// small segments are merged again and again in the background, taking CPU time from
/// the import itself.
const BULK_BATCHES_PER_COMMIT: usize = 20;
/// Without a wake-up, look for changes made by other processes this often.
const POLL: Duration = Duration::from_secs(2);
/// After a failure (database down, disk full), wait this long before trying again.
const RETRY: Duration = Duration::from_secs(1);

/// How a request or a command talks to the running indexer.
#[derive(Clone)]
pub struct IndexerHandle {
    wake: SyncSender<()>,
    applied: watch::Receiver<i64>,
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
        self.wake();
        let mut rx = self.applied.clone();
        matches!(tokio::time::timeout(timeout, rx.wait_for(|applied| *applied >= seq)).await, Ok(Ok(_)))
    }

    /// Blocks the calling (non-async) thread until `seq` is searchable or `timeout` passes.
    pub fn wait_for_blocking(&self, seq: i64, timeout: Duration) -> bool {
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
    pub fn start_bulk(store: Store, index: Arc<SearchIndex>, rebuild: bool) -> anyhow::Result<Indexer> {
        Self::start_with(store, index, rebuild, BULK_BATCHES_PER_COMMIT)
    }

    fn start_with(
        store: Store,
        index: Arc<SearchIndex>,
        rebuild: bool,
        batches_per_commit: usize,
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
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new().name("verity-indexer".into()).spawn(move || {
            let mut applied = applied;
            while !stopping.load(Ordering::Acquire) {
                match catch_up(&store, &index, &mut writer, applied, batches_per_commit) {
                    Ok(seq) => {
                        applied = seq;
                        // Wake waiters only when something moved (send_replace always notifies).
                        applied_tx.send_if_modified(|current| std::mem::replace(current, applied) != applied);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "indexing failed; retrying");
                        std::thread::sleep(RETRY);
                        continue;
                    }
                }
                match wake_rx.recv_timeout(POLL) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            if let Err(e) = writer.finish() {
                tracing::warn!(error = %e, "index merges did not finish cleanly");
            }
        })?;
        Ok(Indexer { handle: IndexerHandle { wake, applied: applied_rx }, stop, thread: Some(thread) })
    }

    pub fn handle(&self) -> IndexerHandle {
        self.handle.clone()
    }

    /// Stops after the current pass. Every committed change stays committed.
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

/// Applies every change after `applied`, committing after every `batches_per_commit`
/// batches and at the end, so that a steady stream of writes (a bulk import) becomes
/// searchable as it goes.
fn catch_up(
    store: &Store,
    index: &SearchIndex,
    writer: &mut Writer,
    mut applied: i64,
    batches_per_commit: usize,
) -> anyhow::Result<i64> {
    let mut read = applied;
    let mut batches = 0;
    loop {
        let batch = store.read(|c| changes::after(c, read, BATCH))?;
        let Some(last) = batch.last() else { break };
        read = last.seq;
        let mut ids: Vec<i64> = batch.iter().map(|c| c.card_id).collect();
        ids.sort_unstable();
        ids.dedup();
        apply(store, writer, &ids)?;
        batches += 1;
        if batches % batches_per_commit == 0 {
            applied = commit(index, writer, applied, read)?;
        }
    }
    if read > applied {
        applied = commit(index, writer, applied, read)?;
    }
    Ok(applied)
}

/// Commits what was applied up to change `to` and makes it searchable.
fn commit(index: &SearchIndex, writer: &mut Writer, from: i64, to: i64) -> anyhow::Result<i64> {
    writer.commit(to)?;
    index.reload()?;
    tracing::debug!(from, to, "index caught up");
    Ok(to)
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
    let ids = store.read(cards::all_ids)?;
    for chunk in ids.chunks(BATCH as usize) {
        apply(store, writer, chunk)?;
    }
    writer.commit(seq)?;
    index.reload()?;
    tracing::info!(cards = ids.len(), "search index rebuilt");
    Ok(seq)
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
