//! The HTML pages. They work without JavaScript; errors render as pages, not JSON.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use maud::{Markup, html};
use serde::Deserialize;
use verity_core::markdown;
use verity_index::SearchRequest;
use verity_store::cards::{self, ListQuery, Order};
use verity_store::collections;
use verity_store::users::User;

use crate::auth::{self, MaybeUser, PageUser, safe_next};
use crate::error::ApiError;
use crate::routes::api::{SearchParams, run_search};
use crate::state::AppState;
use crate::views;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(show_home))
        .route("/search", web::get().to(show_search))
        .route("/cards/{slug}", web::get().to(show_card))
        .route("/collections", web::get().to(show_collections))
        .route("/login", web::get().to(show_login))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

/// An [`ApiError`] shown as a page.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] ApiError);

impl From<actix_web::error::BlockingError> for PageError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        PageError(e.into())
    }
}

impl From<verity_store::StoreError> for PageError {
    fn from(e: verity_store::StoreError) -> Self {
        PageError(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        // Let the API error log what it logs.
        let _ = self.0.error_response();
        let (heading, detail) = match &self.0 {
            ApiError::NotFound(_) => ("Not found", "There is no such page or card.".to_string()),
            ApiError::Internal(_) => (
                "Something went wrong",
                "The error has been logged. Please try again.".to_string(),
            ),
            other => ("That did not work", other.to_string()),
        };
        let body = views::layout::page(
            heading,
            None,
            "",
            html! { section class="error-page" { h1 { (heading) } p { (detail) } p { a href="/" { "Back to the start" } } } },
        );
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body.into_string())
    }
}

type PageResult = Result<Markup, PageError>;

pub async fn not_found(user: MaybeUser) -> HttpResponse {
    let body = views::layout::page(
        "Not found",
        user.0.as_ref(),
        "",
        html! { section class="error-page" { h1 { "Not found" } p { "There is no such page." } p { a href="/" { "Back to the start" } } } },
    );
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}

async fn show_home(state: web::Data<AppState>, PageUser(user): PageUser) -> PageResult {
    let (results, _) = run_search(
        &state,
        SearchRequest {
            limit: 1,
            ..SearchRequest::default()
        },
    )
    .await?;
    let st = state.clone();
    let (recent, collections) = web::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            Ok((
                cards::recent_changes(c, 12)?,
                collections::list_with_counts(c)?,
            ))
        })
    })
    .await??;
    let collections: Vec<(String, String, i64)> = collections
        .into_iter()
        .map(|(c, n)| (c.slug, c.name, n))
        .collect();
    Ok(views::home::home(&views::home::Home {
        user: &user,
        total: results.total as u64,
        statuses: &results.facets.status,
        recent: &recent,
        collections: &collections,
        now: state.clock.now(),
    }))
}

/// Results per page in the browser.
const PER_PAGE: usize = 20;

async fn show_search(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    params: web::Query<SearchParams>,
) -> PageResult {
    let mut params = params.into_inner();
    // A bad filter in a hand-typed URL is dropped, not an error page.
    if params.request(PER_PAGE).is_err() {
        params.status = None;
    }
    let req = SearchRequest {
        limit: PER_PAGE,
        ..params.request(PER_PAGE)?
    };
    let (results, took_ms) = run_search(&state, req).await?;
    Ok(views::search::search(
        &user, &params, &results, took_ms, PER_PAGE,
    ))
}

async fn show_card(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    slug: web::Path<String>,
) -> PageResult {
    let slug = slug.into_inner();
    let st = state.clone();
    let (card, revisions) = web::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            let card = cards::by_slug(c, &slug)?;
            let revisions = cards::revisions(c, card.id)?.len();
            Ok((card, revisions))
        })
    })
    .await??;
    if card.archived_at.is_some() {
        return Err(ApiError::NotFound("card".into()).into());
    }
    let html_body = markdown::render(markdown::without_title_heading(&card.body, &card.title));
    Ok(views::card::card(
        &user,
        &card,
        &html_body,
        revisions,
        state.clock.now(),
    ))
}

/// Cards listed per collection on the overview; search shows the rest.
const CARDS_PER_COLLECTION: i64 = 500;

async fn show_collections(state: web::Data<AppState>, PageUser(user): PageUser) -> PageResult {
    let st = state.clone();
    let now = state.clock.now();
    let list = web::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            let mut out = Vec::new();
            for (collection, _) in collections::list_with_counts(c)? {
                let query = ListQuery {
                    collection: Some(collection.slug.clone()),
                    order: Order::Title,
                    limit: CARDS_PER_COLLECTION,
                    ..ListQuery::default()
                };
                out.push((collection, cards::list(c, &query, now)?.1));
            }
            Ok(out)
        })
    })
    .await??;
    Ok(views::collections::collections(&user, &list, now))
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

async fn show_login(user: MaybeUser, params: web::Query<NextParam>) -> HttpResponse {
    let next = safe_next(params.next.as_deref());
    if user.0.is_some() {
        return redirect(&next);
    }
    html_response(StatusCode::OK, views::login::login(&next, None, ""))
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let LoginForm {
        username,
        password,
        next,
    } = form.into_inner();
    let next = safe_next(next.as_deref());
    let st = state.clone();
    let name = username.clone();
    let user: Option<User> =
        web::block(move || auth::authenticate(&st, &name, &password)).await??;
    let Some(user) = user else {
        return Ok(html_response(
            StatusCode::UNAUTHORIZED,
            views::login::login(&next, Some("Wrong username or password."), &username),
        ));
    };
    let token = state.tokens.issue(&user)?;
    let cookie = Cookie::build(auth::COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            auth::TOKEN_TTL_SECS,
        ))
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, next))
        .finish())
}

async fn logout(_req: HttpRequest) -> HttpResponse {
    let mut cookie = Cookie::build(auth::COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/login"))
        .finish()
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn html_response(status: StatusCode, body: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}
