//! Accounts, groups, collection access and personal API tokens: the admin side of who may
//! do what. Like `service`, everything here is synchronous and runs inside `blocking::block`.

use verity_core::role::Level;
use verity_core::{Role, Slug};
use verity_store::access::{self, Principal, Rule};
use verity_store::tokens::{self, ApiToken, Scope};
use verity_store::users::{self, User, UserChange};
use verity_store::{collections, groups};

use crate::access::Access;
use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;

pub const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_NAME_CHARS: usize = 200;

fn require_admin(user: &User, what: &'static str) -> Result<(), ApiError> {
    if user.role == Role::Admin { Ok(()) } else { Err(ApiError::Forbidden(what)) }
}

/// Usernames are slugs: they appear in URLs, front matter (`verifier:`) and mentions.
pub fn check_username(name: &str) -> Result<(), ApiError> {
    match Slug::parse(name) {
        Ok(_) if name.len() <= 64 => Ok(()),
        _ => Err(ApiError::Invalid("usernames use lowercase letters, digits and dashes (at most 64)".into())),
    }
}

pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::Invalid(format!("passwords need at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > MAX_PASSWORD_BYTES || password.contains('\0') {
        return Err(ApiError::Invalid(format!("passwords are at most {MAX_PASSWORD_BYTES} bytes, without NUL")));
    }
    Ok(())
}

fn check_text(what: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.chars().count() > MAX_NAME_CHARS || value.contains('\0') {
        return Err(ApiError::Invalid(format!("the {what} is longer than {MAX_NAME_CHARS} characters")));
    }
    Ok(value.to_owned())
}

pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

pub fn create_user(state: &AppState, admin: &User, new: NewAccount) -> Result<User, ApiError> {
    require_admin(admin, "only admins create accounts")?;
    check_username(&new.username)?;
    check_password(&new.password)?;
    let display_name = check_text("display name", new.display_name.as_deref().unwrap_or(&new.username))?;
    let display_name = if display_name.is_empty() { new.username.clone() } else { display_name };
    let email = new.email.as_deref().map(|e| check_text("email", e)).transpose()?.filter(|e| !e.is_empty());
    let hash = auth::hash_password(&new.password)?;
    let now = state.clock.now();
    state.store.write(|c| -> Result<User, ApiError> {
        // Users and groups share one namespace: both can be a card's verifier.
        if groups::exists(c, &new.username)? {
            return Err(ApiError::Invalid(format!("a group is already named `{}`", new.username)));
        }
        if users::find(c, &new.username)?.is_some() {
            return Err(ApiError::Duplicate(format!("user `{}` already exists", new.username)));
        }
        let account = users::NewUser {
            username: &new.username,
            display_name: &display_name,
            email: email.as_deref(),
            password_hash: Some(&hash),
            role: new.role,
        };
        Ok(users::create(c, &account, now)?)
    })
}

/// An admin changes an account. The last enabled admin can be neither demoted nor
/// disabled, so that someone can always manage the rest.
pub fn update_user(state: &AppState, admin: &User, username: &str, mut change: UserChange) -> Result<User, ApiError> {
    require_admin(admin, "only admins change accounts")?;
    if let Some(name) = &change.display_name {
        change.display_name = Some(check_text("display name", name)?).filter(|n| !n.is_empty());
    }
    if let Some(Some(email)) = &change.email {
        change.email = Some(Some(check_text("email", email)?).filter(|e| !e.is_empty()));
    }
    state.store.write(|c| -> Result<User, ApiError> {
        let target = users::get(c, username)?;
        let loses_admin = target.role == Role::Admin
            && !target.disabled
            && (change.role.is_some_and(|r| r != Role::Admin) || change.disabled == Some(true));
        if loses_admin && users::active_admins(c)? <= 1 {
            return Err(ApiError::Invalid("this is the last admin; make someone else admin first".into()));
        }
        Ok(users::update(c, username, &change)?)
    })
}

/// Sets a new password; every session of the account is signed out.
pub fn set_password(state: &AppState, admin: &User, username: &str, password: &str) -> Result<(), ApiError> {
    if admin.role != Role::Admin && admin.username != username {
        return Err(ApiError::Forbidden("only admins change other people's passwords"));
    }
    check_password(password)?;
    let hash = auth::hash_password(password)?;
    Ok(state.store.write(|c| users::set_password_hash(c, username, &hash))?)
}

pub fn sign_out_everywhere(state: &AppState, user: &User) -> Result<(), ApiError> {
    Ok(state.store.write(|c| users::revoke_tokens(c, user.id))?)
}

pub fn remove_group_member(state: &AppState, admin: &User, group: &str, username: &str) -> Result<bool, ApiError> {
    require_admin(admin, "only admins manage groups")?;
    state.store.write(|c| -> Result<_, ApiError> {
        let member = users::get(c, username)?;
        Ok(groups::remove_member(c, group, member.id)?)
    })
}

/// A rule as people write it: `{"user": NAME, "level"}` or `{"group": NAME, "level"}`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub level: String,
}

