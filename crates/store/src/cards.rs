//! Cards: the head row of each card, its tags, its immutable revisions, and the change
//! row each mutation appends. Functions take the caller's connection so a service can
//! compose them inside one [`crate::Store::write`] transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use verity_core::verification::DueTimes;
use verity_core::{Interval, Slug, Status, VerificationState};

use crate::schema::{card_links, card_revisions, card_tags, cards, collections, verifications};
use crate::status::status_in;
use crate::{DbConnection, MultiBackend, Result, StoreError, changes, from_db, to_db, unique_row};

/// The head of a card, with its collection's slug and its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub id: i64,
    pub slug: String,
    /// The collection's slug.
    pub collection: String,
    pub collection_id: i64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub owner: Option<String>,
    pub verifier: Option<String>,
    pub interval: Interval,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    pub verified_rev: Option<i32>,
    pub trusted: bool,
    pub head_rev: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub source_path: Option<String>,
    /// Front matter keys Verity does not know, as a JSON object in their original order.
    pub extra: String,
    pub archived_at: Option<DateTime<Utc>>,
    /// Hash of the file's bytes when last synced with the content folder.
    pub source_hash: Option<String>,
    /// The revision the file held when last synced.
    pub source_rev: Option<i32>,
    /// The file and the app changed the same lines; both versions are in the history.
    pub sync_conflict: bool,
}

impl Card {
    pub fn verification(&self) -> VerificationState {
        VerificationState { verified_at: self.verified_at, interval: self.interval, trusted: self.trusted }
    }

    pub fn status(&self, now: DateTime<Utc>) -> Status {
        self.verification().status(now)
    }

    /// When the current verification expires; `None` while unverified.
    pub fn due_times(&self) -> Option<DueTimes> {
        self.verification().due_times()
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = cards)]
struct CardRow {
    id: i64,
    slug: String,
    collection_id: i64,
    title: String,
    owner: Option<String>,
    verifier: Option<String>,
    verify_every_days: i32,
    verified_at: Option<NaiveDateTime>,
    verified_by: Option<String>,
    verified_rev: Option<i32>,
    trusted: i32,
    head_rev: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    updated_by: String,
    source_path: Option<String>,
    extra: String,
    archived_at: Option<NaiveDateTime>,
    source_hash: Option<String>,
    source_rev: Option<i32>,
    sync_conflict: i32,
}

impl CardRow {
    fn into_card(self, body: String, collection: String, tags: Vec<String>) -> Result<Card> {
        let interval =
            u32::try_from(self.verify_every_days).ok().and_then(|d| Interval::days(d).ok()).ok_or_else(|| {
                StoreError::Corrupt(format!("card `{}` has interval {}", self.slug, self.verify_every_days))
            })?;
        Ok(Card {
            id: self.id,
            slug: self.slug,
            collection,
            collection_id: self.collection_id,
            title: self.title,
            body,
            tags,
            owner: self.owner,
            verifier: self.verifier,
            interval,
            verified_at: self.verified_at.map(from_db),
            verified_by: self.verified_by,
            verified_rev: self.verified_rev,
            trusted: self.trusted != 0,
            head_rev: self.head_rev,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            updated_by: self.updated_by,
            source_path: self.source_path,
            extra: self.extra,
            archived_at: self.archived_at.map(from_db),
            source_hash: self.source_hash,
            source_rev: self.source_rev,
            sync_conflict: self.sync_conflict != 0,
        })
    }
}

