//! The HTML pages. They work without JavaScript; errors render as pages, not JSON.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use maud::{Markup, html};
use serde::Deserialize;
use verity_core::markdown;
use verity_core::role::Level;
use verity_index::SearchRequest;
use verity_store::cards::{self, Card, ListQuery, Order};
use verity_store::users::User;
use verity_store::{collections, reminders, verification};

use crate::access::Access;
use crate::auth::{self, MaybeUser, PageUser, safe_next};
use crate::blocking;
use crate::error::ApiError;
use crate::routes::api::{
    DiffParams, SearchParams, load_queue, loggable, readable_collections, run_search, search_report,
};
use crate::routes::table::Routes;
use crate::service;
use crate::service::Content;
use crate::state::AppState;
use crate::views;
use crate::views::card::VerificationPanel;
use crate::views::editor::{ConflictView, Draft};

pub fn configure(routes: &mut impl Routes) {
    routes
        .get("/", show_home)
        .get("/search", show_search)
        // Before `/cards/{slug}`, which would take "new" for a slug.
        .get("/cards/new", new_card_page)
        .post("/cards/new", create_card)
        .get("/cards/{slug}", show_card)
        .get("/collections", show_collections)
        .get("/cards/{slug}/edit", edit_card_page)
        .post("/cards/{slug}/edit", save_card)
        .get("/cards/{slug}/history", show_history)
        .get("/cards/{slug}/revisions/{rev}", show_revision)
        .get("/cards/{slug}/diff", show_diff)
        .post("/cards/{slug}/restore", restore_card)
        .post("/cards/{slug}/archive", archive_card)
        .post("/cards/{slug}/unarchive", unarchive_card)
        .get("/archive", show_archive)
        .post("/cards/{slug}/verify", verify_card)
        .post("/cards/{slug}/request", request_verification)
        .post("/cards/{slug}/requests/{id}/answer", answer_request)
        .post("/cards/{slug}/assign", assign_verifier)
        .get("/verify", show_queue)
        .post("/verify", verify_many)
        .get("/health", show_health)
        .get("/admin/sync", show_sync)
        .get("/admin/search", show_search_analytics)
        .get("/notifications", show_notifications)
        .post("/notifications/read", mark_read)
        .get("/login", show_login)
        .post("/login", login)
        .post("/logout", logout);
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
            ApiError::Internal(_) => {
                ("Something went wrong", "The error has been logged. Please try again.".to_string())
            }
            other => ("That did not work", views::sentence(&other.to_string())),
        };
        let body = views::layout::page(
            heading,
            None,
            "",
            html! { section class="error-page" { h1 { (heading) } p { (detail) } p { a href="/" { "Back to the start" } } } },
        );
        HttpResponse::build(self.status_code()).content_type("text/html; charset=utf-8").body(body.into_string())
    }
}

type PageResult = Result<Markup, PageError>;

pub async fn not_found() -> HttpResponse {
    let body = views::layout::page(
        "Not found",
        None,
        "",
        html! { section class="error-page" { h1 { "Not found" } p { "There is no such page." } p { a href="/" { "Back to the start" } } } },
    );
    HttpResponse::NotFound().content_type("text/html; charset=utf-8").body(body.into_string())
}

