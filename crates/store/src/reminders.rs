//! Reminders: who was told about which due date (so nobody is told twice, even across
//! restarts), the in-app notifications, and the outgoing webhook's outbox.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use verity_core::Status;

use crate::schema::{cards, notifications, reminders_sent, webhook_deliveries};
use crate::status::status_in;
use crate::{DbConnection, Result, StoreError, from_db, to_db};

/// A live card whose verification is due soon or past due, and who verifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct DueCard {
    pub id: i64,
    pub due_at: DateTime<Utc>,
    pub verifier: String,
    pub collection_id: i64,
}

/// The live cards with a verifier whose verification is due soon or past due, without
/// their text (at a million cards, tens of thousands can be due at once).
pub fn due_cards(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<DueCard>> {
    let rows: Vec<(i64, Option<NaiveDateTime>, Option<String>, i64)> = cards::table
        .filter(cards::archived_at.is_null())
        .filter(status_in(&[Status::DueSoon, Status::Stale], now))
        .filter(cards::verifier.is_not_null())
        .select((cards::id, cards::due_at, cards::verifier, cards::collection_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, due, verifier, collection_id)| {
            Some(DueCard { id, due_at: from_db(due?), verifier: verifier?, collection_id })
        })
        .collect())
}

/// Which of these cards `username` has already been told about, as (card id, due instant).
pub fn sent_to(conn: &mut DbConnection, username: &str, card_ids: &[i64]) -> Result<HashSet<(i64, DateTime<Utc>)>> {
    let mut sent = HashSet::new();
    // In chunks: a database takes only so many parameters in one statement.
    for chunk in card_ids.chunks(500) {
        let rows: Vec<(i64, NaiveDateTime)> = reminders_sent::table
            .filter(reminders_sent::card_id.eq_any(chunk))
            .filter(reminders_sent::username.eq(username))
            .select((reminders_sent::card_id, reminders_sent::due_at))
            .load(conn)?;
        sent.extend(rows.into_iter().map(|(id, due_at)| (id, from_db(due_at))));
    }
    Ok(sent)
}

pub fn record_sent(
    conn: &mut DbConnection,
    card_id: i64,
    due_at: DateTime<Utc>,
    username: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    diesel::insert_into(reminders_sent::table)
        .values((
            reminders_sent::card_id.eq(card_id),
            reminders_sent::due_at.eq(to_db(due_at)),
            reminders_sent::username.eq(username),
            reminders_sent::sent_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

pub fn notify(
    conn: &mut DbConnection,
    username: &str,
    kind: &str,
    title: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    diesel::insert_into(notifications::table)
        .values((
            notifications::username.eq(username),
            notifications::kind.eq(kind),
            notifications::title.eq(title),
            notifications::body.eq(body),
            notifications::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A user's notifications, newest first.
pub fn notifications_for(conn: &mut DbConnection, username: &str, limit: i64) -> Result<Vec<Notification>> {
    let rows: Vec<(i64, String, String, String, NaiveDateTime, Option<NaiveDateTime>)> = notifications::table
        .filter(notifications::username.eq(username))
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit)
        .select((
            notifications::id,
            notifications::kind,
            notifications::title,
            notifications::body,
            notifications::created_at,
            notifications::read_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, title, body, created_at, read_at)| Notification {
            id,
            kind,
            title,
            body,
            created_at: from_db(created_at),
            read_at: read_at.map(from_db),
        })
        .collect())
}

pub fn unread_count(conn: &mut DbConnection, username: &str) -> Result<i64> {
    Ok(notifications::table
        .filter(notifications::username.eq(username).and(notifications::read_at.is_null()))
        .count()
        .get_result(conn)?)
}

pub fn mark_all_read(conn: &mut DbConnection, username: &str, now: DateTime<Utc>) -> Result<usize> {
    Ok(diesel::update(
        notifications::table.filter(notifications::username.eq(username).and(notifications::read_at.is_null())),
    )
    .set(notifications::read_at.eq(Some(to_db(now))))
    .execute(conn)?)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub payload: String,
    pub attempts: i32,
}

pub fn enqueue_webhook(conn: &mut DbConnection, payload: &str, now: DateTime<Utc>) -> Result<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values((webhook_deliveries::payload.eq(payload), webhook_deliveries::next_attempt_at.eq(to_db(now))))
        .execute(conn)?;
    Ok(())
}

/// Deliveries whose next attempt is due, oldest first.
pub fn due_deliveries(conn: &mut DbConnection, now: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>> {
    let rows: Vec<(i64, String, i32)> = webhook_deliveries::table
        .filter(webhook_deliveries::delivered_at.is_null().and(webhook_deliveries::failed_at.is_null()))
        .filter(webhook_deliveries::next_attempt_at.le(to_db(now)))
        .order(webhook_deliveries::id.asc())
        .limit(limit)
        .select((webhook_deliveries::id, webhook_deliveries::payload, webhook_deliveries::attempts))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, payload, attempts)| Delivery { id, payload, attempts }).collect())
}

pub fn delivered(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::delivered_at.eq(Some(to_db(now))),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: try again at `retry_at`, or give up when it is `None`.
pub fn attempt_failed(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let updated = match retry_at {
        Some(at) => diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::next_attempt_at.eq(to_db(at)),
                webhook_deliveries::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        None => diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::failed_at.eq(Some(to_db(now))),
                webhook_deliveries::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    if updated == 0 {
        return Err(StoreError::NotFound(format!("webhook delivery {id}")));
    }
    Ok(())
}

/// (delivered, failed for good, pending) counts, for tests and the admin.
pub fn delivery_counts(conn: &mut DbConnection) -> Result<(i64, i64, i64)> {
    let delivered =
        webhook_deliveries::table.filter(webhook_deliveries::delivered_at.is_not_null()).count().get_result(conn)?;
    let failed =
        webhook_deliveries::table.filter(webhook_deliveries::failed_at.is_not_null()).count().get_result(conn)?;
    let pending = webhook_deliveries::table
        .filter(webhook_deliveries::delivered_at.is_null().and(webhook_deliveries::failed_at.is_null()))
        .count()
        .get_result(conn)?;
    Ok((delivered, failed, pending))
}