/// Who looks after a card and how its verification stands; set on creation, and by
/// imports (where the front matter is the truth for these too).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CardMeta {
    pub owner: Option<String>,
    pub verifier: Option<String>,
    /// `None`: the collection's default.
    pub interval: Option<Interval>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    /// Unknown front matter keys as a JSON object.
    pub extra: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewCard {
    /// The wanted slug; `-2`, `-3`, … is appended when it is taken.
    pub slug: Slug,
    pub collection_id: i64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub meta: CardMeta,
    pub author: String,
    pub message: String,
    pub source_path: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CardEdit {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// The revision the edit started from; `None` skips the check (imports).
    pub base_rev: Option<i32>,
    pub author: String,
    pub message: String,
    /// Whether the author may vouch for the card: an edit by anyone else voids the
    /// last verification (the card becomes unverified until an expert looks).
    pub by_verifier: bool,
    /// Replaces owner, verifier, interval, extra keys and (when newer) the verification.
    pub meta: Option<CardMeta>,
    pub source_path: Option<String>,
    /// Moves the card to another collection (a file moved to another folder).
    pub collection_id: Option<i64>,
}

/// A committed mutation: the card as it now is and the change `seq` that carries it to the index.
#[derive(Debug, Clone)]
pub struct Saved {
    pub card: Card,
    pub seq: i64,
}

#[derive(Debug, Clone)]
pub enum EditOutcome {
    Saved(Saved),
    /// Nothing differed from the head: no revision, no change.
    Unchanged(Card),
}

const MAX_SLUG_TRIES: u32 = 1000;

fn free_slug(conn: &mut DbConnection, wanted: &Slug) -> Result<Slug> {
    for n in 1..=MAX_SLUG_TRIES {
        let candidate = if n == 1 { wanted.clone() } else { wanted.with_suffix(n) };
        let taken: i64 = cards::table.filter(cards::slug.eq(candidate.as_str())).count().get_result(conn)?;
        if taken == 0 {
            return Ok(candidate);
        }
    }
    Err(StoreError::AlreadyExists(format!("card slug `{wanted}`")))
}

pub(crate) fn due_columns(state: &VerificationState) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    match state.due_times() {
        Some(d) => (Some(to_db(d.due_soon_at)), Some(to_db(d.due_at))),
        None => (None, None),
    }
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Creates a card with its first revision and change row.
pub fn create(conn: &mut DbConnection, new: NewCard, now: DateTime<Utc>) -> Result<Saved> {
    let (id, seq) = create_quietly(conn, new, now)?;
    Ok(Saved { card: by_id(conn, id)?, seq })
}

/// [`create`] without reading the card back: returns its id and change seq. Bulk imports
/// need no more, and reading every body back cost them a tenth of their time.
pub fn create_quietly(conn: &mut DbConnection, new: NewCard, now: DateTime<Utc>) -> Result<(i64, i64)> {
    let slug = free_slug(conn, &new.slug)?;
    let collection_interval = crate::collections::by_id(conn, new.collection_id)?.default_interval;
    let interval = new.meta.interval.unwrap_or(collection_interval);
    let state =
        VerificationState { verified_at: new.meta.verified_at, interval, trusted: new.meta.verified_at.is_some() };
    let (due_soon_at, due_at) = due_columns(&state);
    let id: i64 = diesel::insert_into(cards::table)
        .values((
            cards::slug.eq(slug.as_str()),
            cards::collection_id.eq(new.collection_id),
            cards::title.eq(&new.title),
            cards::body.eq(&new.body),
            cards::owner.eq(&new.meta.owner),
            cards::verifier.eq(&new.meta.verifier),
            cards::verify_every_days.eq(interval.as_days() as i32),
            cards::verified_at.eq(new.meta.verified_at.map(to_db)),
            cards::verified_by.eq(&new.meta.verified_by),
            cards::verified_rev.eq(new.meta.verified_at.map(|_| 1)),
            cards::trusted.eq(i32::from(state.trusted)),
            cards::due_soon_at.eq(due_soon_at),
            cards::due_at.eq(due_at),
            cards::head_rev.eq(1),
            cards::created_at.eq(to_db(now)),
            cards::updated_at.eq(to_db(now)),
            cards::updated_by.eq(&new.author),
            cards::source_path.eq(&new.source_path),
            cards::extra.eq(new.meta.extra.as_deref().unwrap_or("{}")),
        ))
        .returning(cards::id)
        .get_result(conn)?;
    replace_tags(conn, id, &new.tags)?;
    replace_links(conn, id, &new.body)?;
    append_revision(conn, id, 1, &new.title, &new.body, &new.tags, &new.author, &new.message, now)?;
    if let Some(at) = new.meta.verified_at {
        record_verification(conn, id, 1, new.meta.verified_by.as_deref().unwrap_or(""), at, "")?;
    }
    let seq = changes::append(conn, id, now)?;
    Ok((id, seq))
}

/// Locks the card's row until the transaction ends, so two writers that read, decide
/// and write (edit, verify, reassign) run one after the other. PostgreSQL only: SQLite
/// transactions here begin IMMEDIATE and already hold the database's single write lock.
pub fn lock(conn: &mut DbConnection, id: i64) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT id FROM cards WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(pg)?;
    }
    Ok(())
}

