//! The pages for people and access: /admin/users, /admin/groups, a collection's access
//! page, /account and /account/password. Forms post here (with the CSRF token) and land
//! back on the page.

use actix_web::ResponseError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use verity_core::Role;
use verity_store::users::{self, UserChange};
use verity_store::{collections, groups};

use crate::accounts::{self, NewAccount, RuleInput};
use crate::auth::{self, PageUser};
use crate::blocking;
use crate::error::ApiError;
use crate::routes::pages::PageError;
use crate::routes::table::Routes;
use crate::service;
use crate::state::AppState;
use crate::views;

pub fn configure(routes: &mut impl Routes) {
    routes
        .get("/admin/users", show_users)
        .post("/admin/users/new", create_user)
        .post("/admin/users/{name}", update_user)
        .get("/admin/groups", show_groups)
        .post("/admin/groups", create_group)
        .post("/admin/groups/{name}/members", add_member)
        .post("/admin/groups/{name}/members/{username}/remove", remove_member)
        .get("/collections/{slug}/access", show_access)
        .post("/collections/{slug}/access", save_access)
        .get("/account", show_account)
        .get("/account/password", show_password)
        .post("/account/password", change_password)
        .post("/account/tokens", create_token)
        .post("/account/tokens/{id}/revoke", revoke_token)
        .post("/account/sign-out-everywhere", sign_out_everywhere);
}

type Page = Result<HttpResponse, PageError>;

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

