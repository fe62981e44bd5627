//! What the index holds, card by card, for `verity check` to compare with the database.
//!
//! A card is described by a fingerprint of everything the index stores about it (slug,
//! title, tags, collection, the stored beginning of the body, its due times and
//! `updated_at`): searches show nothing else, so two equal fingerprints mean searches
//! show the card the same way. The same fingerprint is computed from a [`CardDoc`], so
//! the caller compares what is indexed with what would be indexed now.

use std::hash::{DefaultHasher, Hash, Hasher};

use tantivy::schema::Value;
use tantivy::{IndexReader, ReloadPolicy, TantivyDocument};

use crate::schema::Fields;
use crate::snippet::{SNIPPET_SCAN_BYTES, scope};
use crate::{CardDoc, Result, SearchIndex};

/// One document of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedCard {
    pub id: i64,
    pub slug: String,
    pub fingerprint: u64,
}

/// Every document of the index as of its last commit.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The change `seq` that commit recorded: every document reflects at least that far.
    pub applied_seq: i64,
    pub cards: Vec<IndexedCard>,
}

/// The stored fields a fingerprint covers, in one place for both sides.
#[derive(Hash)]
struct Stored<'a> {
    slug: &'a str,
    title: &'a str,
    tags: Vec<&'a str>,
    collection: &'a str,
    excerpt: &'a str,
    trusted: u64,
    due_soon_at: i64,
    due_at: i64,
    updated_at: i64,
}

impl Stored<'_> {
    /// Only compared within one process, so std's hasher (fixed keys) is enough.
    fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }
}

impl CardDoc {
    /// The fingerprint the index stores for this document (see the module docs).
    pub fn fingerprint(&self) -> u64 {
        let (trusted, due_soon_at, due_at) = match self.due {
            Some(d) => (1, d.due_soon_at.timestamp(), d.due_at.timestamp()),
            None => (0, 0, 0),
        };
        Stored {
            slug: &self.slug,
            title: &self.title,
            tags: self.tags.iter().map(String::as_str).collect(),
            collection: &self.collection,
            excerpt: scope(&self.text, SNIPPET_SCAN_BYTES),
            trusted,
            due_soon_at,
            due_at,
            updated_at: self.updated_at.timestamp(),
        }
        .fingerprint()
    }
}

impl SearchIndex {
    /// Every document of the last commit, with the `seq` it recorded. Reads the commit's
    /// payload before its documents, so with a server committing meanwhile the documents
    /// are at least as new as the payload says. Read-only: safe while a server writes.
    pub fn inventory(&self) -> Result<Inventory> {
        let applied_seq = self.applied_seq()?;
        // A reader of its own, opened after the payload was read (the shared one may be older).
        let reader: IndexReader = self.index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let mut cards = Vec::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(1).map_err(tantivy::TantivyError::from)?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                cards.push(indexed(&self.fields, &doc?));
            }
        }
        Ok(Inventory { applied_seq, cards })
    }
}

fn indexed(f: &Fields, doc: &TantivyDocument) -> IndexedCard {
    let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default();
    let int = |field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
    let stored = Stored {
        slug: text(f.slug),
        title: text(f.title),
        tags: doc.get_all(f.tags_text).filter_map(|v| v.as_str()).collect(),
        collection: text(f.collection_slug),
        excerpt: text(f.excerpt),
        trusted: doc.get_first(f.trusted).and_then(|v| v.as_u64()).unwrap_or(0),
        due_soon_at: int(f.due_soon_at),
        due_at: int(f.due_at),
        updated_at: int(f.updated_at),
    };
    IndexedCard {
        id: doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or(0) as i64,
        slug: stored.slug.to_owned(),
        fingerprint: stored.fingerprint(),
    }
}
