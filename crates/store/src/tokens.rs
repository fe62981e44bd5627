//! Personal API tokens (kept as SHA-256 hashes: the tokens are long random strings, so a
//! fast hash is enough and lookups stay cheap) and sessions signed out one by one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::{api_tokens, revoked_sessions};
use crate::{DbConnection, Result, from_db, to_db, unique_row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

type Row = (i64, i64, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>);

fn from_row((id, user_id, name, created_at, last_used_at): Row) -> ApiToken {
    ApiToken { id, user_id, name, created_at: from_db(created_at), last_used_at: last_used_at.map(from_db) }
}

const COLUMNS: (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::created_at,
    api_tokens::last_used_at,
) = (api_tokens::id, api_tokens::user_id, api_tokens::name, api_tokens::created_at, api_tokens::last_used_at);

pub fn create(conn: &mut DbConnection, user_id: i64, name: &str, hash: &str, now: DateTime<Utc>) -> Result<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(hash),
            api_tokens::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    let row: Row = api_tokens::table.filter(api_tokens::token_hash.eq(hash)).select(COLUMNS).first(conn)?;
    Ok(from_row(row))
}

/// A user's live tokens, newest first.
pub fn list(conn: &mut DbConnection, user_id: i64) -> Result<Vec<ApiToken>> {
    let rows: Vec<Row> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id).and(api_tokens::revoked_at.is_null()))
        .order(api_tokens::id.desc())
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Revokes one of the user's tokens; false if they have no such live token.
pub fn revoke(conn: &mut DbConnection, user_id: i64, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id).and(api_tokens::user_id.eq(user_id)).and(api_tokens::revoked_at.is_null())),
    )
    .set(api_tokens::revoked_at.eq(Some(to_db(now))))
    .execute(conn)?;
    Ok(n > 0)
}

/// The live token with this hash.
pub fn find_live(conn: &mut DbConnection, hash: &str) -> Result<Option<ApiToken>> {
    let live = api_tokens::table.filter(api_tokens::token_hash.eq(hash).and(api_tokens::revoked_at.is_null()));
    let row: Option<Row> = unique_row(live.select(COLUMNS), conn)?;
    Ok(row.map(from_row))
}

pub fn touch(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    diesel::update(api_tokens::table.find(id)).set(api_tokens::last_used_at.eq(Some(to_db(now)))).execute(conn)?;
    Ok(())
}

/// Signs one session out: its token id is refused until the token would have expired.
pub fn revoke_session(conn: &mut DbConnection, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
    if !session_revoked(conn, jti)? {
        diesel::insert_into(revoked_sessions::table)
            .values((revoked_sessions::jti.eq(jti), revoked_sessions::expires_at.eq(to_db(expires_at))))
            .execute(conn)?;
    }
    Ok(())
}

pub fn session_revoked(conn: &mut DbConnection, jti: &str) -> Result<bool> {
    let n: i64 = revoked_sessions::table.filter(revoked_sessions::jti.eq(jti)).count().get_result(conn)?;
    Ok(n > 0)
}

/// Forgets revocations of tokens that have expired anyway.
pub fn purge_revoked_sessions(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize> {
    Ok(diesel::delete(revoked_sessions::table.filter(revoked_sessions::expires_at.lt(to_db(now)))).execute(conn)?)
}