fn html(status: StatusCode, markup: maud::Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

fn require_admin(nav: &auth::Nav) -> Result<(), PageError> {
    if nav.user.role == Role::Admin { Ok(()) } else { Err(ApiError::Forbidden("only admins manage people").into()) }
}

/// Mistakes in a form are shown on the page (422), not as an error page.
fn form_mistake(e: &ApiError) -> bool {
    matches!(e, ApiError::Invalid(_) | ApiError::Duplicate(_) | ApiError::NotFound(_) | ApiError::BadRequest(_))
}

async fn users_page(
    state: &web::Data<AppState>,
    nav: &auth::Nav,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Page {
    let st = state.clone();
    let list = blocking::block(move || st.store.read(users::list)).await??;
    Ok(html(status, views::admin::users(nav, &list, notice, error, state.clock.now())))
}

async fn show_users(state: web::Data<AppState>, PageUser(nav): PageUser) -> Page {
    require_admin(&nav)?;
    users_page(&state, &nav, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
struct NewUserForm {
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    role: String,
    #[serde(default)]
    password: String,
}

async fn create_user(state: web::Data<AppState>, PageUser(nav): PageUser, form: web::Form<NewUserForm>) -> Page {
    require_admin(&nav)?;
    let f = form.into_inner();
    let Ok(role) = f.role.parse::<Role>() else {
        return users_page(&state, &nav, StatusCode::UNPROCESSABLE_ENTITY, None, Some("Pick a role.")).await;
    };
    let generated = f.password.is_empty().then(|| auth::random_string(20));
    let password = generated.clone().unwrap_or(f.password);
    let new = NewAccount {
        username: f.username.trim().to_owned(),
        password,
        role,
        display_name: Some(f.display_name),
        email: Some(f.email),
    };
    let (st, admin) = (state.clone(), nav.user.clone());
    let _slot = state.limiter.hashing_slot().await?;
    match blocking::block(move || accounts::create_user(&st, &admin, new)).await? {
        Ok(user) => {
            let notice = match &generated {
                Some(pw) => {
                    format!("Added {}. Their password is {pw} — pass it on; it is not shown again.", user.username)
                }
                None => format!("Added {}.", user.username),
            };
            users_page(&state, &nav, StatusCode::OK, Some(&notice), None).await
        }
        Err(e) if form_mistake(&e) => {
            users_page(&state, &nav, StatusCode::UNPROCESSABLE_ENTITY, None, Some(&e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct UserForm {
    role: Option<String>,
    disabled: Option<String>,
}

async fn update_user(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    name: web::Path<String>,
    form: web::Form<UserForm>,
) -> Page {
    require_admin(&nav)?;
    let f = form.into_inner();
    let change = UserChange {
        role: f.role.as_deref().and_then(|r| r.parse().ok()),
        disabled: f.disabled.as_deref().map(|d| d == "true"),
        ..UserChange::default()
    };
    let (st, admin) = (state.clone(), nav.user.clone());
    match blocking::block(move || accounts::update_user(&st, &admin, &name, change)).await? {
        Ok(_) => Ok(redirect("/admin/users")),
        Err(e) if form_mistake(&e) => {
            users_page(&state, &nav, StatusCode::UNPROCESSABLE_ENTITY, None, Some(&e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn groups_page(state: &web::Data<AppState>, nav: &auth::Nav, status: StatusCode, error: Option<&str>) -> Page {
    let st = state.clone();
    let (list, people) = blocking::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            let names: Vec<String> = users::list(c)?.into_iter().map(|u| u.username).collect();
            Ok((groups::list(c)?, names))
        })
    })
    .await??;
    Ok(html(status, views::admin::groups(nav, &list, &people, error)))
}

async fn show_groups(state: web::Data<AppState>, PageUser(nav): PageUser) -> Page {
    require_admin(&nav)?;
    groups_page(&state, &nav, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct GroupForm {
    name: String,
}

async fn create_group(state: web::Data<AppState>, PageUser(nav): PageUser, form: web::Form<GroupForm>) -> Page {
    let (st, user, name) = (state.clone(), nav.user.clone(), form.into_inner().name);
    match blocking::block(move || service::create_group(&st, &user, &name)).await? {
        Ok(()) => Ok(redirect("/admin/groups")),
        Err(e) if form_mistake(&e) => {
            groups_page(&state, &nav, StatusCode::UNPROCESSABLE_ENTITY, Some(&e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct MemberForm {
    username: String,
}

async fn add_member(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    group: web::Path<String>,
    form: web::Form<MemberForm>,
) -> Page {
    let (st, user, username) = (state.clone(), nav.user.clone(), form.into_inner().username);
    match blocking::block(move || service::add_group_member(&st, &user, &group, &username)).await? {
        Ok(_) => Ok(redirect("/admin/groups")),
        Err(e) if form_mistake(&e) => {
            groups_page(&state, &nav, StatusCode::UNPROCESSABLE_ENTITY, Some(&e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove_member(state: web::Data<AppState>, PageUser(nav): PageUser, path: web::Path<(String, String)>) -> Page {
    let (group, username) = path.into_inner();
    let (st, user) = (state.clone(), nav.user.clone());
    blocking::block(move || accounts::remove_group_member(&st, &user, &group, &username)).await??;
    Ok(redirect("/admin/groups"))
}

async fn access_page(
    state: &web::Data<AppState>,
    nav: &auth::Nav,
    slug: String,
    status: StatusCode,
    error: Option<&str>,
    typed: Option<&str>,
) -> Page {
    let (st, user, wanted) = (state.clone(), nav.user.clone(), slug.clone());
    let (name, rules) = blocking::block(move || -> Result<_, ApiError> {
        let rules = accounts::collection_rules(&st, &user, &wanted)?;
        let name = st.store.read(|c| collections::get(c, &wanted))?.name;
        Ok((name, rules))
    })
    .await??;
    let text = typed.map(str::to_owned).unwrap_or_else(|| views::admin::rules_text(&rules));
    Ok(html(status, views::admin::access(nav, &slug, &name, &rules, error, &text)))
}

async fn show_access(state: web::Data<AppState>, PageUser(nav): PageUser, slug: web::Path<String>) -> Page {
    access_page(&state, &nav, slug.into_inner(), StatusCode::OK, None, None).await
}

/// Parses the text area: `user NAME LEVEL` or `group NAME LEVEL` per line.
fn parse_rules(text: &str) -> Result<Vec<RuleInput>, ApiError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (kind, name, level) = match words.as_slice() {
                [kind, name, level] => (*kind, (*name).to_owned(), (*level).to_owned()),
                _ => return Err(ApiError::Invalid(format!("`{line}`: write `user NAME LEVEL` or `group NAME LEVEL`"))),
            };
            match kind {
                "user" => Ok(RuleInput { user: Some(name), group: None, level }),
                "group" => Ok(RuleInput { user: None, group: Some(name), level }),
                _ => Err(ApiError::Invalid(format!("`{line}`: a rule starts with `user` or `group`"))),
            }
        })
        .collect()
}

#[derive(Deserialize)]
struct AccessForm {
    #[serde(default)]
    rules: String,
}

async fn save_access(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    form: web::Form<AccessForm>,
) -> Page {
    let slug = slug.into_inner();
    let text = form.into_inner().rules;
    let saved = match parse_rules(&text) {
        Ok(rules) => {
            let (st, user, target) = (state.clone(), nav.user.clone(), slug.clone());
            blocking::block(move || accounts::set_collection_rules(&st, &user, &target, &rules)).await?
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(redirect(&format!("/collections/{slug}/access"))),
        Err(e @ ApiError::Invalid(_)) => {
            access_page(&state, &nav, slug, StatusCode::UNPROCESSABLE_ENTITY, Some(&e.to_string()), Some(&text)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn account_page(
    state: &web::Data<AppState>,
    nav: &auth::Nav,
    status: StatusCode,
    view: views::admin::AccountPage<'_>,
) -> Page {
    let (st, user) = (state.clone(), nav.user.clone());
    let tokens = blocking::block(move || accounts::list_tokens(&st, &user)).await??;
    let view = views::admin::AccountPage { tokens: &tokens, ..view };
    Ok(html(status, views::admin::account(nav, &view, state.clock.now())))
}

const NOTHING: views::admin::AccountPage<'static> =
    views::admin::AccountPage { tokens: &[], new_token: None, notice: None, error: None };

#[derive(Deserialize)]
struct AccountQuery {
    password: Option<String>,
}

async fn show_account(state: web::Data<AppState>, PageUser(nav): PageUser, query: web::Query<AccountQuery>) -> Page {
    let notice = (query.password.as_deref() == Some("changed"))
        .then_some("Password changed. Your other sessions and your API tokens were signed out.");
    account_page(&state, &nav, StatusCode::OK, views::admin::AccountPage { notice, ..NOTHING }).await
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    scope: Option<String>,
    /// Days, or empty for a token that does not expire.
    #[serde(default)]
    expires_in_days: String,
}

async fn create_token(state: web::Data<AppState>, PageUser(nav): PageUser, form: web::Form<TokenForm>) -> Page {
    let TokenForm { name, scope, expires_in_days } = form.into_inner();
    let days = match expires_in_days.trim() {
        "" => Ok(None),
        days => days.parse::<i64>().map(Some).map_err(|_| ApiError::Invalid("pick how long the token lasts".into())),
    };
    let (st, user) = (state.clone(), nav.user.clone());
    let created = match days {
        Ok(days) => blocking::block(move || accounts::create_token(&st, &user, &name, scope.as_deref(), days)).await?,
        Err(e) => Err(e),
    };
    match created {
        // Shown on this response only; a reload will not show it again.
        Ok((_, token)) => {
            let view = views::admin::AccountPage { new_token: Some(&token), ..NOTHING };
            account_page(&state, &nav, StatusCode::OK, view).await
        }
        Err(e) if form_mistake(&e) => {
            let error = e.to_string();
            let view = views::admin::AccountPage { error: Some(&error), ..NOTHING };
            account_page(&state, &nav, StatusCode::UNPROCESSABLE_ENTITY, view).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_token(state: web::Data<AppState>, PageUser(nav): PageUser, id: web::Path<i64>) -> Page {
    let (st, user, id) = (state.clone(), nav.user.clone(), id.into_inner());
    blocking::block(move || accounts::revoke_token(&st, &user, id)).await??;
    Ok(redirect("/account"))
}

async fn show_password(PageUser(nav): PageUser) -> Page {
    Ok(html(StatusCode::OK, views::admin::password(&nav, None)))
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    password: String,
    confirm: String,
}

/// Changes one's own password. Every session and API token of the account is revoked;
/// this browser gets a new session, so it stays signed in.
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(nav): PageUser,
    form: web::Form<PasswordForm>,
) -> Page {
    let PasswordForm { current_password, password, confirm } = form.into_inner();
    let mistake = |status: StatusCode, message: &str| Ok(html(status, views::admin::password(&nav, Some(message))));
    if password != confirm {
        return mistake(StatusCode::UNPROCESSABLE_ENTITY, "The new passwords do not match.");
    }
    let username = nav.user.username.clone();
    let address = auth::client_address(&req);
    let changed =
        auth::change_password(&state, &address, nav.user.clone(), username.clone(), Some(current_password), password)
            .await;
    match changed {
        Ok(()) => {}
        Err(e @ (ApiError::Forbidden(_) | ApiError::Invalid(_) | ApiError::TooManyRequests { .. })) => {
            let mut response = mistake(e.status_code(), &e.to_string())?;
            if let ApiError::TooManyRequests { retry_after } = e {
                response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            }
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    }
    let st = state.clone();
    let user = blocking::block(move || st.store.read(|c| users::get(c, &username))).await??;
    let token = state.tokens.issue(&user)?;
    Ok(HttpResponse::SeeOther()
        .cookie(auth::session_cookie(&req, token, state.tokens.ttl_secs()))
        .insert_header((header::LOCATION, "/account?password=changed"))
        .finish())
}

async fn sign_out_everywhere(state: web::Data<AppState>, req: HttpRequest, PageUser(nav): PageUser) -> Page {
    let (st, user) = (state.clone(), nav.user.clone());
    blocking::block(move || accounts::sign_out_everywhere(&st, &user)).await??;
    Ok(HttpResponse::SeeOther().cookie(auth::removal_cookie(&req)).insert_header((header::LOCATION, "/login")).finish())
}

#[cfg(test)]
mod tests {
    use super::parse_rules;

    #[test]
    fn rules_are_read_one_per_line() {
        let rules = parse_rules(
            "user ann write

  group sre verify  
",
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!((rules[0].user.as_deref(), rules[0].level.as_str()), (Some("ann"), "write"));
        assert_eq!((rules[1].group.as_deref(), rules[1].level.as_str()), (Some("sre"), "verify"));
        assert!(parse_rules("ann write").is_err());
        assert!(parse_rules("team sre read").is_err());
        assert!(parse_rules("").unwrap().is_empty());
    }
}
