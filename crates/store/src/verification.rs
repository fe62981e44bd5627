//! Verifying cards, re-assigning who verifies them, and requests for verification.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use verity_core::{Interval, Status, VerificationState};

use crate::cards::{self, Card, Saved, due_columns, record_verification};
use crate::schema::{cards as cards_t, verification_requests as requests, verifications};
use crate::status::status_in;
use crate::{DbConnection, Result, StoreError, changes, from_db, to_db};

/// The statuses that put a card in its verifier's queue (open requests do too).
const WAITING: &[Status] = &[Status::Unverified, Status::DueSoon, Status::Stale];

/// Records that `by` vouches for the card's current revision, restarting its clock, and
/// resolves its open requests.
pub fn verify(conn: &mut DbConnection, card_id: i64, by: &str, note: &str, now: DateTime<Utc>) -> Result<Saved> {
    cards::lock(conn, card_id)?;
    let card = cards::by_id(conn, card_id)?;
    let state = VerificationState { verified_at: Some(now), interval: card.interval, trusted: true };
    let (due_soon_at, due_at) = due_columns(&state);
    diesel::update(cards_t::table.find(card_id))
        .set((
            cards_t::verified_at.eq(Some(to_db(now))),
            cards_t::verified_by.eq(Some(by)),
            cards_t::verified_rev.eq(Some(card.head_rev)),
            cards_t::trusted.eq(1),
            cards_t::due_soon_at.eq(due_soon_at),
            cards_t::due_at.eq(due_at),
        ))
        .execute(conn)?;
    record_verification(conn, card_id, card.head_rev, by, now, note)?;
    diesel::update(requests::table.filter(requests::card_id.eq(card_id).and(requests::resolved_at.is_null())))
        .set((
            requests::resolved_at.eq(Some(to_db(now))),
            requests::resolved_by.eq(Some(by)),
            requests::resolution.eq(Some("verified")),
        ))
        .execute(conn)?;
    let seq = changes::append(conn, card_id, now)?;
    Ok(Saved { card: cards::by_id(conn, card_id)?, seq })
}

/// Changes who verifies the card and how often. The last verification stands; its
/// expiry moves with the new interval.
pub fn assign(
    conn: &mut DbConnection,
    card_id: i64,
    verifier: Option<&str>,
    interval: Interval,
    now: DateTime<Utc>,
) -> Result<Saved> {
    cards::lock(conn, card_id)?;
    let card = cards::by_id(conn, card_id)?;
    let state = VerificationState { verified_at: card.verified_at, interval, trusted: card.trusted };
    let (due_soon_at, due_at) = due_columns(&state);
    diesel::update(cards_t::table.find(card_id))
        .set((
            cards_t::verifier.eq(verifier),
            cards_t::verify_every_days.eq(interval.as_days() as i32),
            cards_t::due_soon_at.eq(due_soon_at),
            cards_t::due_at.eq(due_at),
        ))
        .execute(conn)?;
    let seq = changes::append(conn, card_id, now)?;
    Ok(Saved { card: cards::by_id(conn, card_id)?, seq })
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerificationEvent {
    pub rev: i32,
    pub verified_by: String,
    pub verified_at: DateTime<Utc>,
    pub note: String,
}

/// Every verification of a card, newest first.
pub fn history(conn: &mut DbConnection, card_id: i64) -> Result<Vec<VerificationEvent>> {
    let rows: Vec<(i32, String, NaiveDateTime, String)> = verifications::table
        .filter(verifications::card_id.eq(card_id))
        .order((verifications::verified_at.desc(), verifications::id.desc()))
        .select((verifications::rev, verifications::verified_by, verifications::verified_at, verifications::note))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(rev, verified_by, at, note)| VerificationEvent { rev, verified_by, verified_at: from_db(at), note })
        .collect())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: i64,
    pub card_id: i64,
    pub requested_by: String,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
    pub answer: Option<String>,
}

type RequestRow =
    (i64, i64, String, String, NaiveDateTime, Option<NaiveDateTime>, Option<String>, Option<String>, Option<String>);

fn request_from_row(r: RequestRow) -> Request {
    let (id, card_id, requested_by, comment, created_at, resolved_at, resolved_by, resolution, answer) = r;
    Request {
        id,
        card_id,
        requested_by,
        comment,
        created_at: from_db(created_at),
        resolved_at: resolved_at.map(from_db),
        resolved_by,
        resolution,
        answer,
    }
}

/// Someone thinks the card looks wrong: the request stays open until the card is
/// verified or a verifier answers it.
pub fn request(conn: &mut DbConnection, card_id: i64, by: &str, comment: &str, now: DateTime<Utc>) -> Result<Request> {
    let id: i64 = diesel::insert_into(requests::table)
        .values((
            requests::card_id.eq(card_id),
            requests::requested_by.eq(by),
            requests::comment.eq(comment),
            requests::created_at.eq(to_db(now)),
        ))
        .returning(requests::id)
        .get_result(conn)?;
    // The queue and the card's page show open requests; the index need not know.
    get_request(conn, id)
}

