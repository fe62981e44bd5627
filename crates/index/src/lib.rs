//! Verity's full-text index: a tantivy index on disk that follows the database.
//!
//! The index is a cache: [`SearchIndex::open`] wipes it whenever its schema version
//! changed, and the server rebuilds it from the database. Each commit records the last
//! change `seq` it applied, so a restart resumes from there.

mod bm25;
mod completions;
mod coordination;
mod doc;
mod doc_sets;
mod facts;
mod inventory;
pub mod limits;
mod near;
mod pairs;
mod query;
mod schema;
mod search;
mod snippet;
mod status_facet;
mod stem;
mod suggest;
mod syntax;
mod tokenize;
mod top;
mod visible;
mod writer;

pub use doc::CardDoc;
pub use inventory::{IndexedCard, Inventory};
pub use search::{Facets, Hit, SearchRequest, SearchResults};
pub use writer::Writer;

/// How Verity splits, folds and stems the English fields, for a peer that should read
/// text the same way (the benchmark's raw-tantivy index).
pub fn english_analyzer() -> tantivy::tokenizer::TextAnalyzer {
    schema::english()
}

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use tantivy::collector::Count;
use tantivy::directory::MmapDirectory;
use tantivy::query::RangeQuery;
use tantivy::{Index, IndexReader, ReloadPolicy, Term, Warmer};

use crate::facts::Facts;
use crate::pairs::CommonWords;
use crate::schema::Fields;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("the search index is in use by another process (is `verity serve` running?)")]
    Locked,
    #[error("search index I/O at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The query is over one of the [`limits`]: the person should ask for less.
    #[error(transparent)]
    QueryTooComplex(#[from] limits::TooComplex),
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

/// Bumped whenever fields or analyzers change; an index written with another version is rebuilt.
const SCHEMA_VERSION: &str = "6";
const VERSION_FILE: &str = "verity-schema-version";
/// The common words (see `pairs`), next to the index they describe.
const COMMON_WORDS_FILE: &str = "verity-common-words";

/// The common words, shared by the writer (which indexes their pairs) and searches (which
/// look the pairs up); replaced whole when words join.
pub(crate) type SharedCommonWords = Arc<RwLock<Arc<CommonWords>>>;

/// The current common words.
pub(crate) fn common_words(shared: &SharedCommonWords) -> Arc<CommonWords> {
    shared.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// An on-disk index and its reader. Cheap to share behind an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Per-segment arrays for counting facets, kept up to date by the reader.
    facts: Arc<Facts>,
    /// How queries are split into words (compounds as their parts).
    query_tokenizers: tantivy::tokenizer::TokenizerManager,
    common: SharedCommonWords,
    dir: PathBuf,
}

/// How [`SearchIndex::open`] found the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// Usable as it is: catch up from [`SearchIndex::applied_seq`].
    Existing,
    /// Created empty (first start, or the schema changed): rebuild from the database.
    Fresh,
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`; a search visits segments on every core.
    pub fn open(dir: &Path) -> Result<(SearchIndex, Opened)> {
        Self::open_with_threads(dir, std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Opens the index with `threads` searching a query's segments side by side: alone, a
    /// search finishes sooner (a million cards: multi-word p99 21 → 12 ms on two cores);
    /// under load the cores were busy anyway.
    fn open_with_threads(dir: &Path, threads: usize) -> Result<(SearchIndex, Opened)> {
        let io = |source| IndexError::Io { path: dir.to_owned(), source };
        let version_path = dir.join(VERSION_FILE);
        let current = std::fs::read_to_string(&version_path).ok();
        let mut opened = Opened::Existing;
        if current.as_deref().map(str::trim) != Some(SCHEMA_VERSION) {
            if dir.exists() {
                tracing::info!(path = %dir.display(), "search index schema changed or missing; rebuilding");
                std::fs::remove_dir_all(dir).map_err(io)?;
            }
            std::fs::create_dir_all(dir).map_err(io)?;
            opened = Opened::Fresh;
        }
        let (schema, fields) = schema::build();
        let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Tantivy(e.into()))?;
        let mut index = Index::open_or_create(directory, schema)?;
        schema::register_analyzers(&index);
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        if opened == Opened::Fresh {
            std::fs::write(&version_path, SCHEMA_VERSION).map_err(io)?;
        }
        let facts = Arc::new(Facts::default());
        let warmer: Arc<dyn Warmer> = facts.clone();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .warmers(vec![Arc::downgrade(&warmer)])
            .num_warming_threads(1)
            .try_into()?;
        let common = CommonWords::load(&dir.join(COMMON_WORDS_FILE)).map_err(io)?;
        let common = Arc::new(RwLock::new(Arc::new(common)));
        let query_tokenizers = schema::query_analyzers();
        Ok((SearchIndex { index, reader, fields, facts, query_tokenizers, common, dir: dir.to_owned() }, opened))
    }

    /// The writer. Only one may exist per index, across processes.
    pub fn writer(&self) -> Result<Writer> {
        Writer::new(&self.index, self.fields, self.common.clone())
    }

    /// The last change `seq` committed to the index (0 for a fresh one).
    pub fn applied_seq(&self) -> Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.as_deref().and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Makes the last commit visible to searches, and brings the common words up to date
    /// with it (cards indexed from now on pair the words that joined).
    ///
    /// True when the first common words just appeared: the words in most cards join at
    /// once, and every card indexed so far lacks their pairs, so the caller should index
    /// them again (a one-off, at a few tens of thousands of cards). Words that join later
    /// are in few cards when they do, and those cards simply read positions.
    pub fn reload(&self) -> Result<bool> {
        self.reader.reload()?;
        let current = common_words(&self.common);
        let started = std::time::Instant::now();
        let Some(refreshed) = current.refreshed(&self.reader.searcher(), self.fields.body)? else {
            return Ok(false);
        };
        let first = current.version() == 0 && refreshed.version() > 0;
        if refreshed.version() != current.version() {
            let path = self.dir.join(COMMON_WORDS_FILE);
            refreshed.save(&path).map_err(|source| IndexError::Io { path, source })?;
            let (words, version) = (refreshed.len(), refreshed.version());
            tracing::info!(words, version, took_ms = started.elapsed().as_millis(), "common words updated");
        }
        *self.common.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(refreshed);
        Ok(first)
    }

    /// Cards indexed before any word was common, which have no word pairs.
    pub fn cards_without_pairs(&self) -> Result<usize> {
        let version = Term::from_field_u64(self.fields.pairs_version, 0);
        let query = RangeQuery::new(Bound::Included(version.clone()), Bound::Included(version));
        Ok(self.reader.searcher().search(&query, &Count)?)
    }

    /// Words join the common words from `cards` cards on, instead of 20,000: for tests,
    /// which cannot index that many cards.
    #[doc(hidden)]
    pub fn set_common_in(&self, cards: u64) {
        let common = (*common_words(&self.common)).clone().common_in(cards);
        *self.common.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(common);
    }

    /// The current common words.
    #[cfg(test)]
    pub(crate) fn common_words(&self) -> Arc<CommonWords> {
        common_words(&self.common)
    }

    /// Number of cards in the index as searches see it.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
#[cfg(test)]
mod tests;
