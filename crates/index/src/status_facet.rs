//! Status is computed at query time from the stored due times, so the facet and the
//! filter stay right as the clock moves without rewriting a single document.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentReader, Term};
use verity_core::Status;

use crate::schema::{DUE_AT, DUE_SOON_AT, Fields, TRUSTED};

/// Counts matching documents per status.
pub struct StatusCounts {
    pub now: i64,
}

pub struct SegmentStatusCounts {
    now: i64,
    trusted: Column<u64>,
    due_soon_at: Column<i64>,
    due_at: Column<i64>,
    counts: [u64; 4],
}

fn index_of(status: Status) -> usize {
    Status::ALL.iter().position(|s| *s == status).unwrap_or(0)
}

impl Collector for StatusCounts {
    type Fruit = [u64; 4];
    type Child = SegmentStatusCounts;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentStatusCounts> {
        let ff = segment.fast_fields();
        Ok(SegmentStatusCounts {
            now: self.now,
            trusted: ff.u64(TRUSTED)?,
            due_soon_at: ff.i64(DUE_SOON_AT)?,
            due_at: ff.i64(DUE_AT)?,
            counts: [0; 4],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<[u64; 4]>) -> tantivy::Result<[u64; 4]> {
        let mut total = [0; 4];
        for fruit in fruits {
            for (t, n) in total.iter_mut().zip(fruit) {
                *t += n;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentStatusCounts {
    type Fruit = [u64; 4];

    fn collect(&mut self, doc: DocId, _: Score) {
        let status = status_of(
            self.now,
            self.trusted.first(doc).unwrap_or(0),
            self.due_soon_at.first(doc).unwrap_or(0),
            self.due_at.first(doc).unwrap_or(0),
        );
        self.counts[index_of(status)] += 1;
    }

    fn harvest(self) -> [u64; 4] {
        self.counts
    }
}

/// The one status rule, on index values (see `verity_core::verification::status_at`).
pub fn status_of(now: i64, trusted: u64, due_soon_at: i64, due_at: i64) -> Status {
    if trusted == 0 {
        Status::Unverified
    } else if now >= due_at {
        Status::Stale
    } else if now >= due_soon_at {
        Status::DueSoon
    } else {
        Status::Verified
    }
}

/// A query matching exactly the cards with `status` at `now`.
pub fn status_filter(f: &Fields, status: Status, now: DateTime<Utc>) -> Box<dyn Query> {
    let now = now.timestamp();
    let trusted = |v: u64| -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_u64(f.trusted, v), IndexRecordOption::Basic))
    };
    let range = |field, lower: Bound<i64>, upper: Bound<i64>| -> Box<dyn Query> {
        let term = |v: i64| Term::from_field_i64(field, v);
        Box::new(RangeQuery::new(lower.map(term), upper.map(term)))
    };
    let all = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Must, q)).collect()))
    };
    match status {
        Status::Unverified => trusted(0),
        Status::Verified => all(vec![trusted(1), range(f.due_soon_at, Bound::Excluded(now), Bound::Unbounded)]),
        Status::DueSoon => all(vec![
            trusted(1),
            range(f.due_soon_at, Bound::Unbounded, Bound::Included(now)),
            range(f.due_at, Bound::Excluded(now), Bound::Unbounded),
        ]),
        Status::Stale => all(vec![trusted(1), range(f.due_at, Bound::Unbounded, Bound::Included(now))]),
    }
}
