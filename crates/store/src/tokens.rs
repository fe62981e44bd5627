//! Personal API tokens (kept as SHA-256 hashes: the tokens are long random strings, so a
//! fast hash is enough and lookups stay cheap) and sessions signed out one by one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::{api_tokens, revoked_sessions};
use crate::{DbConnection, Result, StoreError, from_db, to_db, unique_row};

/// What a personal API token may do. Ordered: each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Reading only: GET and HEAD.
    Read,
    /// Also changing cards, verifications, notifications and attachments.
    Write,
    /// Everything the owner may do, except what needs a signed-in session.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown scope `{0}`: use read, write or admin")]
pub struct UnknownScope(pub String);

impl std::str::FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> std::result::Result<Self, UnknownScope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// `None`: never expires.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// What a new token is called, may do and how long it lasts.
pub struct NewToken<'a> {
    pub name: &'a str,
    pub scope: Scope,
    pub expires_at: Option<DateTime<Utc>>,
}

type Row =
    (i64, i64, String, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>);

fn from_row((id, user_id, name, scope, created_at, last_used_at, expires_at): Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id,
        user_id,
        name,
        scope: scope.parse().map_err(|e: UnknownScope| StoreError::Corrupt(e.to_string()))?,
        created_at: from_db(created_at),
        last_used_at: last_used_at.map(from_db),
        expires_at: expires_at.map(from_db),
    })
}

const COLUMNS: (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::scope,
    api_tokens::created_at,
    api_tokens::last_used_at,
    api_tokens::expires_at,
) = (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::scope,
    api_tokens::created_at,
    api_tokens::last_used_at,
    api_tokens::expires_at,
);

pub fn create(
    conn: &mut DbConnection,
    user_id: i64,
    new: &NewToken<'_>,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(new.name),
            api_tokens::scope.eq(new.scope.as_str()),
            api_tokens::token_hash.eq(hash),
            api_tokens::created_at.eq(to_db(now)),
            api_tokens::expires_at.eq(new.expires_at.map(to_db)),
        ))
        .execute(conn)?;
    let row: Row = api_tokens::table.filter(api_tokens::token_hash.eq(hash)).select(COLUMNS).first(conn)?;
    from_row(row)
}

/// A user's tokens that were not revoked (expired ones too, so the list can say why a
/// script stopped), newest first.
pub fn list(conn: &mut DbConnection, user_id: i64) -> Result<Vec<ApiToken>> {
    let rows: Vec<Row> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id).and(api_tokens::revoked_at.is_null()))
        .order(api_tokens::id.desc())
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter().map(from_row).collect()
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

/// Revokes every token of the user (a password change, signing out everywhere, a
/// disabled account). Only hashes were kept, so nothing is lost by deleting them.
pub fn revoke_all(conn: &mut DbConnection, user_id: i64) -> Result<usize> {
    Ok(diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id))).execute(conn)?)
}

/// The unrevoked token with this hash (it may have expired: the caller checks).
pub fn find_live(conn: &mut DbConnection, hash: &str) -> Result<Option<ApiToken>> {
    let live = api_tokens::table.filter(api_tokens::token_hash.eq(hash).and(api_tokens::revoked_at.is_null()));
    let row: Option<Row> = unique_row(live.select(COLUMNS), conn)?;
    row.map(from_row).transpose()
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

/// Expired tokens stay listed (as expired) this long, then are deleted.
pub const EXPIRED_TOKENS_KEPT_DAYS: i64 = 30;

/// What [`purge`] deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub tokens: usize,
}

/// Forgets what can no longer be presented: revocations of sessions that have expired
/// anyway, revoked API tokens, and API tokens expired for [`EXPIRED_TOKENS_KEPT_DAYS`].
pub fn purge(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Purged> {
    let sessions =
        diesel::delete(revoked_sessions::table.filter(revoked_sessions::expires_at.lt(to_db(now)))).execute(conn)?;
    let long_expired = to_db(now - chrono::Duration::days(EXPIRED_TOKENS_KEPT_DAYS));
    let tokens = diesel::delete(
        api_tokens::table.filter(api_tokens::revoked_at.is_not_null().or(api_tokens::expires_at.lt(long_expired))),
    )
    .execute(conn)?;
    Ok(Purged { sessions, tokens })
}
