//! The JSON API for accounts, sessions, API tokens, groups and collection access.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use verity_core::Role;
use verity_store::tokens::ApiToken;
use verity_store::users::{self, User, UserChange};

use crate::accounts::{self, NewAccount, RuleInput};
use crate::auth::{self, AuthUser};
use crate::blocking;
use crate::error::ApiError;
use crate::routes::table::Routes;
use crate::state::AppState;

pub fn configure(routes: &mut impl Routes) {
    routes
        .post("/auth/logout", api_logout)
        .get("/auth/me", api_me)
        .get("/users", api_list_users)
        .post("/users", api_create_user)
        .patch("/users/{name}", api_update_user)
        .put("/users/{name}/password", api_set_password)
        .delete("/groups/{name}/members/{username}", api_remove_member)
        .get("/collections/{slug}/access", api_get_access)
        .put("/collections/{slug}/access", api_set_access)
        .get("/tokens", api_list_tokens)
        .post("/tokens", api_create_token)
        .delete("/tokens/{id}", api_revoke_token);
}

type ApiResult = Result<HttpResponse, ApiError>;

/// An account as the API shows it: never its password hash or token version.
pub fn user_json(u: &User) -> Value {
    json!({
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email,
        "role": u.role,
        "disabled": u.disabled,
        "created_at": u.created_at,
    })
}

fn token_json(t: &ApiToken, now: DateTime<Utc>) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "scope": t.scope.as_str(),
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
        "expires_at": t.expires_at,
        "expired": t.expired(now),
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LogoutBody {
    /// Revoke every session of the account, not only this one.
    #[serde(default)]
    everywhere: bool,
}

/// Signs out: this session's token stops working (or, with `everywhere`, all of them).
async fn api_logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    AuthUser(user): AuthUser,
    body: Option<web::Json<LogoutBody>>,
) -> ApiResult {
    let everywhere = body.is_some_and(|b| b.everywhere);
    if everywhere {
        let st = state.clone();
        blocking::block(move || accounts::sign_out_everywhere(&st, &user)).await??;
    } else {
        auth::revoke_current_session(&state, &req).await?;
    }
    Ok(HttpResponse::NoContent().cookie(auth::removal_cookie(&req)).finish())
}

async fn api_me(AuthUser(user): AuthUser) -> ApiResult {
    Ok(HttpResponse::Ok().json(user_json(&user)))
}

async fn api_list_users(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    if user.role != Role::Admin {
        return Err(ApiError::Forbidden("only admins list accounts"));
    }
    let st = state.clone();
    let list = blocking::block(move || st.store.read(users::list)).await??;
    Ok(HttpResponse::Ok().json(json!({"users": list.iter().map(user_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    username: String,
    password: String,
    role: Role,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

async fn api_create_user(
    state: web::Data<AppState>,
    AuthUser(admin): AuthUser,
    body: web::Json<NewUserBody>,
) -> ApiResult {
    let NewUserBody { username, password, role, display_name, email } = body.into_inner();
    let st = state.clone();
    let _slot = state.limiter.hashing_slot().await?;
    let new = NewAccount { username, password, role, display_name, email };
    let created = blocking::block(move || accounts::create_user(&st, &admin, new)).await??;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", created.username)))
        .json(user_json(&created)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserChangeBody {
    display_name: Option<String>,
    #[serde(default, with = "double_option")]
    email: Option<Option<String>>,
    role: Option<Role>,
    disabled: Option<bool>,
}

/// `"email": null` clears it; leaving it out keeps it.
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

async fn api_update_user(
    state: web::Data<AppState>,
    AuthUser(admin): AuthUser,
    name: web::Path<String>,
    body: web::Json<UserChangeBody>,
) -> ApiResult {
    let UserChangeBody { display_name, email, role, disabled } = body.into_inner();
    let change = UserChange { display_name, email, role, disabled };
    let st = state.clone();
    let updated = blocking::block(move || accounts::update_user(&st, &admin, &name, change)).await??;
    Ok(HttpResponse::Ok().json(user_json(&updated)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
    /// Needed to change one's own password (an admin resetting someone else's has none).
    #[serde(default)]
    current_password: Option<String>,
}

/// Sets a password; every session and API token of the account is revoked, the caller's
/// own session included when it is their password.
async fn api_set_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    AuthUser(user): AuthUser,
    name: web::Path<String>,
    body: web::Json<PasswordBody>,
) -> ApiResult {
    let PasswordBody { password, current_password } = body.into_inner();
    let address = auth::client_address(&req);
    auth::change_password(&state, &address, user, name.into_inner(), current_password, password).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn api_remove_member(
    state: web::Data<AppState>,
    AuthUser(admin): AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult {
    let (group, username) = path.into_inner();
    let st = state.clone();
    let removed = blocking::block(move || accounts::remove_group_member(&st, &admin, &group, &username)).await??;
    if removed { Ok(HttpResponse::NoContent().finish()) } else { Err(ApiError::NotFound("no such member".into())) }
}

async fn api_get_access(state: web::Data<AppState>, AuthUser(user): AuthUser, slug: web::Path<String>) -> ApiResult {
    let st = state.clone();
    let rules = blocking::block(move || accounts::collection_rules(&st, &user, &slug)).await??;
    Ok(HttpResponse::Ok().json(json!({"restricted": !rules.is_empty(), "rules": rules})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessBody {
    rules: Vec<RuleInput>,
}

async fn api_set_access(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    body: web::Json<AccessBody>,
) -> ApiResult {
    let rules = body.into_inner().rules;
    let st = state.clone();
    let saved = blocking::block(move || accounts::set_collection_rules(&st, &user, &slug, &rules)).await??;
    Ok(HttpResponse::Ok().json(json!({"restricted": !saved.is_empty(), "rules": saved})))
}

async fn api_list_tokens(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    let st = state.clone();
    let list = blocking::block(move || accounts::list_tokens(&st, &user)).await??;
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(json!({"tokens": list.iter().map(|t| token_json(t, now)).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    name: String,
    /// `read` (the default), `write` or `admin`.
    #[serde(default)]
    scope: Option<String>,
    /// Without it the token does not expire.
    #[serde(default)]
    expires_in_days: Option<i64>,
}

async fn api_create_token(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<TokenBody>,
) -> ApiResult {
    let TokenBody { name, scope, expires_in_days } = body.into_inner();
    let st = state.clone();
    let (created, token) =
        blocking::block(move || accounts::create_token(&st, &user, &name, scope.as_deref(), expires_in_days)).await??;
    let mut v = token_json(&created, state.clock.now());
    if let Value::Object(map) = &mut v {
        map.insert("token".into(), Value::String(token));
    }
    Ok(HttpResponse::Created().json(v))
}

async fn api_revoke_token(state: web::Data<AppState>, AuthUser(user): AuthUser, id: web::Path<i64>) -> ApiResult {
    let id = id.into_inner();
    let st = state.clone();
    blocking::block(move || accounts::revoke_token(&st, &user, id)).await??;
    Ok(HttpResponse::NoContent().finish())
}