/// Applies an edit: a new revision when title, body or tags differ, metadata in place,
/// and one change row; [`EditOutcome::Unchanged`] when nothing differs.
pub fn edit(conn: &mut DbConnection, id: i64, edit: CardEdit, now: DateTime<Utc>) -> Result<EditOutcome> {
    lock(conn, id)?;
    let card = by_id(conn, id)?;
    if let Some(base) = edit.base_rev
        && base != card.head_rev
    {
        return Err(StoreError::Conflict { base, head: card.head_rev });
    }
    let content_changed = edit.title != card.title || edit.body != card.body || edit.tags != card.tags;
    let meta = edit.meta.as_ref();
    let interval = meta.and_then(|m| m.interval).unwrap_or(card.interval);
    let owner = meta.map_or(&card.owner, |m| &m.owner);
    let verifier = meta.map_or(&card.verifier, |m| &m.verifier);
    let extra = meta.and_then(|m| m.extra.as_deref()).unwrap_or(&card.extra);
    let source_path = edit.source_path.as_ref().or(card.source_path.as_ref());
    // A verification newer than the card's is a new verification; one the card does not
    // have is never erased (the database keeps what it learned).
    let new_verification = meta
        .and_then(|m| m.verified_at.map(|at| (at, m.verified_by.clone())))
        .filter(|(at, _)| card.verified_at.is_none_or(|old| *at > old));

    let current_collection = unique_row::<_, i64>(cards::table.find(id).select(cards::collection_id), conn)?
        .ok_or(StoreError::Db(diesel::result::Error::NotFound))?;
    let collection_id = edit.collection_id.unwrap_or(current_collection);

    let meta_changed = collection_id != current_collection
        || interval != card.interval
        || *owner != card.owner
        || *verifier != card.verifier
        || extra != card.extra
        || source_path != card.source_path.as_ref()
        || new_verification.is_some();
    if !content_changed && !meta_changed {
        return Ok(EditOutcome::Unchanged(card));
    }

    let head_rev = if content_changed { card.head_rev + 1 } else { card.head_rev };
    let (verified_at, verified_by, verified_rev, trusted) = match &new_verification {
        Some((at, by)) => (Some(*at), by.clone(), Some(head_rev), true),
        None => (
            card.verified_at,
            card.verified_by.clone(),
            card.verified_rev,
            card.trusted && (!content_changed || edit.by_verifier),
        ),
    };
    let state = VerificationState { verified_at, interval, trusted };
    let (due_soon_at, due_at) = due_columns(&state);
    let (updated_at, updated_by) =
        if content_changed { (now, edit.author.as_str()) } else { (card.updated_at, card.updated_by.as_str()) };

    diesel::update(cards::table.find(id))
        .set((
            cards::title.eq(&edit.title),
            cards::body.eq(&edit.body),
            cards::owner.eq(owner),
            cards::verifier.eq(verifier),
            cards::verify_every_days.eq(interval.as_days() as i32),
            cards::verified_at.eq(verified_at.map(to_db)),
            cards::verified_by.eq(&verified_by),
            cards::verified_rev.eq(verified_rev),
            cards::trusted.eq(i32::from(trusted)),
            cards::due_soon_at.eq(due_soon_at),
            cards::due_at.eq(due_at),
            cards::head_rev.eq(head_rev),
            cards::updated_at.eq(to_db(updated_at)),
            cards::updated_by.eq(updated_by),
            cards::source_path.eq(source_path),
            cards::extra.eq(extra),
            cards::collection_id.eq(collection_id),
        ))
        .execute(conn)?;
    if content_changed {
        if edit.tags != card.tags {
            replace_tags(conn, id, &edit.tags)?;
        }
        if edit.body != card.body {
            replace_links(conn, id, &edit.body)?;
        }
        append_revision(conn, id, head_rev, &edit.title, &edit.body, &edit.tags, &edit.author, &edit.message, now)?;
    }
    if let Some((at, by)) = &new_verification {
        record_verification(conn, id, head_rev, by.as_deref().unwrap_or(""), *at, "")?;
    }
    let seq = changes::append(conn, id, now)?;
    Ok(EditOutcome::Saved(Saved { card: by_id(conn, id)?, seq }))
}