impl RuleInput {
    fn from_rule(rule: &Rule) -> RuleInput {
        let (user, group) = match &rule.who {
            Principal::User(n) => (Some(n.clone()), None),
            Principal::Group(n) => (None, Some(n.clone())),
        };
        RuleInput { user, group, level: rule.level.as_str().to_owned() }
    }

    fn parse(&self) -> Result<Rule, ApiError> {
        let level: Level =
            self.level.parse().map_err(|e: verity_core::role::UnknownLevel| ApiError::Invalid(e.to_string()))?;
        let who = match (&self.user, &self.group) {
            (Some(u), None) => Principal::User(u.clone()),
            (None, Some(g)) => Principal::Group(g.clone()),
            _ => return Err(ApiError::Invalid("each rule names either a \"user\" or a \"group\"".into())),
        };
        Ok(Rule { who, level })
    }
}

/// The collection's rules, for someone who may manage it.
pub fn collection_rules(state: &AppState, user: &User, slug: &str) -> Result<Vec<RuleInput>, ApiError> {
    state.store.read(|c| -> Result<_, ApiError> {
        let collection = managed_collection(c, user, slug)?;
        Ok(access::rules(c, collection.id)?.iter().map(RuleInput::from_rule).collect())
    })
}

/// Replaces who may see and change a collection; an empty list opens it to everyone
/// signed in. Admins, and people with the `manage` level there, may.
pub fn set_collection_rules(
    state: &AppState,
    user: &User,
    slug: &str,
    rules: &[RuleInput],
) -> Result<Vec<RuleInput>, ApiError> {
    if rules.len() > 500 {
        return Err(ApiError::Invalid("at most 500 rules per collection".into()));
    }
    let parsed = rules.iter().map(RuleInput::parse).collect::<Result<Vec<_>, _>>()?;
    let saved = state.store.write(|c| -> Result<_, ApiError> {
        let collection = managed_collection(c, user, slug)?;
        access::set_rules(c, collection.id, &parsed).map_err(|e| match e {
            verity_store::StoreError::NotFound(what) => ApiError::Invalid(format!("{what} does not exist")),
            other => other.into(),
        })?;
        Ok(access::rules(c, collection.id)?.iter().map(RuleInput::from_rule).collect())
    })?;
    // Which cards each person may find changed: nothing to reindex, since the filter is
    // applied per query.
    Ok(saved)
}

fn managed_collection(
    c: &mut verity_store::DbConnection,
    user: &User,
    slug: &str,
) -> Result<collections::Collection, ApiError> {
    let access = Access::load(c, user)?;
    let not_found = || ApiError::NotFound(format!("collection `{slug}` not found"));
    let collection = collections::find(c, slug)?.ok_or_else(not_found)?;
    match access.level(collection.id) {
        None => Err(not_found()),
        Some(Level::Manage) => Ok(collection),
        Some(_) => Err(ApiError::Forbidden("only admins and the collection's managers change who may see it")),
    }
}

pub const MAX_TOKENS_PER_USER: usize = 50;
/// The longest a token may be made to last (`expires_in_days`); without it, it does not expire.
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// Makes a personal API token; the token itself is returned this once. Without a scope
/// it may only read: a script that writes says so when its token is made.
pub fn create_token(
    state: &AppState,
    user: &User,
    name: &str,
    scope: Option<&str>,
    expires_in_days: Option<i64>,
) -> Result<(ApiToken, String), ApiError> {
    let name = check_text("token name", name)?;
    if name.is_empty() {
        return Err(ApiError::Invalid("name the token after what will use it".into()));
    }
    let scope = match scope {
        Some(s) => s.parse::<Scope>().map_err(|e| ApiError::Invalid(e.to_string()))?,
        None => Scope::Read,
    };
    let now = state.clock.now();
    let expires_at = match expires_in_days {
        Some(days @ 1..=MAX_TOKEN_DAYS) => Some(now + chrono::Duration::days(days)),
        Some(_) => return Err(ApiError::Invalid(format!("expires_in_days is from 1 to {MAX_TOKEN_DAYS}"))),
        None => None,
    };
    let (token, hash) = auth::new_api_token();
    let created = state.store.write(|c| -> Result<_, ApiError> {
        if tokens::list(c, user.id)?.len() >= MAX_TOKENS_PER_USER {
            return Err(ApiError::Invalid(format!("at most {MAX_TOKENS_PER_USER} tokens; revoke some first")));
        }
        Ok(tokens::create(c, user.id, &tokens::NewToken { name: &name, scope, expires_at }, &hash, now)?)
    })?;
    Ok((created, token))
}

pub fn list_tokens(state: &AppState, user: &User) -> Result<Vec<ApiToken>, ApiError> {
    Ok(state.store.read(|c| tokens::list(c, user.id))?)
}

pub fn revoke_token(state: &AppState, user: &User, id: i64) -> Result<(), ApiError> {
    let now = state.clock.now();
    if state.store.write(|c| tokens::revoke(c, user.id, id, now))? {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("token {id} not found")))
    }
}