pub fn get_request(conn: &mut DbConnection, id: i64) -> Result<Request> {
    requests::table
        .find(id)
        .first::<RequestRow>(conn)
        .optional()?
        .map(request_from_row)
        .ok_or_else(|| StoreError::NotFound(format!("verification request {id}")))
}

/// Closes an open request with an answer instead of a verification.
pub fn answer(conn: &mut DbConnection, id: i64, by: &str, answer: &str, now: DateTime<Utc>) -> Result<Request> {
    let updated = diesel::update(requests::table.filter(requests::id.eq(id).and(requests::resolved_at.is_null())))
        .set((
            requests::resolved_at.eq(Some(to_db(now))),
            requests::resolved_by.eq(Some(by)),
            requests::resolution.eq(Some("answered")),
            requests::answer.eq(Some(answer)),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("open verification request {id}")));
    }
    get_request(conn, id)
}

/// A card's requests, open ones first, newest first within each.
pub fn requests_for(conn: &mut DbConnection, card_id: i64) -> Result<Vec<Request>> {
    let mut list: Vec<Request> = requests::table
        .filter(requests::card_id.eq(card_id))
        .order((requests::created_at.desc(), requests::id.desc()))
        .load::<RequestRow>(conn)?
        .into_iter()
        .map(request_from_row)
        .collect();
    list.sort_by_key(|r| r.resolved_at.is_some());
    Ok(list)
}

/// A card waiting for one of its verifiers, and since when.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub card: Card,
    /// Since when the card has needed its expert: its due date, the last change that
    /// voided its verification, or its oldest open request. The queue is sorted by it.
    pub waiting_since: DateTime<Utc>,
    pub open_requests: usize,
}

/// Cards verified by any of `verifiers` (a username and their groups) that are stale, due
/// soon, unverified or have an open request, outside `hidden` collections; most overdue
/// first.
pub fn queue(
    conn: &mut DbConnection,
    verifiers: &[String],
    hidden: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<QueueEntry>> {
    let open: Vec<(i64, NaiveDateTime)> = requests::table
        .inner_join(cards_t::table)
        .filter(requests::resolved_at.is_null().and(cards_t::verifier.eq_any(verifiers)))
        .select((requests::card_id, requests::created_at))
        .load(conn)?;
    let open_ids: Vec<i64> = open.iter().map(|(id, _)| *id).collect();
    let ids: Vec<i64> = cards_t::table
        .filter(cards_t::verifier.eq_any(verifiers).and(cards_t::archived_at.is_null()))
        .filter(status_in(WAITING, now).or(cards_t::id.eq_any(&open_ids)))
        .filter(cards_t::collection_id.ne_all(hidden))
        .select(cards_t::id)
        .load(conn)?;
    let mut entries: Vec<QueueEntry> = cards::many(conn, &ids)?
        .into_iter()
        .map(|card| {
            let requests: Vec<DateTime<Utc>> =
                open.iter().filter(|(id, _)| *id == card.id).map(|(_, at)| from_db(*at)).collect();
            let oldest_request = requests.iter().min().copied();
            let due = match (card.status(now), card.due_times()) {
                (Status::Verified, _) => None,
                (_, Some(d)) => Some(d.due_at),
                // Unverified: waiting since it was last changed.
                (_, None) => Some(card.updated_at),
            };
            let waiting_since = [due, oldest_request].into_iter().flatten().min().unwrap_or(now);
            QueueEntry { card, waiting_since, open_requests: requests.len() }
        })
        .collect();
    entries.sort_by(|a, b| a.waiting_since.cmp(&b.waiting_since).then_with(|| a.card.title.cmp(&b.card.title)));
    Ok(entries)
}

/// How many cards wait for any of `verifiers` (the number on the "Verify" link).
pub fn queue_count(conn: &mut DbConnection, verifiers: &[String], hidden: &[i64], now: DateTime<Utc>) -> Result<i64> {
    let open_ids: Vec<i64> = requests::table
        .inner_join(cards_t::table)
        .filter(requests::resolved_at.is_null().and(cards_t::verifier.eq_any(verifiers)))
        .select(requests::card_id)
        .load(conn)?;
    Ok(cards_t::table
        .filter(cards_t::verifier.eq_any(verifiers).and(cards_t::archived_at.is_null()))
        .filter(status_in(WAITING, now).or(cards_t::id.eq_any(&open_ids)))
        .filter(cards_t::collection_id.ne_all(hidden))
        .count()
        .get_result(conn)?)
}