fn replace_tags(conn: &mut DbConnection, id: i64, tags: &[String]) -> Result<()> {
    diesel::delete(card_tags::table.filter(card_tags::card_id.eq(id))).execute(conn)?;
    // One row at a time: the two-backend connection has no batch insert.
    for (position, tag) in tags.iter().enumerate() {
        diesel::insert_into(card_tags::table)
            .values((card_tags::card_id.eq(id), card_tags::tag.eq(tag), card_tags::position.eq(position as i32)))
            .execute(conn)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn append_revision(
    conn: &mut DbConnection,
    id: i64,
    rev: i32,
    title: &str,
    body: &str,
    tags: &[String],
    author: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    diesel::insert_into(card_revisions::table)
        .values((
            card_revisions::card_id.eq(id),
            card_revisions::rev.eq(rev),
            card_revisions::title.eq(title),
            card_revisions::body.eq(body),
            card_revisions::tags.eq(tags_json(tags)),
            card_revisions::author.eq(author),
            card_revisions::message.eq(message),
            card_revisions::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn record_verification(
    conn: &mut DbConnection,
    id: i64,
    rev: i32,
    by: &str,
    at: DateTime<Utc>,
    note: &str,
) -> Result<()> {
    diesel::insert_into(verifications::table)
        .values((
            verifications::card_id.eq(id),
            verifications::rev.eq(rev),
            verifications::verified_by.eq(by),
            verifications::verified_at.eq(to_db(at)),
            verifications::note.eq(note),
        ))
        .execute(conn)?;
    Ok(())
}

/// Loads full cards for rows, with their collection slugs and tags, in two more queries.
fn assemble(conn: &mut DbConnection, rows: Vec<(CardRow, String, String)>) -> Result<Vec<Card>> {
    let ids: Vec<i64> = rows.iter().map(|(r, _, _)| r.id).collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    // Bounded IN lists keep every backend's parameter limit happy.
    for chunk in ids.chunks(500) {
        let rows = card_tags::table
            .filter(card_tags::card_id.eq_any(chunk))
            .order((card_tags::card_id, card_tags::position))
            .select((card_tags::card_id, card_tags::tag))
            .load::<(i64, String)>(conn)?;
        for (id, tag) in rows {
            tags.entry(id).or_default().push(tag);
        }
    }
    rows.into_iter()
        .map(|(row, body, collection)| {
            let card_tags = tags.remove(&row.id).unwrap_or_default();
            row.into_card(body, collection, card_tags)
        })
        .collect()
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Card> {
    let query = cards::table.inner_join(collections::table).filter(cards::id.eq(id));
    let row = unique_row::<_, (CardRow, String, String)>(
        query.select((CardRow::as_select(), cards::body, collections::slug)),
        conn,
    )?
    .ok_or_else(|| StoreError::NotFound(format!("card {id}")))?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

pub fn by_slug(conn: &mut DbConnection, slug: &str) -> Result<Card> {
    let id = unique_row::<_, i64>(cards::table.filter(cards::slug.eq(slug)).select(cards::id), conn)?;
    by_id(conn, id.ok_or_else(|| StoreError::NotFound(format!("card `{slug}`")))?)
}

pub fn by_source_path(conn: &mut DbConnection, path: &str) -> Result<Option<Card>> {
    let id = unique_row::<_, i64>(cards::table.filter(cards::source_path.eq(path)).select(cards::id), conn)?;
    id.map(|id| by_id(conn, id)).transpose()
}

/// The cards with these ids (archived ones included), in no particular order.
pub fn many(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Card>> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        rows.extend(
            cards::table
                .inner_join(collections::table)
                .filter(cards::id.eq_any(chunk))
                .select((CardRow::as_select(), cards::body, collections::slug))
                .load::<(CardRow, String, String)>(conn)?,
        );
    }
    assemble(conn, rows)
}

/// Every card id, for a full reindex.
pub fn all_ids(conn: &mut DbConnection) -> Result<Vec<i64>> {
    Ok(cards::table.select(cards::id).order(cards::id.asc()).load(conn)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Most recently changed first.
    #[default]
    Recent,
    Title,
    /// In the order cards were made (stable while paging through everything).
    Oldest,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub collection: Option<String>,
    pub status: Option<Status>,
    pub order: Order,
    pub limit: i64,
    pub offset: i64,
    /// Collections the reader may not see (by id): their cards are left out.
    pub hidden_collections: Vec<i64>,
}

type Filtered<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::InnerJoin<cards::table, collections::table>,
        diesel::dsl::IsNull<cards::archived_at>,
    >,
    MultiBackend,
>;

/// Live cards matching the query's filters; the status filter compares the stored due
/// times with `now` ([`crate::status`]).
fn filtered<'a>(query: &'a ListQuery, now: DateTime<Utc>) -> Filtered<'a> {
    let mut q = cards::table.inner_join(collections::table).filter(cards::archived_at.is_null()).into_boxed();
    if let Some(collection) = &query.collection {
        q = q.filter(collections::slug.eq(collection));
    }
    if !query.hidden_collections.is_empty() {
        q = q.filter(cards::collection_id.ne_all(&query.hidden_collections));
    }
    if let Some(status) = query.status {
        q = q.filter(status_in(&[status], now));
    }
    q
}

/// One page of live cards and the number of all that match. Lists never show a body, so
/// the cards come without one (`body` is empty).
pub fn list(conn: &mut DbConnection, query: &ListQuery, now: DateTime<Utc>) -> Result<(i64, Vec<Card>)> {
    let total: i64 = filtered(query, now).count().get_result(conn)?;
    let page = filtered(query, now).select((CardRow::as_select(), collections::slug));
    let page = match query.order {
        Order::Recent => page.order((cards::updated_at.desc(), cards::id.desc())),
        Order::Title => page.order((cards::title.asc(), cards::id.asc())),
        Order::Oldest => page.order(cards::id.asc()),
    };
    let rows = page.limit(query.limit).offset(query.offset).load::<(CardRow, String)>(conn)?;
    let rows = rows.into_iter().map(|(row, collection)| (row, String::new(), collection)).collect();
    Ok((total, assemble(conn, rows)?))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub rev: i32,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub author: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

type RevisionRow = (i32, String, String, String, String, String, NaiveDateTime);

fn revision_from_row((rev, title, body, tags, author, message, created_at): RevisionRow) -> Result<Revision> {
    let tags = serde_json::from_str(&tags).map_err(|e| StoreError::Corrupt(format!("revision {rev} tags: {e}")))?;
    Ok(Revision { rev, title, body, tags, author, message, created_at: from_db(created_at) })
}

const REVISION_COLUMNS: (
    card_revisions::rev,
    card_revisions::title,
    card_revisions::body,
    card_revisions::tags,
    card_revisions::author,
    card_revisions::message,
    card_revisions::created_at,
) = (
    card_revisions::rev,
    card_revisions::title,
    card_revisions::body,
    card_revisions::tags,
    card_revisions::author,
    card_revisions::message,
    card_revisions::created_at,
);

/// How many revisions a card has.
pub fn revision_count(conn: &mut DbConnection, card_id: i64) -> Result<i64> {
    Ok(card_revisions::table.filter(card_revisions::card_id.eq(card_id)).count().get_result(conn)?)
}

/// Every revision of a card, newest first.
pub fn revisions(conn: &mut DbConnection, card_id: i64) -> Result<Vec<Revision>> {
    card_revisions::table
        .filter(card_revisions::card_id.eq(card_id))
        .order(card_revisions::rev.desc())
        .select(REVISION_COLUMNS)
        .load::<RevisionRow>(conn)?
        .into_iter()
        .map(revision_from_row)
        .collect()
}

pub fn revision(conn: &mut DbConnection, card_id: i64, rev: i32) -> Result<Revision> {
    let row = card_revisions::table
        .filter(card_revisions::card_id.eq(card_id).and(card_revisions::rev.eq(rev)))
        .select(REVISION_COLUMNS)
        .first::<RevisionRow>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("revision {rev}")))?;
    revision_from_row(row)
}

/// A line of the "recent changes" list.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentChange {
    pub slug: String,
    pub title: String,
    pub collection: String,
    pub rev: i32,
    pub author: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// The newest revisions of live cards outside `hidden` collections, newest first.
pub fn recent_changes(conn: &mut DbConnection, limit: i64, hidden: &[i64]) -> Result<Vec<RecentChange>> {
    let rows: Vec<(String, String, String, i32, String, String, NaiveDateTime)> = card_revisions::table
        .inner_join(cards::table.inner_join(collections::table))
        .filter(cards::archived_at.is_null())
        .filter(cards::collection_id.ne_all(hidden))
        .order((card_revisions::created_at.desc(), card_revisions::id.desc()))
        .limit(limit)
        .select((
            cards::slug,
            cards::title,
            collections::slug,
            card_revisions::rev,
            card_revisions::author,
            card_revisions::message,
            card_revisions::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, collection, rev, author, message, at)| RecentChange {
            slug,
            title,
            collection,
            rev,
            author,
            message,
            at: from_db(at),
        })
        .collect())
}

/// Live cards tied to a file: (id, path, hash of the file when last synced).
pub fn synced_files(conn: &mut DbConnection) -> Result<Vec<(i64, String, Option<String>)>> {
    let rows: Vec<(i64, Option<String>, Option<String>)> = cards::table
        .filter(cards::source_path.is_not_null().and(cards::archived_at.is_null()))
        .select((cards::id, cards::source_path, cards::source_hash))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, path, hash)| path.map(|p| (id, p, hash))).collect())
}

