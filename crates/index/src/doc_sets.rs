//! Sets of documents read straight from posting lists into bit sets, and a query that
//! matches such a set as it is.
//!
//! A search runs its query twice (the counts over every match, then the page). A
//! prefix's completions, or a typo's neighbours, are dozens of words in most cards of a
//! large index: read once into a bit set per segment, the second pass copies the set
//! instead of reading every word's postings again (which tantivy's `TermSetQuery` does
//! through its term dictionary automaton on each pass).

use std::fmt;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, Score, Searcher, SegmentReader, Term};

/// Adds every document with `term` in `reader`'s segment to `docs`.
pub(crate) fn insert_docs(reader: &SegmentReader, term: &Term, docs: &mut BitSet) -> tantivy::Result<()> {
    for_each_doc(reader, term, |doc| {
        docs.insert(doc);
    })
}

/// Does any document with `term` in `reader`'s segment pass `test`? Reads postings only
/// until one does.
pub(crate) fn any_doc(reader: &SegmentReader, term: &Term, test: impl Fn(DocId) -> bool) -> tantivy::Result<bool> {
    let inverted = reader.inverted_index(term.field())?;
    let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::Basic)? else { return Ok(false) };
    loop {
        let docs = block.docs();
        if docs.is_empty() {
            return Ok(false);
        }
        if docs.iter().any(|doc| test(*doc)) {
            return Ok(true);
        }
        block.advance();
    }
}

fn for_each_doc(reader: &SegmentReader, term: &Term, mut visit: impl FnMut(DocId)) -> tantivy::Result<()> {
    let inverted = reader.inverted_index(term.field())?;
    let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::Basic)? else { return Ok(()) };
    loop {
        let docs = block.docs();
        if docs.is_empty() {
            return Ok(());
        }
        for doc in docs {
            visit(*doc);
        }
        block.advance();
    }
}

/// Matches, at a constant score, the documents of sets worked out for one searcher.
#[derive(Clone)]
pub(crate) struct DocSetQuery {
    segments: Arc<Vec<(SegmentId, BitSet)>>,
}

impl DocSetQuery {
    /// The documents with any of `terms` but without `except`, in each segment of `searcher`.
    /// Each segment is read on its own core.
    pub fn any_except(searcher: &Searcher, terms: &[Term], except: Option<&Term>) -> tantivy::Result<DocSetQuery> {
        let read = |reader: &SegmentReader| -> tantivy::Result<(SegmentId, BitSet)> {
            let mut docs = BitSet::with_max_value(reader.max_doc());
            for term in terms {
                insert_docs(reader, term, &mut docs)?;
            }
            if let Some(except) = except.filter(|_| docs.len() > 0) {
                for_each_doc(reader, except, |doc| docs.remove(doc))?;
            }
            Ok((reader.segment_id(), docs))
        };
        let segments = searcher.index().search_executor().map(read, searcher.segment_readers().iter())?;
        Ok(DocSetQuery { segments: Arc::new(segments) })
    }
}

impl fmt::Debug for DocSetQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let docs: usize = self.segments.iter().map(|(_, docs)| docs.len()).sum();
        write!(f, "DocSetQuery({docs} documents)")
    }
}

impl Query for DocSetQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for DocSetQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let id = reader.segment_id();
        Ok(match self.segments.iter().find(|(segment, _)| *segment == id) {
            Some((_, docs)) => Box::new(ConstScorer::new(BitSetDocSet::from(docs.clone()), boost)),
            // A segment this searcher did not have: nothing was worked out for it.
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        crate::bm25::explain_score(self, reader, doc, "in the set")
    }
}
