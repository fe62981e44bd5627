//! Accounts. Password hashes are stored and compared here but made elsewhere (argon2 in
//! the server); nothing in this module ever sees a password.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use verity_core::Role;

use crate::schema::users;
use crate::{DbConnection, Result, StoreError, from_db, to_db, unique_row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub disabled: bool,
    /// Bumped to revoke every token issued before.
    pub token_version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    email: Option<String>,
    password_hash: Option<String>,
    role: String,
    disabled: i32,
    token_version: i32,
    created_at: chrono::NaiveDateTime,
}

impl UserRow {
    fn into_user(self) -> Result<(User, Option<String>)> {
        let role = self.role.parse::<Role>().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let user = User {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            email: self.email,
            role,
            disabled: self.disabled != 0,
            token_version: self.token_version,
            created_at: from_db(self.created_at),
        };
        Ok((user, self.password_hash))
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub role: Role,
}

pub fn create(conn: &mut DbConnection, new: &NewUser<'_>, now: DateTime<Utc>) -> Result<User> {
    if find(conn, new.username)?.is_some() {
        return Err(StoreError::AlreadyExists(format!("user `{}`", new.username)));
    }
    diesel::insert_into(users::table)
        .values((
            users::username.eq(new.username),
            users::display_name.eq(new.display_name),
            users::email.eq(new.email),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role.as_str()),
            users::disabled.eq(0),
            users::token_version.eq(0),
            users::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    get(conn, new.username)
}

pub fn find(conn: &mut DbConnection, username: &str) -> Result<Option<User>> {
    Ok(find_with_hash(conn, username)?.map(|(user, _)| user))
}

pub fn get(conn: &mut DbConnection, username: &str) -> Result<User> {
    find(conn, username)?.ok_or_else(|| StoreError::NotFound(format!("user `{username}`")))
}

/// The user and their password hash, for signing in.
pub fn find_with_hash(conn: &mut DbConnection, username: &str) -> Result<Option<(User, Option<String>)>> {
    unique_row::<_, UserRow>(users::table.filter(users::username.eq(username)), conn)?
        .map(UserRow::into_user)
        .transpose()
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<User>> {
    // Every signed-in request asks this.
    unique_row::<_, UserRow>(users::table.find(id), conn)?.map(|row| row.into_user().map(|(user, _)| user)).transpose()
}

pub fn count(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
}

/// Replaces the password hash and revokes every session and API token issued before.
pub fn set_password_hash(conn: &mut DbConnection, username: &str, hash: &str) -> Result<()> {
    let user = get(conn, username)?;
    diesel::update(users::table.find(user.id)).set(users::password_hash.eq(hash)).execute(conn)?;
    revoke_tokens(conn, user.id)
}

/// Every account, by username.
pub fn list(conn: &mut DbConnection) -> Result<Vec<User>> {
    let rows: Vec<UserRow> = users::table.order(users::username.asc()).load(conn)?;
    rows.into_iter().map(|row| row.into_user().map(|(user, _)| user)).collect()
}

/// What an admin may change about an account; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Applies a change. Disabling an account also revokes its sessions and API tokens, so
/// that re-enabling it later does not bring them back.
pub fn update(conn: &mut DbConnection, username: &str, change: &UserChange) -> Result<User> {
    let user = get(conn, username)?;
    let target = users::table.find(user.id);
    if let Some(name) = &change.display_name {
        diesel::update(target).set(users::display_name.eq(name)).execute(conn)?;
    }
    if let Some(email) = &change.email {
        diesel::update(target).set(users::email.eq(email.as_deref())).execute(conn)?;
    }
    if let Some(role) = change.role {
        diesel::update(target).set(users::role.eq(role.as_str())).execute(conn)?;
    }
    if let Some(disabled) = change.disabled {
        diesel::update(target).set(users::disabled.eq(i32::from(disabled))).execute(conn)?;
        if disabled && !user.disabled {
            revoke_tokens(conn, user.id)?;
        }
    }
    get(conn, username)
}

/// Signs the user out everywhere: every session issued so far stops working (its token
/// version is bumped) and every personal API token is revoked.
pub fn revoke_tokens(conn: &mut DbConnection, user_id: i64) -> Result<()> {
    diesel::update(users::table.find(user_id)).set(users::token_version.eq(users::token_version + 1)).execute(conn)?;
    crate::tokens::revoke_all(conn, user_id)?;
    Ok(())
}

/// Enabled admins: the last one may not be demoted or disabled.
pub fn active_admins(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table.filter(users::role.eq(Role::Admin.as_str()).and(users::disabled.eq(0))).count().get_result(conn)?)
}
