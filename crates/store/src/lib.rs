//! Verity's database: the truth that the search index and the content folder follow.
//!
//! One code path serves SQLite and PostgreSQL through diesel's `MultiConnection`. Every
//! card mutation is one transaction ([`Store::write`]) that also appends its row to the
//! `changes` outbox, so the index can always catch up from the database.

pub mod access;
pub mod attachments;
pub mod backup;
pub mod cards;
pub mod changes;
pub mod collections;
mod db;
mod error;
pub mod groups;
pub mod health;
pub mod reminders;
mod schema;
pub mod search_log;
mod status;
pub mod tokens;
pub mod users;
pub mod verification;

pub use db::{DbConnection, MultiBackend, Store, Target};
pub use error::StoreError;

use chrono::{DateTime, NaiveDateTime, Utc};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database keeps naive UTC timestamps (the one timestamp type both backends share).
fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The row a lookup by a unique key finds, if any. Unlike diesel's `first`, this sends no
/// `LIMIT ?`: SQLite treats a bound LIMIT as part of the query plan and prepares the
/// statement again every time the limit is bound, which costs more than the lookup.
fn unique_row<'q, Q, T>(query: Q, conn: &mut DbConnection) -> diesel::QueryResult<Option<T>>
where
    Q: diesel::RunQueryDsl<DbConnection> + diesel::query_dsl::LoadQuery<'q, DbConnection, T>,
{
    Ok(query.load::<T>(conn)?.into_iter().next())
}

pub mod testing;
#[cfg(test)]
mod tests;
