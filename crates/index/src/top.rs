//! The best hits by rank: relevance first; at equal relevance (to two decimals) cards that
//! are vouched for before unverified and stale ones; then the most recently updated.
//!
//! tantivy's `TopDocs::tweak_score` computes the whole sort key for every match; here
//! the verification columns are read only for a match whose relevance could still enter
//! the page, which at 100k cards is a small share of them.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};
use verity_core::Status;

use crate::coordination::{Pruning, relevance};
use crate::schema::{DUE_AT, DUE_SOON_AT, TRUSTED, UPDATED_AT};
use crate::status_facet::status_of;

/// The `limit` best matches after skipping `offset`, best first.
pub struct TopRanked {
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

impl Collector for TopRanked {
    type Fruit = Vec<Ranked>;
    type Child = SegmentTopRanked;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentTopRanked> {
        let ff = reader.fast_fields();
        Ok(SegmentTopRanked {
            segment,
            now: self.now,
            keep: self.limit + self.offset,
            trusted: ff.u64(TRUSTED)?,
            due_soon_at: ff.i64(DUE_SOON_AT)?,
            due_at: ff.i64(DUE_AT)?,
            updated_at: ff.i64(UPDATED_AT)?,
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
    trusted: Column<u64>,
    due_soon_at: Column<i64>,
    due_at: Column<i64>,
    updated_at: Column<i64>,
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
        let status = status_of(
            self.now,
            self.trusted.first(doc).unwrap_or(0),
            self.due_soon_at.first(doc).unwrap_or(0),
            self.due_at.first(doc).unwrap_or(0),
        );
        let ranked = Ranked {
            relevance,
            trust: trust_rank(status),
            updated_at: self.updated_at.first(doc).unwrap_or(0),
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
        // a card below the worst of them cannot make the page, in any segment.
        if let Some(pruning) = &self.pruning
            && self.best.len() >= self.keep
            && let Some(Reverse(worst)) = self.best.peek()
        {
            pruning.raise(worst.relevance);
        }
    }

    fn harvest(self) -> Vec<Ranked> {
        self.best.into_iter().map(|Reverse(r)| r).collect()
    }
}