async fn show_home(state: web::Data<AppState>, PageUser(nav): PageUser) -> PageResult {
    let results =
        run_search(&state, &nav.user, SearchRequest { limit: 1, ..SearchRequest::default() }, None).await?.results;
    let (st, user) = (state.clone(), nav.user.clone());
    let recent = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let hidden = Access::load(c, &user)?.hidden_ids();
            Ok(cards::recent_changes(c, 12, &hidden)?)
        })
    })
    .await??;
    let collections: Vec<(String, String, i64)> =
        readable_collections(&state, &nav.user).await?.into_iter().map(|(c, n, _)| (c.slug, c.name, n)).collect();
    Ok(views::home::home(&views::home::Home {
        nav: &nav,
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
    PageUser(nav): PageUser,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, PageError> {
    let mut params = params.into_inner();
    // A bad filter in a hand-typed URL is dropped, not an error page.
    if params.request(PER_PAGE).is_err() {
        params.status = None;
    }
    let req = SearchRequest { limit: PER_PAGE, ..params.request(PER_PAGE)? };
    params.offset = Some(req.offset);
    match run_search(&state, &nav.user, req, loggable(&params)).await {
        Ok(searched) => Ok(html_page(
            StatusCode::OK,
            views::search::search(&nav, &params, &searched.results, searched.took_ms, PER_PAGE, searched.search_id),
        )),
        // The search page itself says why, with the query in the box to shorten.
        Err(ApiError::QueryTooComplex(why)) => {
            Ok(html_page(StatusCode::BAD_REQUEST, views::search::refused(&nav, &params, &why)))
        }
        Err(other) => Err(other.into()),
    }
}

fn html_page(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

#[derive(Deserialize)]
struct CardParams {
    merged: Option<u8>,
    /// The search this visit came from (search analytics' click-through).
    from_search: Option<i64>,
}

async fn show_card(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    params: web::Query<CardParams>,
) -> PageResult {
    let slug = slug.into_inner();
    let st = state.clone();
    let user = nav.user.clone();
    let (card, revisions, panel, html_body, backlinks, access) = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let access = Access::load(c, &user)?;
            let card = access.card(c, &slug, Level::Read)?;
            let hidden = access.hidden_ids();
            let revisions = cards::revision_count(c, card.id)?;
            let may_verify = access.may_verify(c, &card)?;
            let html =
                service::render_with_links(c, markdown::without_title_heading(&card.body, &card.title), &hidden)?;
            let backlinks = cards::backlinks(c, &card, &hidden)?;
            let panel = VerificationPanel {
                may_verify,
                may_assign: may_verify || card.owner.as_deref() == Some(user.username.as_str()),
                history: verification::history(c, card.id)?,
                requests: verification::requests_for(c, card.id)?,
            };
            Ok((card, revisions, panel, html, backlinks, access))
        })
    })
    .await??;
    if let Some(search) = params.from_search {
        let (st, username, slug) = (state.clone(), nav.user.username.clone(), card.slug.clone());
        let _ = blocking::block(move || {
            st.store.write(|c| verity_store::search_log::record_click(c, search, &username, &slug))
        })
        .await;
    }
    let st = state.clone();
    let now = state.clock.now();
    let id = card.id;
    let hidden = access.hidden_slugs();
    // Related cards are a suggestion: if finding them fails, the card still shows.
    let related = match blocking::block(move || st.index.related(id, 5, &hidden, now)).await {
        Ok(Ok(hits)) => hits,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "related cards unavailable");
            Vec::new()
        }
        Err(e) => {
            tracing::error!(error = %e, "finding related cards failed");
            Vec::new()
        }
    };
    let related: Vec<(String, String)> = related.into_iter().map(|h| (h.slug, h.title)).collect();
    let notice = params.merged.is_some().then_some(
        "Someone else saved this card while you were editing; your changes did not overlap and were merged with theirs.",
    );
    Ok(views::card::card(&views::card::CardPage {
        nav: &nav,
        card: &card,
        html_body: &html_body,
        revisions,
        panel: &panel,
        backlinks: &backlinks,
        related: &related,
        notice,
        now: state.clock.now(),
        may_edit: access.can(card.collection_id, Level::Write),
    }))
}

#[derive(Deserialize, Default)]
struct NewParams {
    collection: Option<String>,
}

/// The collections the person may add cards to, for the editor's picker.
async fn collection_options(state: &web::Data<AppState>, user: &User) -> Result<Vec<(String, String)>, PageError> {
    let list = readable_collections(state, user).await?;
    Ok(list.into_iter().filter(|(_, _, level)| *level >= Level::Write).map(|(c, _, _)| (c.slug, c.name)).collect())
}

async fn new_card_page(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    params: web::Query<NewParams>,
) -> PageResult {
    let collections = collection_options(&state, &nav.user).await?;
    if collections.is_empty() {
        return Err(ApiError::Forbidden("there is no collection you may add cards to").into());
    }
    let collection = params.collection.clone().unwrap_or_default();
    let draft = Draft { title: "", body: "", tags: "", message: "", collection: &collection, base_rev: 0 };
    Ok(views::editor::editor(&nav, None, &draft, &collections, false, None, None))
}

#[derive(Deserialize)]
struct EditorForm {
    title: String,
    body: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    collection: String,
    #[serde(default)]
    base_rev: i32,
    #[serde(default)]
    action: String,
}

fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

