//! Every query that selects cards by status selects exactly the cards whose status
//! (`Card::status`, that is `verity_core::verification::status_at`) is that status, for
//! random cards and clocks, on a real SQLite file and on PostgreSQL when configured.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use verity_core::{Interval, Slug, Status, VerificationState};

use crate::cards::{self, CardMeta, NewCard};
use crate::schema::cards as cards_t;
use crate::{Store, collections, health, reminders, testing, to_db, verification};

/// The cards a case sets up: each one's verification (`None`: never verified), interval
/// in days and whether the last verification still stands.
type Cards = Vec<(Option<i64>, u32, bool)>;

const POOL: usize = 10;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// Cards verified within two years around `start`, at any millisecond, and a clock that is
/// either anywhere in that span or exactly on one card's boundary.
fn cases() -> impl Strategy<Value = (Cards, i64, Option<(usize, bool)>)> {
    let span = 2 * 365 * 86_400_000i64;
    let card = (proptest::option::weighted(0.8, -span..span), 1u32..=400, proptest::bool::weighted(0.8));
    (proptest::collection::vec(card, POOL), -span..2 * span, proptest::option::of((0..POOL, proptest::bool::ANY)))
}

fn pool(store: &Store) -> Vec<i64> {
    let col = store
        .write(|c| collections::get_or_create(c, &Slug::parse("eng").unwrap(), "Engineering", start()))
        .unwrap()
        .id;
    (0..POOL)
        .map(|i| {
            let new = NewCard {
                slug: Slug::parse(&format!("card-{i}")).unwrap(),
                collection_id: col,
                title: format!("Card {i}"),
                body: "body".into(),
                tags: vec![],
                meta: CardMeta { verifier: Some("mei".into()), ..CardMeta::default() },
                author: "admin".into(),
                message: "created".into(),
                source_path: None,
            };
            store.write(|c| cards::create(c, new, start())).unwrap().card.id
        })
        .collect()
}

/// Gives card `id` this verification state, with the due columns written as every
/// save writes them.
fn set_state(store: &Store, id: i64, state: &VerificationState) {
    let (due_soon_at, due_at) = cards::due_columns(state);
    store
        .write(|c| {
            diesel::update(cards_t::table.find(id))
                .set((
                    cards_t::verified_at.eq(state.verified_at.map(to_db)),
                    cards_t::verify_every_days.eq(state.interval.as_days() as i32),
                    cards_t::trusted.eq(i32::from(state.trusted)),
                    cards_t::due_soon_at.eq(due_soon_at),
                    cards_t::due_at.eq(due_at),
                ))
                .execute(c)
                .map_err(crate::StoreError::from)
        })
        .unwrap();
}

fn check(
    store: &Store,
    ids: &[i64],
    (states, clock, on_boundary): (Cards, i64, Option<(usize, bool)>),
) -> Result<(), TestCaseError> {
    for (id, (verified, days, trusted)) in ids.iter().zip(&states) {
        let verified_at = verified.map(|ms| start() + Duration::milliseconds(ms));
        let state = VerificationState {
            verified_at,
            interval: Interval::days(*days).unwrap(),
            // A card never verified is never trusted.
            trusted: *trusted && verified_at.is_some(),
        };
        set_state(store, *id, &state);
    }
    // The cards as the application reads them back: what their pages show.
    let cards = store.read(|c| cards::many(c, ids)).unwrap();
    let now = match on_boundary.and_then(|(i, soon)| Some((cards[i].due_times()?, soon))) {
        Some((due, true)) => due.due_soon_at,
        Some((due, false)) => due.due_at,
        None => start() + Duration::milliseconds(clock),
    };
    let with = |statuses: &[Status]| -> BTreeSet<i64> {
        cards.iter().filter(|c| statuses.contains(&c.status(now))).map(|c| c.id).collect()
    };
    let context =
        || format!("at {now}: {:?}", cards.iter().map(|c| (c.id, c.due_times(), c.status(now))).collect::<Vec<_>>());

    for status in Status::ALL {
        let query = cards::ListQuery { status: Some(status), limit: 100, ..cards::ListQuery::default() };
        let (total, listed) = store.read(|c| cards::list(c, &query, now)).unwrap();
        let listed: BTreeSet<i64> = listed.iter().map(|c| c.id).collect();
        prop_assert_eq!(&listed, &with(&[status]), "card list ?status={} {}", status, context());
        prop_assert_eq!(total as usize, listed.len());
    }

    let waiting = with(&[Status::Unverified, Status::DueSoon, Status::Stale]);
    let verifiers = ["mei".to_string()];
    let queue = store.read(|c| verification::queue(c, &verifiers, &[], now)).unwrap();
    let queued: BTreeSet<i64> = queue.iter().map(|e| e.card.id).collect();
    prop_assert_eq!(&queued, &waiting, "verification queue {}", context());
    let count = store.read(|c| verification::queue_count(c, &verifiers, &[], now)).unwrap();
    prop_assert_eq!(count as usize, waiting.len(), "queue count {}", context());

    let due = store.read(|c| reminders::due_cards(c, now)).unwrap();
    let due: BTreeSet<i64> = due.iter().map(|d| d.id).collect();
    prop_assert_eq!(&due, &with(&[Status::DueSoon, Status::Stale]), "reminders {}", context());

    let counts = store.read(|c| health::status_counts(c, now)).unwrap();
    let n = |s: Status| with(&[s]).len() as i32;
    prop_assert_eq!(
        counts,
        health::Counts {
            total: POOL as i32,
            verified: n(Status::Verified),
            due_soon: n(Status::DueSoon),
            stale: n(Status::Stale),
            unverified: n(Status::Unverified),
        },
        "health counts {}",
        context()
    );
    Ok(())
}

fn run_on(store: &Store) {
    let ids = pool(store);
    let mut runner = TestRunner::new(Config { cases: 40, failure_persistence: None, ..Config::default() });
    if let Err(e) = runner.run(&cases(), |case| check(store, &ids, case)) {
        panic!("{e}");
    }
}

#[test]
fn every_status_filter_selects_exactly_the_cards_with_that_status() {
    let dir = tempfile::tempdir().unwrap();
    run_on(&Store::open(dir.path().join("verity.db").to_str().unwrap()).unwrap());
    match testing::fresh_postgres_url() {
        Some(url) => run_on(&Store::open(&url).unwrap()),
        None => eprintln!("PostgreSQL status test skipped: set {} to run it", testing::TEST_DATABASE_URL),
    }
}
