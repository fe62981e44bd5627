//! Any of a query's words, ranked by how many of them a card has, in one pass.
//!
//! A card's score is the sum of its words' scores, plus a small bonus per word matched
//! and a large one for matching every word (the recall of OR, the precision of AND).
//! Built from tantivy queries (a `Should` union plus the same words again under
//! `Must` and per-word constant scores) every posting list was read three times over;
//! this scorer reads each once and counts the words it meets on the way
//! (generated 100k cards, multi-word: see the README's performance section).

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

#[derive(Debug)]
pub struct CoordinationQuery {
    words: Vec<Box<dyn Query>>,
    bonuses: Bonuses,
}

/// What a card earns on top of its words' scores.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bonuses {
    /// For matching at least one word (lifts word matches above prefix and typo matches).
    pub any: Score,
    /// For each word matched, when there are several.
    pub per_word: Score,
    /// For matching every word, when there are several.
    pub all: Score,
}

impl CoordinationQuery {
    pub fn new(words: Vec<Box<dyn Query>>, bonuses: Bonuses) -> Self {
        CoordinationQuery { words, bonuses }
    }

    pub fn bonuses(&self) -> Bonuses {
        self.bonuses
    }

    /// The same words with other bonuses.
    pub fn with_bonuses(&self, bonuses: Bonuses) -> Self {
        CoordinationQuery { words: self.words.iter().map(|w| w.box_clone()).collect(), bonuses }
    }
}

impl Clone for CoordinationQuery {
    fn clone(&self) -> Self {
        self.with_bonuses(self.bonuses)
    }
}

impl Query for CoordinationQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let words = self.words.iter().map(|w| w.weight(scoring)).collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(CoordinationWeight { words, bonuses: self.bonuses }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for word in &self.words {
            word.query_terms(visitor);
        }
    }
}

struct CoordinationWeight {
    words: Vec<Box<dyn Weight>>,
    bonuses: Bonuses,
}

impl Weight for CoordinationWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut words = Vec::with_capacity(self.words.len());
        for weight in &self.words {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                words.push(scorer);
            }
        }
        let several = self.words.len() >= 2;
        let bonuses = Bonuses {
            any: self.bonuses.any * boost,
            per_word: if several { self.bonuses.per_word * boost } else { 0.0 },
            all: if several { self.bonuses.all * boost } else { 0.0 },
        };
        let mut scorer = CoordinationScorer { words, total: self.words.len(), bonuses, doc: TERMINATED };
        scorer.doc = scorer.first_doc();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        crate::bm25::explain_score(self, reader, doc, "coordination")
    }
}

/// A union over the words' scorers. Queries have a handful of words, so finding the
/// next document by looking at each is cheaper than keeping a heap.
struct CoordinationScorer {
    words: Vec<Box<dyn Scorer>>,
    /// Words in the query, including those this segment does not have.
    total: usize,
    bonuses: Bonuses,
    doc: DocId,
}

impl CoordinationScorer {
    fn first_doc(&self) -> DocId {
        self.words.iter().map(|w| w.doc()).min().unwrap_or(TERMINATED)
    }
}

impl DocSet for CoordinationScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        let mut next = TERMINATED;
        for word in &mut self.words {
            let doc = if word.doc() == current { word.advance() } else { word.doc() };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for word in &mut self.words {
            let doc = if word.doc() < target { word.seek(target) } else { word.doc() };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.words.iter().map(|w| w.size_hint()).max().unwrap_or(0)
    }

    fn cost(&self) -> u64 {
        self.words.iter().map(|w| w.cost()).sum()
    }
}

impl Scorer for CoordinationScorer {
    fn score(&mut self) -> Score {
        let (mut sum, mut matched) = (0.0, 0);
        for word in &mut self.words {
            if word.doc() == self.doc {
                sum += word.score();
                matched += 1;
            }
        }
        let b = self.bonuses;
        let all = if matched == self.total { b.all } else { 0.0 };
        sum + b.any + b.per_word * matched as Score + all
    }
}
