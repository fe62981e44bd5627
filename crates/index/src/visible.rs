//! The cards the person searching may see: those outside their hidden collections.
//!
//! The index holds every collection's words. Where search decides from the words
//! themselves — is a typed word known (then it gets no typo matches)? which continuations
//! of an unfinished word are the most common? — a word that only hidden cards have must
//! count as a word no card has, or the answers differ for a word that exists in a hidden
//! card and one that exists nowhere.

use std::sync::Arc;

use tantivy::{Searcher, SegmentReader, Term};

use crate::doc_sets::any_doc;
use crate::facts::{Facts, SegmentFacts};

pub(crate) struct Visible {
    /// Per segment (in the searcher's order), its facts and which of its collections are
    /// hidden; `None` when nothing is.
    segments: Option<Vec<(Arc<SegmentFacts>, Vec<bool>)>>,
}

impl Visible {
    pub fn new(searcher: &Searcher, facts: &Facts, hidden: &[String]) -> tantivy::Result<Visible> {
        if hidden.is_empty() {
            return Ok(Visible { segments: None });
        }
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| {
                let facts = facts.of(segment)?;
                let collections = facts.collections_among(hidden);
                Ok((facts, collections))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(Visible { segments: Some(segments) })
    }

    /// Is every card visible?
    pub fn everything(&self) -> bool {
        self.segments.is_none()
    }

    /// Does a card the person may see contain `term`? Reads the term's postings only until
    /// it meets one (deleted cards do not count).
    pub fn has(&self, searcher: &Searcher, term: &Term) -> tantivy::Result<bool> {
        let Some(segments) = &self.segments else { return Ok(searcher.doc_freq(term)? > 0) };
        for (segment, (facts, hidden)) in searcher.segment_readers().iter().zip(segments) {
            if any_doc(segment, term, |doc| alive(segment, doc) && !facts.in_collections(doc, hidden))? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn alive(segment: &SegmentReader, doc: tantivy::DocId) -> bool {
    segment.alive_bitset().is_none_or(|alive| alive.is_alive(doc))
}
