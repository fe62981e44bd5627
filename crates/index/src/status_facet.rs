//! Status is computed at query time from the stored due times, so the facet and the
//! filter stay right as the clock moves without rewriting a single document.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::Term;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use verity_core::Status;
use verity_core::verification::{Boundary, Condition, conditions, status_on};

use crate::schema::Fields;

/// The one status rule ([`verity_core::verification::status_at`]) on index values.
pub fn status_of(now: i64, trusted: u64, due_soon_at: i64, due_at: i64) -> Status {
    status_on((trusted != 0).then_some((due_soon_at, due_at)), now)
}

/// A query matching exactly the cards with `status` at `now`: the rule's
/// [`conditions`] as term and range queries on the stored due times (whole seconds).
pub fn status_filter(f: &Fields, status: Status, now: DateTime<Utc>) -> Box<dyn Query> {
    let now = now.timestamp();
    let trusted = |v: u64| -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_u64(f.trusted, v), IndexRecordOption::Basic))
    };
    let range = |boundary: Boundary, lower: Bound<i64>, upper: Bound<i64>| -> Box<dyn Query> {
        let field = boundary.of((f.due_soon_at, f.due_at));
        let term = |v: i64| Term::from_field_i64(field, v);
        Box::new(RangeQuery::new(lower.map(term), upper.map(term)))
    };
    let all = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Must, q)).collect()))
    };
    let mut matching: Vec<Box<dyn Query>> = conditions(&[status])
        .into_iter()
        .map(|condition| match condition {
            Condition::Untrusted => trusted(0),
            Condition::Trusted { reached, not_reached } => {
                let mut parts = vec![trusted(1)];
                parts.extend(reached.map(|b| range(b, Bound::Unbounded, Bound::Included(now))));
                parts.extend(not_reached.map(|b| range(b, Bound::Excluded(now), Bound::Unbounded)));
                all(parts)
            }
        })
        .collect();
    // One status is one condition.
    if matching.len() == 1 {
        return matching.remove(0);
    }
    Box::new(BooleanQuery::new(matching.into_iter().map(|q| (Occur::Should, q)).collect()))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::BTreeSet;

    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use verity_core::verification::{DueTimes, Interval, VerificationState, status_at};

    use super::*;
    use crate::{CardDoc, SearchIndex, SearchRequest};

    const POOL: usize = 10;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    /// Each card's verification in seconds from `start` (`None`: unverified), interval in
    /// days and trust; the clock in milliseconds from `start`, or one card's boundary.
    type Case = (Vec<(Option<i64>, u32, bool)>, i64, Option<(usize, bool)>);

    fn cases() -> impl Strategy<Value = Case> {
        let span = 2 * 365 * 86_400i64;
        let card = (proptest::option::weighted(0.8, -span..span), 1u32..=400, proptest::bool::weighted(0.8));
        (
            proptest::collection::vec(card, POOL),
            -span * 1000..2 * span * 1000,
            proptest::option::of((0..POOL, proptest::bool::ANY)),
        )
    }

    fn check(index: &SearchIndex, seq: &Cell<i64>, (cards, clock, on_boundary): Case) -> Result<(), TestCaseError> {
        let due: Vec<Option<DueTimes>> = cards
            .iter()
            .map(|(verified, days, trusted)| {
                VerificationState {
                    verified_at: verified.map(|s| start() + Duration::seconds(s)),
                    interval: Interval::days(*days).unwrap(),
                    trusted: *trusted,
                }
                .due_times()
            })
            .collect();
        let mut w = index.writer().unwrap();
        for (i, due) in due.iter().enumerate() {
            w.upsert(&CardDoc {
                id: i as i64,
                slug: format!("card-{i}"),
                title: format!("Card {i}"),
                headings: vec![],
                // Every card has "alpha", every other one "beta": a search that matches
                // all cards and one that matches some count statuses differently.
                text: if i % 2 == 0 { "alpha beta".into() } else { "alpha".into() },
                tags: vec![],
                collection: "eng".into(),
                due: *due,
                updated_at: start(),
            })
            .unwrap();
        }
        seq.set(seq.get() + 1);
        w.commit(seq.get()).unwrap();
        drop(w);
        index.reload().unwrap();
        let now = match on_boundary.and_then(|(i, soon)| Some((due[i]?, soon))) {
            Some((d, true)) => d.due_soon_at,
            Some((d, false)) => d.due_at,
            None => start() + Duration::milliseconds(clock),
        };
        for q in ["", "alpha", "beta"] {
            let matching: Vec<usize> = (0..POOL).filter(|i| q != "beta" || i % 2 == 0).collect();
            let with = |status: Status| -> BTreeSet<i64> {
                matching.iter().filter(|i| status_at(due[**i], now) == status).map(|i| *i as i64).collect()
            };
            let all =
                index.search(&SearchRequest { q: q.into(), limit: 100, ..SearchRequest::default() }, now).unwrap();
            for status in Status::ALL {
                let r = index
                    .search(
                        &SearchRequest { q: q.into(), status: Some(status), limit: 100, ..SearchRequest::default() },
                        now,
                    )
                    .unwrap();
                let found: BTreeSet<i64> = r.hits.iter().map(|h| h.id).collect();
                prop_assert_eq!(&found, &with(status), "{:?} ?status={} at {}: {:?}", q, status, now, due);
                prop_assert_eq!(r.total, found.len());
                let facet = all.facets.status.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
                prop_assert_eq!(facet, with(status).len() as u64, "{:?} facet {} at {}: {:?}", q, status, now, due);
            }
            for hit in &all.hits {
                prop_assert_eq!(hit.status, status_at(due[hit.id as usize], now), "hit {} at {}", hit.id, now);
            }
        }
        Ok(())
    }

    /// The status filter, the hits' statuses and the status facet agree with
    /// `status_at` for random cards and clocks.
    #[test]
    fn status_filter_and_facet_select_exactly_the_cards_status_at_gives() {
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = SearchIndex::open(dir.path()).unwrap();
        let seq = Cell::new(0);
        let mut runner = TestRunner::new(Config { cases: 40, failure_persistence: None, ..Config::default() });
        if let Err(e) = runner.run(&cases(), |case| check(&index, &seq, case)) {
            panic!("{e}");
        }
    }
}
