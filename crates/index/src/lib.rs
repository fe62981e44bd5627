//! Verity's full-text index: a tantivy index on disk that follows the database.
//!
//! The index is a cache: [`SearchIndex::open`] wipes it whenever its schema version
//! changed, and the server rebuilds it from the database. Each commit records the last
//! change `seq` it applied, so a restart resumes from there.

mod bm25;
mod coordination;
mod doc;
mod facts;
mod near;
mod query;
mod schema;
mod search;
mod snippet;
mod status_facet;
mod stem;
mod suggest;
mod tokenize;
mod top;
mod writer;

pub use doc::CardDoc;
pub use search::{Facets, Hit, SearchRequest, SearchResults};
pub use writer::Writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy, Warmer};

use crate::facts::Facts;
use crate::schema::Fields;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("the search index is in use by another process (is `verity serve` running?)")]
    Locked,
    #[error("search index I/O at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

/// Bumped whenever fields or analyzers change; an index written with another version is rebuilt.
const SCHEMA_VERSION: &str = "5";
const VERSION_FILE: &str = "verity-schema-version";

/// An on-disk index and its reader. Cheap to share behind an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Per-segment arrays for counting facets, kept up to date by the reader.
    facts: Arc<Facts>,
    /// How queries are split into words (compounds as their parts).
    query_tokenizers: tantivy::tokenizer::TokenizerManager,
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
    pub fn open(dir: &Path) -> Result<(SearchIndex, Opened)> {
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
        let index = Index::open_or_create(directory, schema)?;
        schema::register_analyzers(&index);
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
        Ok((SearchIndex { index, reader, fields, facts, query_tokenizers: schema::query_analyzers() }, opened))
    }

    /// The writer. Only one may exist per index, across processes.
    pub fn writer(&self) -> Result<Writer> {
        Writer::new(&self.index, self.fields)
    }

    /// The last change `seq` committed to the index (0 for a fresh one).
    pub fn applied_seq(&self) -> Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.as_deref().and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Makes the last commit visible to searches.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// Number of cards in the index as searches see it.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
#[cfg(test)]
mod tests;
