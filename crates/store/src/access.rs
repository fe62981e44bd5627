//! Collection access rules: who (a user or a group) may do what (a [`Level`]) in a
//! restricted collection. A collection without rules is open. The policy that turns
//! rules and roles into a person's rights lives in the server's `access` module.

use diesel::prelude::*;
use verity_core::role::Level;

use crate::schema::{collection_access, collections, group_members, groups, users};
use crate::{DbConnection, Result, StoreError};

/// Whom a rule names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(String),
    Group(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub who: Principal,
    pub level: Level,
}

/// One rule as the policy needs it: ids, not names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub collection_id: i64,
    pub collection_slug: String,
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub level: Level,
}

fn parse_level(s: &str) -> Result<Level> {
    s.parse().map_err(|e: verity_core::role::UnknownLevel| StoreError::Corrupt(e.to_string()))
}

/// Every rule of every collection (a small table, read on each request).
pub fn all_grants(conn: &mut DbConnection) -> Result<Vec<Grant>> {
    type Row = (i64, String, Option<i64>, Option<i64>, String);
    let rows: Vec<Row> = collection_access::table
        .inner_join(collections::table)
        .select((
            collection_access::collection_id,
            collections::slug,
            collection_access::user_id,
            collection_access::group_id,
            collection_access::level,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(collection_id, collection_slug, user_id, group_id, level)| {
            Ok(Grant { collection_id, collection_slug, user_id, group_id, level: parse_level(&level)? })
        })
        .collect()
}

/// The ids of the groups a user belongs to.
pub fn group_ids_of(conn: &mut DbConnection, user_id: i64) -> Result<Vec<i64>> {
    Ok(group_members::table.filter(group_members::user_id.eq(user_id)).select(group_members::group_id).load(conn)?)
}

/// A collection's rules with names, users first.
pub fn rules(conn: &mut DbConnection, collection_id: i64) -> Result<Vec<Rule>> {
    let by_user: Vec<(String, String)> = collection_access::table
        .inner_join(users::table.on(collection_access::user_id.eq(users::id.nullable())))
        .filter(collection_access::collection_id.eq(collection_id))
        .select((users::username, collection_access::level))
        .order(users::username.asc())
        .load(conn)?;
    let by_group: Vec<(String, String)> = collection_access::table
        .inner_join(groups::table.on(collection_access::group_id.eq(groups::id.nullable())))
        .filter(collection_access::collection_id.eq(collection_id))
        .select((groups::name, collection_access::level))
        .order(groups::name.asc())
        .load(conn)?;
    let users = by_user.into_iter().map(|(n, l)| Ok(Rule { who: Principal::User(n), level: parse_level(&l)? }));
    let groups = by_group.into_iter().map(|(n, l)| Ok(Rule { who: Principal::Group(n), level: parse_level(&l)? }));
    users.chain(groups).collect()
}

/// Replaces a collection's rules; an empty list opens it to everyone signed in.
/// Unknown users or groups are an error and change nothing (run it in a transaction).
pub fn set_rules(conn: &mut DbConnection, collection_id: i64, rules: &[Rule]) -> Result<()> {
    diesel::delete(collection_access::table.filter(collection_access::collection_id.eq(collection_id)))
        .execute(conn)?;
    for rule in rules {
        let (user_id, group_id) = match &rule.who {
            Principal::User(name) => {
                let id = users::table
                    .filter(users::username.eq(name))
                    .select(users::id)
                    .first::<i64>(conn)
                    .optional()?
                    .ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))?;
                (Some(id), None)
            }
            Principal::Group(name) => {
                let id = groups::table
                    .filter(groups::name.eq(name))
                    .select(groups::id)
                    .first::<i64>(conn)
                    .optional()?
                    .ok_or_else(|| StoreError::NotFound(format!("group `{name}`")))?;
                (None, Some(id))
            }
        };
        diesel::insert_into(collection_access::table)
            .values((
                collection_access::collection_id.eq(collection_id),
                collection_access::user_id.eq(user_id),
                collection_access::group_id.eq(group_id),
                collection_access::level.eq(rule.level.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
