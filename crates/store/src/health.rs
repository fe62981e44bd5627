//! What knowledge health is computed from, and its daily history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use verity_core::Interval;
use verity_core::verification::DueTimes;

use crate::schema::{cards, collections, health_snapshots};
use crate::{DbConnection, Result, from_db, to_db};

/// The verification facts of one live card, without its text.
#[derive(Debug, Clone)]
pub struct CardHealth {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub collection: String,
    pub collection_name: String,
    pub verifier: Option<String>,
    pub due: Option<DueTimes>,
    pub interval: Interval,
}

pub fn live_cards(conn: &mut DbConnection) -> Result<Vec<CardHealth>> {
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        i32,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
        i32,
    );
    let rows: Vec<Row> = cards::table
        .inner_join(collections::table)
        .filter(cards::archived_at.is_null())
        .select((
            cards::id,
            cards::slug,
            cards::title,
            collections::slug,
            collections::name,
            cards::verifier,
            cards::trusted,
            cards::due_soon_at,
            cards::due_at,
            cards::verify_every_days,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, title, collection, collection_name, verifier, trusted, due_soon_at, due_at, days)| {
            let due = match (trusted, due_soon_at, due_at) {
                (1, Some(s), Some(d)) => Some(DueTimes { due_soon_at: from_db(s), due_at: from_db(d) }),
                _ => None,
            };
            let interval = Interval::days(days.max(1) as u32).unwrap_or(verity_core::verification::DEFAULT_INTERVAL);
            CardHealth { id, slug, title, collection, collection_name, verifier, due, interval }
        })
        .collect())
}

/// Counts by status for one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub total: i32,
    pub verified: i32,
    pub due_soon: i32,
    pub stale: i32,
    pub unverified: i32,
}

/// Live cards per status at `now`, counted by the database (the daily snapshot runs on
/// every scheduled round; loading a million cards for it took over a second).
pub fn status_counts(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Counts> {
    let now = to_db(now);
    let live = cards::archived_at.is_null();
    // A card has due times only while trusted; the rest are unverified.
    let timed = live.and(cards::trusted.eq(1)).and(cards::due_soon_at.is_not_null()).and(cards::due_at.is_not_null());
    let total: i64 = cards::table.filter(live).count().get_result(conn)?;
    let with_due_times: i64 = cards::table.filter(timed).count().get_result(conn)?;
    let stale: i64 = cards::table.filter(timed.and(cards::due_at.le(now))).count().get_result(conn)?;
    let due_soon: i64 = cards::table
        .filter(timed.and(cards::due_at.gt(now)).and(cards::due_soon_at.le(now)))
        .count()
        .get_result(conn)?;
    let n = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(Counts {
        total: n(total),
        verified: n(with_due_times - stale - due_soon),
        due_soon: n(due_soon),
        stale: n(stale),
        unverified: n(total - with_due_times),
    })
}

/// Keeps one snapshot per day (`YYYY-MM-DD`); a later one the same day replaces it.
pub fn record_snapshot(conn: &mut DbConnection, day: &str, c: Counts) -> Result<()> {
    diesel::delete(health_snapshots::table.find(day)).execute(conn)?;
    diesel::insert_into(health_snapshots::table)
        .values((
            health_snapshots::day.eq(day),
            health_snapshots::total.eq(c.total),
            health_snapshots::verified.eq(c.verified),
            health_snapshots::due_soon.eq(c.due_soon),
            health_snapshots::stale.eq(c.stale),
            health_snapshots::unverified.eq(c.unverified),
        ))
        .execute(conn)?;
    Ok(())
}

/// The last `days` snapshots, oldest first.
pub fn snapshots(conn: &mut DbConnection, days: i64) -> Result<Vec<(String, Counts)>> {
    let rows: Vec<(String, i32, i32, i32, i32, i32)> = health_snapshots::table
        .order(health_snapshots::day.desc())
        .limit(days)
        .select((
            health_snapshots::day,
            health_snapshots::total,
            health_snapshots::verified,
            health_snapshots::due_soon,
            health_snapshots::stale,
            health_snapshots::unverified,
        ))
        .load(conn)?;
    let mut out: Vec<(String, Counts)> = rows
        .into_iter()
        .map(|(day, total, verified, due_soon, stale, unverified)| {
            (day, Counts { total, verified, due_soon, stale, unverified })
        })
        .collect();
    out.reverse();
    Ok(out)
}
