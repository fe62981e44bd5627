//! Status is computed at query time from the stored due times, so the facet and the
//! filter stay right as the clock moves without rewriting a single document.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::Term;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use verity_core::Status;

use crate::schema::Fields;

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