/// Records that the card's file now holds revision `rev` with these bytes' `hash`.
pub fn set_synced(conn: &mut DbConnection, id: i64, path: &str, hash: &str, rev: i32) -> Result<()> {
    diesel::update(cards::table.find(id))
        .set((cards::source_path.eq(Some(path)), cards::source_hash.eq(Some(hash)), cards::source_rev.eq(Some(rev))))
        .execute(conn)?;
    Ok(())
}

/// Flags (or clears) a conflict between the file and the app.
pub fn set_sync_conflict(conn: &mut DbConnection, id: i64, conflict: bool) -> Result<()> {
    diesel::update(cards::table.find(id)).set(cards::sync_conflict.eq(i32::from(conflict))).execute(conn)?;
    Ok(())
}

/// Archives a card (a soft delete: it leaves search and lists, its history stays).
pub fn archive(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<Saved> {
    lock(conn, id)?;
    diesel::update(cards::table.find(id)).set(cards::archived_at.eq(Some(to_db(now)))).execute(conn)?;
    let seq = changes::append(conn, id, now)?;
    Ok(Saved { card: by_id(conn, id)?, seq })
}

/// Brings an archived card back.
pub fn unarchive(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<Saved> {
    diesel::update(cards::table.find(id)).set(cards::archived_at.eq(None::<NaiveDateTime>)).execute(conn)?;
    let seq = changes::append(conn, id, now)?;
    Ok(Saved { card: by_id(conn, id)?, seq })
}

/// An archived card that was tied to `path` (a file that comes back revives its card).
pub fn archived_by_source_path(conn: &mut DbConnection, path: &str) -> Result<Option<Card>> {
    let id = cards::table
        .filter(cards::source_path.eq(path).and(cards::archived_at.is_not_null()))
        .select(cards::id)
        .first::<i64>(conn)
        .optional()?;
    id.map(|id| by_id(conn, id)).transpose()
}

/// Live cards flagged with a conflict between their file and the app: (slug, title, path).
pub fn sync_conflicts(conn: &mut DbConnection) -> Result<Vec<(String, String, Option<String>)>> {
    Ok(cards::table
        .filter(cards::sync_conflict.eq(1).and(cards::archived_at.is_null()))
        .select((cards::slug, cards::title, cards::source_path))
        .order(cards::title.asc())
        .load(conn)?)
}

/// Records the card's `[[wiki link]]` targets (lower-cased), for backlinks, and the
/// attachments it shows (as their `/attachments/KEY` paths), for who may fetch them.
fn replace_links(conn: &mut DbConnection, id: i64, body: &str) -> Result<()> {
    diesel::delete(card_links::table.filter(card_links::card_id.eq(id))).execute(conn)?;
    let mut targets: Vec<String> =
        verity_core::markdown::wikilinks(body).into_iter().map(|t| t.to_lowercase()).collect();
    targets.extend(
        crate::attachments::references(body).into_iter().map(|r| format!("{}{r}", crate::attachments::URL_PREFIX)),
    );
    targets.sort();
    targets.dedup();
    for target in targets {
        diesel::insert_into(card_links::table)
            .values((card_links::card_id.eq(id), card_links::target.eq(target)))
            .execute(conn)?;
    }
    Ok(())
}

/// Live cards outside `hidden` collections that link to `card` by its slug or its
/// title: (slug, title), by title.
pub fn backlinks(conn: &mut DbConnection, card: &Card, hidden: &[i64]) -> Result<Vec<(String, String)>> {
    let keys = [card.slug.to_lowercase(), card.title.to_lowercase()];
    Ok(card_links::table
        .inner_join(cards::table)
        .filter(card_links::target.eq_any(keys).and(cards::archived_at.is_null()).and(cards::id.ne(card.id)))
        .filter(cards::collection_id.ne_all(hidden))
        .select((cards::slug, cards::title))
        .distinct()
        .order(cards::title.asc())
        .load(conn)?)
}

/// Which live card each wiki-link target names: a slug, an exact title, or a title that
/// slugifies to a card's slug (first match in that order; the oldest card among equals).
/// Cards in `hidden` collections are not linked to (as if they did not exist). One query
/// for all targets. Returns (target as written, slug).
pub fn resolve_links(conn: &mut DbConnection, targets: &[String], hidden: &[i64]) -> Result<Vec<(String, String)>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let as_slugs: Vec<String> = targets.iter().map(|t| verity_core::Slug::from_text(t, "card").into_string()).collect();
    let candidates: Vec<(i64, String, String)> = cards::table
        .filter(cards::archived_at.is_null())
        .filter(cards::collection_id.ne_all(hidden))
        .filter(cards::slug.eq_any(targets).or(cards::title.eq_any(targets)).or(cards::slug.eq_any(&as_slugs)))
        .select((cards::id, cards::slug, cards::title))
        .order(cards::id.asc())
        .load(conn)?;
    let mut by_slug: HashMap<&str, &str> = HashMap::new();
    let mut by_title: HashMap<&str, &str> = HashMap::new();
    for (_, slug, title) in &candidates {
        by_slug.entry(slug.as_str()).or_insert(slug.as_str());
        by_title.entry(title.as_str()).or_insert(slug.as_str());
    }
    Ok(targets
        .iter()
        .zip(&as_slugs)
        .filter_map(|(target, as_slug)| {
            let found = by_slug.get(target.as_str()).or_else(|| by_title.get(target.as_str()));
            let found = found.or_else(|| by_slug.get(as_slug.as_str()))?;
            Some((target.clone(), (*found).to_owned()))
        })
        .collect())
}

/// A line of the archive: (slug, title, collection, archived at).
pub type ArchivedCard = (String, String, String, DateTime<Utc>);

/// Archived cards outside `hidden` collections, most recently archived first.
pub fn archived(conn: &mut DbConnection, limit: i64, hidden: &[i64]) -> Result<Vec<ArchivedCard>> {
    let rows: Vec<(String, String, String, Option<NaiveDateTime>)> = cards::table
        .inner_join(collections::table)
        .filter(cards::archived_at.is_not_null())
        .filter(cards::collection_id.ne_all(hidden))
        .order(cards::archived_at.desc())
        .limit(limit)
        .select((cards::slug, cards::title, collections::slug, cards::archived_at))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(s, t, c, at)| at.map(|at| (s, t, c, from_db(at)))).collect())
}
