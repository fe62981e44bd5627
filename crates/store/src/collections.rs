use chrono::{DateTime, Utc};
use diesel::prelude::*;
use verity_core::verification::DEFAULT_INTERVAL;
use verity_core::{Interval, Slug};

use crate::schema::{cards, collections};
use crate::{DbConnection, Result, StoreError, from_db, to_db, unique_row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub default_verifier: Option<String>,
    pub default_interval: Interval,
    pub created_at: DateTime<Utc>,
}

type Row = (i64, String, String, String, Option<String>, i32, chrono::NaiveDateTime);

fn from_row(row: Row) -> Result<Collection> {
    let (id, slug, name, description, default_verifier, days, created_at) = row;
    let default_interval = u32::try_from(days)
        .ok()
        .and_then(|d| Interval::days(d).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("collection `{slug}` has interval {days}")))?;
    Ok(Collection { id, slug, name, description, default_verifier, default_interval, created_at: from_db(created_at) })
}

pub fn find(conn: &mut DbConnection, slug: &str) -> Result<Option<Collection>> {
    unique_row::<_, Row>(collections::table.filter(collections::slug.eq(slug)), conn)?.map(from_row).transpose()
}

pub fn get(conn: &mut DbConnection, slug: &str) -> Result<Collection> {
    find(conn, slug)?.ok_or_else(|| StoreError::NotFound(format!("collection `{slug}`")))
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Collection> {
    let row = unique_row::<_, Row>(collections::table.find(id), conn)?;
    row.ok_or(StoreError::Db(diesel::result::Error::NotFound)).and_then(from_row)
}

pub fn create(
    conn: &mut DbConnection,
    slug: &Slug,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<Collection> {
    if find(conn, slug.as_str())?.is_some() {
        return Err(StoreError::AlreadyExists(format!("collection `{slug}`")));
    }
    diesel::insert_into(collections::table)
        .values((
            collections::slug.eq(slug.as_str()),
            collections::name.eq(name),
            collections::description.eq(description),
            collections::default_verify_every_days.eq(DEFAULT_INTERVAL.as_days() as i32),
            collections::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    get(conn, slug.as_str())
}

/// The collection named by `slug`, created with `name` if it does not exist yet.
pub fn get_or_create(conn: &mut DbConnection, slug: &Slug, name: &str, now: DateTime<Utc>) -> Result<Collection> {
    match find(conn, slug.as_str())? {
        Some(c) => Ok(c),
        None => create(conn, slug, name, "", now),
    }
}

/// Every collection with its number of live (not archived) cards, by name.
pub fn list_with_counts(conn: &mut DbConnection) -> Result<Vec<(Collection, i64)>> {
    let rows: Vec<Row> = collections::table.order(collections::name.asc()).load(conn)?;
    let counts: Vec<(i64, i64)> = cards::table
        .filter(cards::archived_at.is_null())
        .group_by(cards::collection_id)
        .select((cards::collection_id, diesel::dsl::count_star()))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let c = from_row(row)?;
            let n = counts.iter().find(|(id, _)| *id == c.id).map_or(0, |(_, n)| *n);
            Ok((c, n))
        })
        .collect()
}