async fn create_card(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    form: web::Form<EditorForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    let content = match Content::validate(&f.title, f.body.clone(), &split_tags(&f.tags)) {
        Ok(c) => c,
        Err(e) => return editor_error(&state, &nav, None, &f, &e.to_string()).await,
    };
    let st = state.clone();
    let user = nav.user.clone();
    let (collection, message) =
        (f.collection.clone(), if f.message.is_empty() { "created".to_owned() } else { f.message.clone() });
    match blocking::block(move || service::create_card(&st, &user, &collection, content, &message)).await? {
        Ok(saved) => Ok(redirect(&format!("/cards/{}", saved.card.slug))),
        Err(e @ (ApiError::Invalid(_) | ApiError::PayloadTooLarge(_))) => {
            editor_error(&state, &nav, None, &f, &e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The editor again, with the person's text and what was wrong.
async fn editor_error(
    state: &web::Data<AppState>,
    nav: &auth::Nav,
    card: Option<&Card>,
    f: &EditorForm,
    error: &str,
) -> Result<HttpResponse, PageError> {
    let collections = collection_options(state, &nav.user).await?;
    let draft = Draft {
        title: &f.title,
        body: &f.body,
        tags: &f.tags,
        message: &f.message,
        collection: &f.collection,
        base_rev: f.base_rev,
    };
    Ok(html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        views::editor::editor(nav, card, &draft, &collections, false, None, Some(error)),
    ))
}

/// A card for a page that needs `need` on it (404 when unreadable, 403 when readable but
/// not enough), and whether this person may verify it.
async fn load_for_page(
    state: &web::Data<AppState>,
    nav: &auth::Nav,
    slug: String,
    need: Level,
) -> Result<(Card, bool), PageError> {
    let st = state.clone();
    let user = nav.user.clone();
    let (card, may_verify) = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let access = Access::load(c, &user)?;
            let card = access.card(c, &slug, need)?;
            let may = access.may_verify(c, &card)?;
            Ok((card, may))
        })
    })
    .await??;
    Ok((card, may_verify))
}

async fn edit_card_page(state: web::Data<AppState>, PageUser(nav): PageUser, slug: web::Path<String>) -> PageResult {
    let (card, may_verify) = load_for_page(&state, &nav, slug.into_inner(), Level::Write).await?;
    let tags = card.tags.join(", ");
    let draft = Draft {
        title: &card.title,
        body: &card.body,
        tags: &tags,
        message: "",
        collection: &card.collection,
        base_rev: card.head_rev,
    };
    Ok(views::editor::editor(&nav, Some(&card), &draft, &[], may_verify, None, None))
}

async fn save_card(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    form: web::Form<EditorForm>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let (card, may_verify) = load_for_page(&state, &nav, slug.clone(), Level::Write).await?;
    let f = form.into_inner();
    let content = match Content::validate(&f.title, f.body.clone(), &split_tags(&f.tags)) {
        Ok(c) => c,
        Err(e) => return editor_error(&state, &nav, Some(&card), &f, &e.to_string()).await,
    };
    let st = state.clone();
    let user = nav.user.clone();
    let message = if f.message.is_empty() { "edited".to_owned() } else { f.message.clone() };
    let (base_rev, and_verify) = (f.base_rev, f.action == "save_verify");
    let target = format!("/cards/{slug}");
    match blocking::block(move || service::update_card(&st, &user, &slug, content, base_rev, &message, and_verify))
        .await?
    {
        // Say so when someone else's save was merged in.
        Ok(update) if update.merged => Ok(redirect(&format!("{target}?merged=1"))),
        Ok(_) => Ok(redirect(&target)),
        Err(ApiError::Conflict { rev, body, .. }) => {
            // Nothing was saved: show their version beside the person's text, and base
            // the next save on the head, so saving the resolved text goes through.
            let (lines, _) = crate::diff::lines(&body, &f.body);
            let conflict = ConflictView { rev, body: &body, lines: &lines };
            let draft = Draft {
                title: &f.title,
                body: &f.body,
                tags: &f.tags,
                message: &f.message,
                collection: &card.collection,
                base_rev: rev,
            };
            let markup = views::editor::editor(&nav, Some(&card), &draft, &[], may_verify, Some(&conflict), None);
            Ok(html_response(StatusCode::CONFLICT, markup))
        }
        Err(e @ (ApiError::Invalid(_) | ApiError::PayloadTooLarge(_))) => {
            editor_error(&state, &nav, Some(&card), &f, &e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show_history(state: web::Data<AppState>, PageUser(nav): PageUser, slug: web::Path<String>) -> PageResult {
    let (card, _) = load_for_page(&state, &nav, slug.into_inner(), Level::Read).await?;
    let st = state.clone();
    let id = card.id;
    let revisions = blocking::block(move || st.store.read(|c| cards::revisions(c, id))).await??;
    Ok(views::editor::history(&nav, &card, &revisions, state.clock.now()))
}

async fn show_revision(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    path: web::Path<(String, i32)>,
) -> PageResult {
    let (slug, rev) = path.into_inner();
    let (card, _) = load_for_page(&state, &nav, slug, Level::Read).await?;
    let st = state.clone();
    let (id, user) = (card.id, nav.user.clone());
    let (revision, html_body) = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let hidden = Access::load(c, &user)?.hidden_ids();
            let revision = cards::revision(c, id, rev)?;
            let body = markdown::without_title_heading(&revision.body, &revision.title);
            let html = service::render_with_links(c, body, &hidden)?;
            Ok((revision, html))
        })
    })
    .await??;
    Ok(views::editor::revision(&nav, &card, &revision, &html_body))
}

