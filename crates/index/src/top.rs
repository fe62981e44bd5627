//! The best hits by rank: relevance first; at equal relevance (to two decimals) cards that
//! are vouched for before unverified and stale ones; then the most recently updated.
//!
//! tantivy's `TopDocs::tweak_score` computes the whole sort key for every match; here
//! the status and recency are looked up only for a match whose relevance could still
//! enter the page, from the segment's warmed facts (plain arrays): when every match
//! scores the same (three letters typed, matched only as the start of longer words),
//! that is every match, and reading tantivy's columns for each was most of the search.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};
use verity_core::Status;

use crate::coordination::{Pruning, relevance};
use crate::facts::{Facts, SegmentFacts};

/// The `limit` best matches after skipping `offset`, best first.
pub struct TopRanked<'a> {
    pub facts: &'a Facts,
    pub limit: usize,
    pub offset: usize,
    pub now: i64,
    /// Told the relevance a card needs to make the page, once a segment's page is full.
    pub pruning: Option<Pruning>,
}

#[derive(Debug, Clone, Copy)]
pub struct Ranked {
    relevance: i64,
    trust: u8,
    updated_at: i64,
    pub score: Score,
    pub address: DocAddress,
}

impl Ranked {
    fn cmp_rank(&self, other: &Ranked) -> Ordering {
        (self.relevance, self.trust, self.updated_at)
            .cmp(&(other.relevance, other.trust, other.updated_at))
            .then_with(|| self.score.total_cmp(&other.score))
            // Ties go to the earlier document, as tantivy's own top collectors do.
            .then_with(|| other.address.cmp(&self.address))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_rank(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_rank(other)
    }
}

fn trust_rank(status: Status) -> u8 {
    match status {
        Status::Verified => 3,
        Status::DueSoon => 2,
        Status::Unverified => 1,
        Status::Stale => 0,
    }
}

impl Collector for TopRanked<'_> {
    type Fruit = Vec<Ranked>;
    type Child = SegmentTopRanked;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentTopRanked> {
        Ok(SegmentTopRanked {
            segment,
            now: self.now,
            keep: self.limit + self.offset,
            facts: self.facts.of(reader)?,
            told: i64::MIN,
            best: BinaryHeap::new(),
            pruning: self.pruning.clone(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Ranked>>) -> tantivy::Result<Vec<Ranked>> {
        let mut all: Vec<Ranked> = fruits.into_iter().flatten().collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        Ok(all.into_iter().skip(self.offset).take(self.limit).collect())
    }
}

pub struct SegmentTopRanked {
    segment: SegmentOrdinal,
    now: i64,
    keep: usize,
    facts: Arc<SegmentFacts>,
    /// The relevance last told to `pruning`.
    told: i64,
    /// The worst kept match on top.
    best: BinaryHeap<Reverse<Ranked>>,
    pruning: Option<Pruning>,
}

impl SegmentCollector for SegmentTopRanked {
    type Fruit = Vec<Ranked>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let relevance = relevance(score);
        let full = self.best.len() >= self.keep;
        if full && self.best.peek().is_some_and(|Reverse(worst)| relevance < worst.relevance) {
            return;
        }
        let ranked = Ranked {
            relevance,
            trust: trust_rank(self.facts.status(doc, self.now)),
            updated_at: self.facts.updated_at(doc),
            score,
            address: DocAddress::new(self.segment, doc),
        };
        if !full {
            self.best.push(Reverse(ranked));
        } else if let Some(mut worst) = self.best.peek_mut()
            && ranked > worst.0
        {
            *worst = Reverse(ranked);
        }
        // A full page here means the whole index has that many cards at least this good:
        // a card below the worst of them cannot make the page, in any segment. Told only
        // when it rises: the threshold is shared by the threads searching other segments.
        if let Some(pruning) = &self.pruning
            && self.best.len() >= self.keep
            && let Some(Reverse(worst)) = self.best.peek()
            && worst.relevance > self.told
        {
            pruning.raise(worst.relevance);
            self.told = worst.relevance;
        }
    }

    fn harvest(self) -> Vec<Ranked> {
        self.best.into_iter().map(|Reverse(r)| r).collect()
    }
}
