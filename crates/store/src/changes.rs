//! The outbox the search index follows: one row per card mutation, in commit order.

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::schema::changes;
use crate::{DbConnection, Result, to_db};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct Change {
    pub seq: i64,
    pub card_id: i64,
}

/// Appends a change for `card_id` in the caller's transaction and returns its `seq`.
///
/// On PostgreSQL a sequence hands out numbers in call order, not commit order: a reader
/// could see seq 6 committed before seq 5 and skip 5 for ever. Holding an exclusive lock
/// on `changes` until commit makes the two orders agree (readers are not blocked).
/// SQLite has a single writer, so its order is already the commit order.
pub fn append(conn: &mut DbConnection, card_id: i64, now: DateTime<Utc>) -> Result<i64> {
    if let DbConnection::Postgres(pg) = conn {
        pg.batch_execute("LOCK TABLE changes IN EXCLUSIVE MODE")?;
    }
    let seq = diesel::insert_into(changes::table)
        .values((changes::card_id.eq(card_id), changes::created_at.eq(to_db(now))))
        .returning(changes::seq)
        .get_result(conn)?;
    Ok(seq)
}

/// Changes after `seq`, oldest first.
pub fn after(conn: &mut DbConnection, seq: i64, limit: i64) -> Result<Vec<Change>> {
    Ok(changes::table
        .select((changes::seq, changes::card_id))
        .filter(changes::seq.gt(seq))
        .order(changes::seq.asc())
        .limit(limit)
        .load(conn)?)
}

/// The newest `seq`, or 0 when nothing changed yet.
pub fn last_seq(conn: &mut DbConnection) -> Result<i64> {
    let max: Option<i64> = changes::table.select(diesel::dsl::max(changes::seq)).first(conn)?;
    Ok(max.unwrap_or(0))
}