async fn show_diff(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    params: web::Query<DiffParams>,
) -> PageResult {
    let (card, _) = load_for_page(&state, &nav, slug.into_inner(), Level::Read).await?;
    let (from, to) = (params.from, params.to.unwrap_or(card.head_rev));
    let st = state.clone();
    let id = card.id;
    let (a, b) = blocking::block(move || {
        st.store
            .read(|c| -> verity_store::Result<_> { Ok((cards::revision(c, id, from)?, cards::revision(c, id, to)?)) })
    })
    .await??;
    let (lines, stats) = crate::diff::lines(&a.body, &b.body);
    Ok(views::editor::diff(&nav, &card, &a, &b, &lines, &stats))
}

#[derive(Deserialize)]
struct RestoreForm {
    rev: i32,
}

async fn restore_card(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    form: web::Form<RestoreForm>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let st = state.clone();
    let target = format!("/cards/{slug}");
    let rev = form.rev;
    blocking::block(move || service::restore_card(&st, &nav.user, &slug, rev)).await??;
    Ok(redirect(&target))
}

async fn archive_card(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let st = state.clone();
    blocking::block(move || service::archive_card(&st, &nav.user, &slug)).await??;
    Ok(redirect("/archive"))
}

async fn unarchive_card(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let st = state.clone();
    let target = format!("/cards/{slug}");
    blocking::block(move || service::unarchive_card(&st, &nav.user, &slug)).await??;
    Ok(redirect(&target))
}

