//! Groups of people, used as verifiers ("sre" verifies the runbooks).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::{group_members, groups, users};
use crate::{DbConnection, Result, StoreError, to_db};

pub fn create(conn: &mut DbConnection, name: &str, now: DateTime<Utc>) -> Result<()> {
    if exists(conn, name)? {
        return Err(StoreError::AlreadyExists(format!("group `{name}`")));
    }
    diesel::insert_into(groups::table)
        .values((groups::name.eq(name), groups::created_at.eq(to_db(now))))
        .execute(conn)?;
    Ok(())
}

pub fn exists(conn: &mut DbConnection, name: &str) -> Result<bool> {
    let n: i64 = groups::table.filter(groups::name.eq(name)).count().get_result(conn)?;
    Ok(n > 0)
}

fn id_of(conn: &mut DbConnection, name: &str) -> Result<i64> {
    groups::table
        .filter(groups::name.eq(name))
        .select(groups::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("group `{name}`")))
}

/// Adds `user_id` to the group; false if they were already in it.
pub fn add_member(conn: &mut DbConnection, name: &str, user_id: i64) -> Result<bool> {
    let group_id = id_of(conn, name)?;
    let present: i64 = group_members::table
        .filter(group_members::group_id.eq(group_id).and(group_members::user_id.eq(user_id)))
        .count()
        .get_result(conn)?;
    if present > 0 {
        return Ok(false);
    }
    diesel::insert_into(group_members::table)
        .values((group_members::group_id.eq(group_id), group_members::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(true)
}

/// Usernames in the group, sorted; empty for an unknown group.
pub fn members(conn: &mut DbConnection, name: &str) -> Result<Vec<String>> {
    Ok(group_members::table
        .inner_join(groups::table)
        .inner_join(users::table)
        .filter(groups::name.eq(name))
        .select(users::username)
        .order(users::username.asc())
        .load(conn)?)
}

/// Names of the groups the user belongs to.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<String>> {
    Ok(group_members::table
        .inner_join(groups::table)
        .filter(group_members::user_id.eq(user_id))
        .select(groups::name)
        .order(groups::name.asc())
        .load(conn)?)
}

/// Every group with its members.
pub fn list(conn: &mut DbConnection) -> Result<Vec<(String, Vec<String>)>> {
    let names: Vec<String> = groups::table.select(groups::name).order(groups::name.asc()).load(conn)?;
    names
        .into_iter()
        .map(|name| {
            let members = members(conn, &name)?;
            Ok((name, members))
        })
        .collect()
}

/// Removes `user_id` from the group; false if they were not in it.
pub fn remove_member(conn: &mut DbConnection, name: &str, user_id: i64) -> Result<bool> {
    let group_id = id_of(conn, name)?;
    let n = diesel::delete(
        group_members::table.filter(group_members::group_id.eq(group_id).and(group_members::user_id.eq(user_id))),
    )
    .execute(conn)?;
    Ok(n > 0)
}
