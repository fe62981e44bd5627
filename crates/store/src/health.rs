//! What knowledge health is computed from, and its daily history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use verity_core::verification::DueTimes;
use verity_core::{Interval, Status};

use crate::schema::{cards, collections, health_snapshots};
use crate::status::status_in;
use crate::{DbConnection, Result, from_db};

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
    let live = || cards::table.filter(cards::archived_at.is_null());
    let count = |conn: &mut DbConnection, status: Status| -> Result<i32> {
        let n: i64 = live().filter(status_in(&[status], now)).count().get_result(conn)?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    };
    let total: i64 = live().count().get_result(conn)?;
    let total = i32::try_from(total).unwrap_or(i32::MAX);
    let (verified, due_soon, stale) =
        (count(conn, Status::Verified)?, count(conn, Status::DueSoon)?, count(conn, Status::Stale)?);
    // Every live card has exactly one status; the rest are unverified.
    Ok(Counts { total, verified, due_soon, stale, unverified: total - verified - due_soon - stale })
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