async fn show_archive(state: web::Data<AppState>, PageUser(nav): PageUser) -> PageResult {
    let (st, user) = (state.clone(), nav.user.clone());
    let list = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let hidden = Access::load(c, &user)?.hidden_ids();
            Ok(cards::archived(c, 500, &hidden)?)
        })
    })
    .await??;
    let now = state.clock.now();
    let can_write = nav.user.role.can_write();
    Ok(views::layout::page(
        "Archive",
        Some(&nav),
        "",
        html! {
            h1 { "Archived cards" }
            p class="muted" { "Archived cards are out of search and lists; their history is kept and they can come back." }
            @if list.is_empty() { div class="empty" { p { "Nothing is archived." } } }
            ul class="card-list" {
                @for (slug, title, collection, at) in &list {
                    li {
                        (title) span class="muted small" { " · " (collection) " · archived " (views::relative(*at, now)) }
                        @if can_write {
                            " "
                            form class="inline" method="post" action={ "/cards/" (slug) "/unarchive" } { (crate::views::csrf_field(&nav.csrf)) button class="link" type="submit" { "Unarchive" } }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    note: String,
}

async fn verify_card(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let st = state.clone();
    let target = format!("/cards/{slug}");
    blocking::block(move || service::verify_card(&st, &nav.user, &slug, &form.note)).await??;
    Ok(redirect(&target))
}

#[derive(Deserialize)]
struct CommentForm {
    comment: String,
}

async fn request_verification(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    form: web::Form<CommentForm>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let st = state.clone();
    let target = format!("/cards/{slug}#verification");
    blocking::block(move || service::request_verification(&st, &nav.user, &slug, &form.comment)).await??;
    Ok(redirect(&target))
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: String,
}

async fn answer_request(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<AnswerForm>,
) -> Result<HttpResponse, PageError> {
    let (slug, id) = path.into_inner();
    let st = state.clone();
    let target = format!("/cards/{slug}#verification");
    blocking::block(move || service::answer_request(&st, &nav.user, &slug, id, &form.answer)).await??;
    Ok(redirect(&target))
}

#[derive(Deserialize)]
struct AssignForm {
    verifier: String,
    verify_every: Option<String>,
    /// Where to go afterwards (the queue reassigns too).
    next: Option<String>,
}

async fn assign_verifier(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    slug: web::Path<String>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner();
    let st = state.clone();
    let AssignForm { verifier, verify_every, next } = form.into_inner();
    let target = match next {
        Some(n) => safe_next(Some(&n)),
        None => format!("/cards/{slug}"),
    };
    blocking::block(move || service::assign_verifier(&st, &nav.user, &slug, &verifier, verify_every.as_deref()))
        .await??;
    Ok(redirect(&target))
}

#[derive(Deserialize)]
struct QueueParams {
    verified: Option<usize>,
}

async fn show_queue(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    params: web::Query<QueueParams>,
) -> PageResult {
    let entries = load_queue(&state, nav.user.clone()).await?;
    Ok(views::verify::queue(&nav, &entries, params.verified, state.clock.now()))
}

/// Verifies every selected card (the form repeats `slug`), then shows the queue again.
/// The most cards one "verify selected" may carry (each is its own transaction).
const MAX_VERIFY_AT_ONCE: usize = 500;

async fn verify_many(
    state: web::Data<AppState>,
    PageUser(nav): PageUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = form.into_inner();
    let note = pairs.iter().find(|(k, _)| k == "note").map(|(_, v)| v.clone()).unwrap_or_default();
    let mut slugs: Vec<String> = pairs.into_iter().filter(|(k, _)| k == "slug").map(|(_, v)| v).collect();
    slugs.sort();
    slugs.dedup();
    if slugs.len() > MAX_VERIFY_AT_ONCE {
        return Err(ApiError::Invalid(format!(
            "at most {MAX_VERIFY_AT_ONCE} cards can be verified at once; {} were sent",
            slugs.len()
        ))
        .into());
    }
    let st = state.clone();
    // Each card is its own verification: one the user may not verify (reassigned in the
    // meantime) is skipped, not a reason to drop the others.
    let verified = blocking::block(move || -> Result<usize, ApiError> {
        let mut verified = 0;
        for slug in &slugs {
            match service::verify_card(&st, &nav.user, slug, &note) {
                Ok(_) => verified += 1,
                Err(ApiError::Forbidden(_) | ApiError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(verified)
    })
    .await??;
    Ok(redirect(&format!("/verify?verified={verified}")))
}

async fn show_search_analytics(state: web::Data<AppState>, PageUser(nav): PageUser) -> PageResult {
    if nav.user.role != verity_core::Role::Admin {
        return Err(ApiError::Forbidden("only admins see search analytics").into());
    }
    let r = search_report(&state).await?;
    let rate = |clicks: u64, searches: u64| {
        if searches == 0 { "—".to_owned() } else { format!("{:.0} %", 100.0 * clicks as f64 / searches as f64) }
    };
    let table = |rows: &[verity_store::search_log::QueryStats]| {
        html! {
            table class="health-table" {
                thead { tr { th { "Query" } th { "Searches" } th { "Results" } th { "Opened a card" } } }
                tbody {
                    @for q in rows {
                        tr {
                            td { a href={ "/search?q=" (auth::urlencode(&q.query)) } { (q.query) } }
                            td { (q.searches) } td { (q.results) } td { (rate(q.clicks, q.searches)) }
                        }
                    }
                }
            }
        }
    };
    Ok(views::layout::page(
        "Search analytics",
        Some(&nav),
        "",
        html! {
            h1 { "What people search for" }
            p class="muted" { "Last " (crate::routes::api::ANALYTICS_DAYS) " days: " (r.searches) " searches, "
                (rate(r.clicks, r.searches)) " of them opened a card." }
            div class="columns" {
                section { h2 { "Top queries" } @if r.top.is_empty() { p class="muted" { "No searches yet." } } @else { (table(&r.top)) } }
                section {
                    h2 { "Knowledge gaps" }
                    p class="muted small" { "Queries that found nothing: cards worth writing." }
                    @if r.no_results.is_empty() { p class="muted" { "None." } } @else { (table(&r.no_results)) }
                }
            }
        },
    ))
}

async fn show_sync(state: web::Data<AppState>, PageUser(nav): PageUser) -> PageResult {
    if nav.user.role != verity_core::Role::Admin {
        return Err(ApiError::Forbidden("only admins see the content folder's state").into());
    }
    let folder = state.sync.as_ref().map(|s| s.root().display().to_string());
    let problems = state.sync.as_ref().map(|s| s.problems()).unwrap_or_default();
    let st = state.clone();
    let conflicts = blocking::block(move || st.store.read(cards::sync_conflicts)).await??;
    Ok(views::layout::page(
        "Content folder",
        Some(&nav),
        "",
        html! {
            h1 { "Content folder" }
            @match &folder {
                Some(f) => p { "Verity keeps " code { (f) } " in sync with the cards, both ways." },
                None => p class="muted" { "No content folder is being synced (start the server with --content DIR)." },
            }
            h2 { "Cards in conflict with their file" }
            @if conflicts.is_empty() { p class="muted" { "None." } }
            ul class="card-list" {
                @for (slug, title, path) in &conflicts {
                    li { a href={ "/cards/" (slug) } { (title) } @if let Some(p) = path { " — " code { (p) } } }
                }
            }
            h2 { "Skipped files" }
            @if problems.is_empty() { p class="muted" { "Every Markdown file was read." } }
            ul class="card-list" {
                @for p in &problems { li { code { (p.path) } " — " (p.reason) } }
            }
        },
    ))
}

async fn show_health(state: web::Data<AppState>, PageUser(nav): PageUser) -> PageResult {
    let health = crate::health::for_user(&state, &nav.user).await?;
    Ok(views::health::health(&nav, &health, state.clock.now()))
}

async fn show_notifications(state: web::Data<AppState>, PageUser(nav): PageUser) -> PageResult {
    let st = state.clone();
    let username = nav.user.username.clone();
    let list = blocking::block(move || st.store.read(|c| reminders::notifications_for(c, &username, 200))).await??;
    Ok(views::notifications::notifications(&nav, &list, state.clock.now()))
}

async fn mark_read(state: web::Data<AppState>, PageUser(nav): PageUser) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    let now = state.clock.now();
    blocking::block(move || st.store.write(|c| reminders::mark_all_read(c, &nav.user.username, now))).await??;
    Ok(redirect("/notifications"))
}

/// Cards listed per collection on the overview; search shows the rest.
const CARDS_PER_COLLECTION: i64 = 500;

async fn show_collections(state: web::Data<AppState>, PageUser(nav): PageUser) -> PageResult {
    let (st, user) = (state.clone(), nav.user.clone());
    let now = state.clock.now();
    let list = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let access = Access::load(c, &user)?;
            let mut out = Vec::new();
            for (collection, _) in collections::list_with_counts(c)? {
                let Some(level) = access.level(collection.id) else { continue };
                let query = ListQuery {
                    collection: Some(collection.slug.clone()),
                    order: Order::Title,
                    limit: CARDS_PER_COLLECTION,
                    ..ListQuery::default()
                };
                out.push(views::collections::Listed {
                    cards: cards::list(c, &query, now)?.1,
                    restricted: access.is_restricted(collection.id),
                    manage: level == Level::Manage,
                    collection,
                });
            }
            Ok(out)
        })
    })
    .await??;
    Ok(views::collections::collections(&nav, &list, now))
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
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let LoginForm { username, password, next } = form.into_inner();
    let next = safe_next(next.as_deref());
    let user = match auth::sign_in(&state, &auth::client_address(&req), username.clone(), password).await {
        Ok(user) => user,
        Err(ApiError::Unauthorized(_)) => {
            return Ok(html_response(
                StatusCode::UNAUTHORIZED,
                views::login::login(&next, Some("Wrong username or password."), &username),
            ));
        }
        Err(ApiError::TooManyRequests { retry_after }) => {
            let message = format!("Too many failed sign-ins. Try again in {retry_after} seconds.");
            let mut response =
                html_response(StatusCode::TOO_MANY_REQUESTS, views::login::login(&next, Some(&message), &username));
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_str(&retry_after.to_string()).expect("digits are a valid header"),
            );
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    };
    let token = state.tokens.issue(&user)?;
    Ok(HttpResponse::SeeOther()
        .cookie(auth::session_cookie(&req, token, state.tokens.ttl_secs()))
        .insert_header((header::LOCATION, next))
        .finish())
}

/// Signs this browser out: the session's token is revoked (not only forgotten by the
/// browser) and the cookie removed.
async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Err(e) = auth::revoke_current_session(&state, &req).await {
        tracing::debug!(error = %e, "signing out a session that was not valid");
    }
    HttpResponse::SeeOther().cookie(auth::removal_cookie(&req)).insert_header((header::LOCATION, "/login")).finish()
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

fn html_response(status: StatusCode, body: Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body.into_string())
}
