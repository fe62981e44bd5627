//! The JSON API under `/api/v1`.

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use verity_core::Status;
use verity_core::role::Level;
use verity_index::{SearchRequest, SearchResults};
use verity_store::cards::{self, Card, EditOutcome, ListQuery, Order, Revision};
use verity_store::users::User;
use verity_store::{collections, groups, reminders, search_log, verification};

use crate::access::Access;
use crate::auth::{self, AuthUser};
use crate::blocking;
use crate::error::ApiError;
use crate::routes::table::Routes;
use crate::service::{self, Content};
use crate::state::AppState;

pub const MAX_LIMIT: usize = 1000;
/// How long `?wait=true` waits for the index before answering anyway.
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

pub fn configure(routes: &mut impl Routes) {
    routes
        .post("/auth/login", api_login)
        .get("/cards", api_list_cards)
        .post("/cards", api_create_card)
        .get("/cards/{slug}", api_get_card)
        .put("/cards/{slug}", api_update_card)
        .delete("/cards/{slug}", api_archive_card)
        .post("/cards/{slug}/unarchive", api_unarchive_card)
        .get("/cards/{slug}/revisions", api_list_revisions)
        .get("/cards/{slug}/revisions/{rev}", api_get_revision)
        .get("/cards/{slug}/diff", api_diff)
        .post("/cards/{slug}/restore", api_restore)
        .post("/render", api_render)
        .post("/cards/{slug}/verify", api_verify_card)
        .put("/cards/{slug}/verification", api_assign_verifier)
        .get("/cards/{slug}/verifications", api_verification_history)
        .post("/cards/{slug}/verification-requests", api_request_verification)
        .post("/cards/{slug}/verification-requests/{id}/answer", api_answer_request)
        .get("/verification/queue", api_queue)
        .get("/health", api_health)
        .get("/notifications", api_notifications)
        .post("/notifications/read", api_mark_read)
        .get("/groups", api_list_groups)
        .post("/groups", api_create_group)
        .post("/groups/{name}/members", api_add_member)
        .get("/sync", api_sync_status)
        .get("/admin/search-analytics", api_search_analytics)
        .get("/search", api_search)
        .get("/collections", api_list_collections)
        .post("/collections", api_create_collection)
        .get("/export", api_export);
}

type ApiResult = Result<HttpResponse, ApiError>;

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn api_login(state: web::Data<AppState>, req: HttpRequest, body: web::Json<LoginBody>) -> ApiResult {
    let LoginBody { username, password } = body.into_inner();
    let user = auth::sign_in(&state, &auth::client_address(&req), username, password).await?;
    let token = state.tokens.issue(&user)?;
    Ok(HttpResponse::Ok().json(
        json!({"token": token, "expires_in": state.tokens.ttl_secs(), "username": user.username, "role": user.role}),
    ))
}

/// The JSON shape of a card; `body` only where one card is asked for.
pub fn card_json(card: &Card, now: DateTime<Utc>, with_body: bool) -> Value {
    let mut v = json!({
        "slug": card.slug,
        "title": card.title,
        "collection": card.collection,
        "tags": card.tags,
        "status": card.status(now),
        "rev": card.head_rev,
        "owner": card.owner,
        "verifier": card.verifier,
        "verify_every": card.interval.canonical(),
        "verified_at": card.verified_at,
        "verified_by": card.verified_by,
        "next_verification_at": card.due_times().map(|d| d.due_at),
        "created_at": card.created_at,
        "updated_at": card.updated_at,
        "updated_by": card.updated_by,
        "source_path": card.source_path,
        "sync_conflict": card.sync_conflict,
    });
    if with_body && let Value::Object(map) = &mut v {
        map.insert("body".into(), Value::String(card.body.clone()));
    }
    v
}

fn revision_json(r: &Revision, with_body: bool) -> Value {
    let mut v = json!({
        "rev": r.rev,
        "title": r.title,
        "tags": r.tags,
        "author": r.author,
        "message": r.message,
        "created_at": r.created_at,
        "size": r.body.len(),
    });
    if with_body && let Value::Object(map) = &mut v {
        map.insert("body".into(), Value::String(r.body.clone()));
    }
    v
}

#[derive(Deserialize, Default)]
pub struct WaitParam {
    #[serde(default)]
    wait: bool,
}

/// With `?wait=true`, returns only once change `seq` is searchable.
async fn maybe_wait(state: &AppState, wait: &WaitParam, seq: i64) {
    if wait.wait && !state.indexer.wait_for(seq, WAIT_TIMEOUT).await {
        tracing::warn!(seq, "the index did not catch up within the wait timeout");
    }
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<usize>,
    offset: Option<usize>,
    collection: Option<String>,
    status: Option<String>,
}

fn parse_status(s: Option<&str>) -> Result<Option<Status>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|e: verity_core::verification::UnknownStatus| ApiError::BadRequest(e.to_string())),
    }
}

async fn api_list_cards(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    params: web::Query<ListParams>,
) -> ApiResult {
    let query = ListQuery {
        collection: params.collection.clone().filter(|c| !c.is_empty()),
        status: parse_status(params.status.as_deref())?,
        order: Order::Recent,
        limit: params.limit.unwrap_or(50).min(MAX_LIMIT) as i64,
        offset: params.offset.unwrap_or(0).min(i64::MAX as usize) as i64,
        hidden_collections: Vec::new(),
    };
    let now = state.clock.now();
    let (total, cards) = list_visible(&state, user, query).await?;
    let cards: Vec<Value> = cards.iter().map(|c| card_json(c, now, false)).collect();
    Ok(HttpResponse::Ok().json(json!({"total": total, "cards": cards})))
}

/// One page of the live cards `user` may read (the query's own filters, plus their rights).
async fn list_visible(
    state: &web::Data<AppState>,
    user: User,
    mut query: ListQuery,
) -> Result<(i64, Vec<Card>), ApiError> {
    let st = state.clone();
    let now = state.clock.now();
    blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            query.hidden_collections = Access::load(c, &user)?.hidden_ids();
            Ok(cards::list(c, &query, now)?)
        })
    })
    .await?
}

/// A live card the user may read (404 for one they may not, as for one that is not there).
async fn load_card(state: &web::Data<AppState>, user: &User, slug: String) -> Result<Card, ApiError> {
    let (st, user) = (state.clone(), user.clone());
    blocking::block(move || st.store.read(|c| Access::load(c, &user)?.card(c, &slug, Level::Read))).await?
}

async fn api_get_card(state: web::Data<AppState>, AuthUser(user): AuthUser, slug: web::Path<String>) -> ApiResult {
    let card = load_card(&state, &user, slug.into_inner()).await?;
    Ok(HttpResponse::Ok().json(card_json(&card, state.clock.now(), true)))
}

#[derive(Deserialize)]
struct NewCardBody {
    title: String,
    body: String,
    collection: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    message: Option<String>,
}

async fn api_create_card(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    wait: web::Query<WaitParam>,
    body: web::Json<NewCardBody>,
) -> ApiResult {
    let NewCardBody { title, body, collection, tags, message } = body.into_inner();
    let content = Content::validate(&title, body, &tags)?;
    let st = state.clone();
    let saved = blocking::block(move || {
        service::create_card(&st, &user, &collection, content, message.as_deref().unwrap_or("created"))
    })
    .await??;
    maybe_wait(&state, &wait, saved.seq).await;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/cards/{}", saved.card.slug)))
        .json(card_json(&saved.card, state.clock.now(), true)))
}

#[derive(Deserialize)]
struct EditBody {
    title: String,
    body: String,
    tags: Option<Vec<String>>,
    base_rev: i32,
    #[serde(default)]
    message: Option<String>,
    /// "Save and verify": the author vouches for the result (verifiers only).
    #[serde(default)]
    verify: bool,
}

async fn api_update_card(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    wait: web::Query<WaitParam>,
    body: web::Json<EditBody>,
) -> ApiResult {
    let slug = slug.into_inner();
    let EditBody { title, body, tags, base_rev, message, verify } = body.into_inner();
    let tags = match tags {
        Some(tags) => tags,
        // Tags left out stay as they are.
        None => load_card(&state, &user, slug.clone()).await?.tags,
    };
    let content = Content::validate(&title, body, &tags)?;
    let st = state.clone();
    let outcome = blocking::block(move || {
        service::update_card(&st, &user, &slug, content, base_rev, message.as_deref().unwrap_or("edited"), verify)
    })
    .await??;
    Ok(update_response(&state, &wait, outcome).await)
}

/// The card after a save, with `"changed"` and `"merged"`.
async fn update_response(state: &web::Data<AppState>, wait: &WaitParam, update: service::Update) -> HttpResponse {
    let (card, changed) = match update.outcome {
        EditOutcome::Saved(saved) => {
            maybe_wait(state, wait, saved.seq).await;
            (saved.card, true)
        }
        EditOutcome::Unchanged(card) => (card, false),
    };
    let mut v = card_json(&card, state.clock.now(), true);
    if let Value::Object(map) = &mut v {
        map.insert("changed".into(), Value::Bool(changed));
        map.insert("merged".into(), Value::Bool(update.merged));
    }
    HttpResponse::Ok().json(v)
}

async fn api_list_revisions(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
) -> ApiResult {
    let card = load_card(&state, &user, slug.into_inner()).await?;
    let st = state.clone();
    let revisions = blocking::block(move || st.store.read(|c| cards::revisions(c, card.id))).await??;
    let revisions: Vec<Value> = revisions.iter().map(|r| revision_json(r, false)).collect();
    Ok(HttpResponse::Ok().json(json!({"revisions": revisions})))
}

async fn api_get_revision(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<(String, i32)>,
) -> ApiResult {
    let (slug, rev) = path.into_inner();
    let card = load_card(&state, &user, slug).await?;
    let st = state.clone();
    let revision = blocking::block(move || st.store.read(|c| cards::revision(c, card.id, rev))).await??;
    Ok(HttpResponse::Ok().json(revision_json(&revision, true)))
}

#[derive(Deserialize, Default, Clone)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub collection: Option<String>,
    pub tag: Option<String>,
    pub status: Option<String>,
    /// Set by the search-as-you-type box: partial queries are not logged.
    #[serde(default)]
    pub instant: bool,
}

impl SearchParams {
    /// The search to run. `collection:`, `tag:` and `status:` typed in the box work like
    /// the URL parameters (which win when both are given); the rest are the words.
    pub fn request(&self, default_limit: usize) -> Result<SearchRequest, ApiError> {
        let nonempty = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let (words, typed) = split_operators(&self.q);
        let pick = |param: &Option<String>, key: &str| {
            nonempty(param).or_else(|| typed.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))
        };
        Ok(SearchRequest {
            q: words,
            collection: pick(&self.collection, "collection"),
            tag: pick(&self.tag, "tag").map(|t| t.to_lowercase()),
            status: parse_status(pick(&self.status, "status").as_deref())?,
            limit: self.limit.unwrap_or(default_limit).clamp(1, MAX_LIMIT),
            offset: self.offset.unwrap_or(0).min(100_000),
            // Set from the searcher's rights by `run_search`.
            hidden_collections: Vec::new(),
        })
    }
}

/// Splits `collection:ops tag:oncall paging` into the words and the operators.
fn split_operators(q: &str) -> (String, Vec<(&'static str, String)>) {
    let mut operators = Vec::new();
    let mut words = Vec::new();
    for word in q.split(' ') {
        let operator = ["collection", "tag", "status"].into_iter().find_map(|key| {
            let value = word.strip_prefix(key)?.strip_prefix(':')?;
            (!value.is_empty()).then(|| (key, value.to_owned()))
        });
        match operator {
            Some(op) => operators.push(op),
            None => words.push(word),
        }
    }
    (words.join(" "), operators)
}

/// A finished search: the results, how long the search took, and the id it was logged
/// under (for the click-through), if it was.
pub struct Searched {
    pub results: SearchResults,
    pub took_ms: f64,
    pub search_id: Option<i64>,
}

/// Runs a search for `user` off the async threads, times it and, given the query text
/// (see [`loggable`]), logs it — all in one trip to the blocking pool. Collections the
/// user may not read are left out inside the index query, so no hit, count, facet or
/// snippet reveals them.
pub async fn run_search(
    state: &web::Data<AppState>,
    user: &User,
    mut req: SearchRequest,
    log: Option<String>,
) -> Result<Searched, ApiError> {
    let (st, user) = (state.clone(), user.clone());
    let now = state.clock.now();
    crate::blocking::block(move || {
        let started = Instant::now();
        req.hidden_collections = st.store.read(|c| Access::load(c, &user))?.hidden_slugs();
        let results = st.index.search(&req, now)?;
        let took_ms = started.elapsed().as_secs_f64() * 1000.0;
        // A log that cannot be written costs a statistic, not the search.
        let search_id =
            log.and_then(|q| st.store.write(|c| search_log::record(c, &user.username, &q, results.total, now)).ok());
        Ok(Searched { results, took_ms, search_id })
    })
    .await?
}

/// The query to log for a search: finished ones only (not what the box sends as you
/// type, not later pages, not empty ones).
pub fn loggable(params: &SearchParams) -> Option<String> {
    let finished = !params.instant && params.offset.unwrap_or(0) == 0 && !params.q.trim().is_empty();
    finished.then(|| params.q.clone())
}

#[derive(Serialize)]
struct HitJson<'a> {
    slug: &'a str,
    title: &'a str,
    snippet: &'a str,
    collection: &'a str,
    tags: &'a [String],
    status: Status,
    score: f32,
}

#[cfg(test)]
mod tests {
    use super::split_operators;

    #[test]
    fn operators_in_the_box_become_filters() {
        let (words, ops) = split_operators("collection:ops paging tag:On-Call status:stale ");
        assert_eq!(words, "paging ");
        assert_eq!(ops, vec![("collection", "ops".into()), ("tag", "On-Call".into()), ("status", "stale".into())]);
        let (words, ops) = split_operators("title:x \"a b\" tag:");
        assert_eq!((words.as_str(), ops.len()), ("title:x \"a b\" tag:", 0));
    }
}

async fn api_search(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    params: web::Query<SearchParams>,
) -> ApiResult {
    let req = params.request(20)?;
    let Searched { results, took_ms, search_id } = run_search(&state, &user, req, loggable(&params)).await?;
    let hits: Vec<HitJson> = results
        .hits
        .iter()
        .map(|h| HitJson {
            slug: &h.slug,
            title: &h.title,
            snippet: &h.snippet_html,
            collection: &h.collection,
            tags: &h.tags,
            status: h.status,
            score: h.score,
        })
        .collect();
    let counts =
        |pairs: &[(String, u64)]| pairs.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<Map<String, Value>>();
    let status: Map<String, Value> =
        results.facets.status.iter().map(|(s, n)| (s.as_str().to_owned(), json!(n))).collect();
    Ok(HttpResponse::Ok().json(json!({
        "total": results.total,
        "took_ms": (took_ms * 1000.0).round() / 1000.0,
        "search_id": search_id,
        "suggestion": results.suggestion,
        "hits": hits,
        "facets": {
            "collection": counts(&results.facets.collection),
            "tag": counts(&results.facets.tag),
            "status": status,
        },
    })))
}

/// The collections the user may read, with their level there.
pub async fn readable_collections(
    state: &web::Data<AppState>,
    user: &User,
) -> Result<Vec<(collections::Collection, i64, Level)>, ApiError> {
    let (st, user) = (state.clone(), user.clone());
    blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let access = Access::load(c, &user)?;
            let list = collections::list_with_counts(c)?;
            Ok(list.into_iter().filter_map(|(col, n)| access.level(col.id).map(|level| (col, n, level))).collect())
        })
    })
    .await?
}

async fn api_list_collections(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    let list = readable_collections(&state, &user).await?;
    let list: Vec<Value> = list
        .iter()
        .map(|(c, n, level)| json!({"slug": c.slug, "name": c.name, "description": c.description, "cards": n, "default_verify_every": c.default_interval.canonical(), "level": level}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"collections": list})))
}

#[derive(Deserialize)]
struct NewCollectionBody {
    slug: String,
    name: String,
    #[serde(default)]
    description: String,
}

async fn api_create_collection(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<NewCollectionBody>,
) -> ApiResult {
    let NewCollectionBody { slug, name, description } = body.into_inner();
    let st = state.clone();
    let c = blocking::block(move || service::create_collection(&st, &user, &slug, &name, &description)).await??;
    Ok(HttpResponse::Created().json(json!({"slug": c.slug, "name": c.name, "description": c.description})))
}

#[derive(Deserialize, Default)]
struct VerifyBody {
    #[serde(default)]
    note: String,
}

async fn api_verify_card(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    wait: web::Query<WaitParam>,
    body: Option<web::Json<VerifyBody>>,
) -> ApiResult {
    let note = body.map(|b| b.into_inner().note).unwrap_or_default();
    let st = state.clone();
    let saved = blocking::block(move || service::verify_card(&st, &user, &slug, &note)).await??;
    maybe_wait(&state, &wait, saved.seq).await;
    Ok(HttpResponse::Ok().json(card_json(&saved.card, state.clock.now(), true)))
}

#[derive(Deserialize)]
struct AssignBody {
    verifier: String,
    verify_every: Option<String>,
}

async fn api_assign_verifier(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    wait: web::Query<WaitParam>,
    body: web::Json<AssignBody>,
) -> ApiResult {
    let AssignBody { verifier, verify_every } = body.into_inner();
    let st = state.clone();
    let saved =
        blocking::block(move || service::assign_verifier(&st, &user, &slug, &verifier, verify_every.as_deref()))
            .await??;
    maybe_wait(&state, &wait, saved.seq).await;
    Ok(HttpResponse::Ok().json(card_json(&saved.card, state.clock.now(), true)))
}

fn request_json(r: &verification::Request) -> Value {
    json!({
        "id": r.id,
        "requested_by": r.requested_by,
        "comment": r.comment,
        "created_at": r.created_at,
        "open": r.resolved_at.is_none(),
        "resolved_at": r.resolved_at,
        "resolved_by": r.resolved_by,
        "resolution": r.resolution,
        "answer": r.answer,
    })
}

async fn api_verification_history(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
) -> ApiResult {
    let card = load_card(&state, &user, slug.into_inner()).await?;
    let st = state.clone();
    let (history, requests) = blocking::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            Ok((verification::history(c, card.id)?, verification::requests_for(c, card.id)?))
        })
    })
    .await??;
    let history: Vec<Value> = history
        .iter()
        .map(|v| json!({"rev": v.rev, "verified_by": v.verified_by, "verified_at": v.verified_at, "note": v.note}))
        .collect();
    let requests: Vec<Value> = requests.iter().map(request_json).collect();
    Ok(HttpResponse::Ok().json(json!({"verifications": history, "requests": requests})))
}

#[derive(Deserialize)]
struct RequestBody {
    comment: String,
}

async fn api_request_verification(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    body: web::Json<RequestBody>,
) -> ApiResult {
    let comment = body.into_inner().comment;
    let st = state.clone();
    let request = blocking::block(move || service::request_verification(&st, &user, &slug, &comment)).await??;
    Ok(HttpResponse::Created().json(request_json(&request)))
}

#[derive(Deserialize)]
struct AnswerBody {
    answer: String,
}

async fn api_answer_request(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<(String, i64)>,
    body: web::Json<AnswerBody>,
) -> ApiResult {
    let (slug, id) = path.into_inner();
    let answer = body.into_inner().answer;
    let st = state.clone();
    let request = blocking::block(move || service::answer_request(&st, &user, &slug, id, &answer)).await??;
    Ok(HttpResponse::Ok().json(request_json(&request)))
}

/// The signed-in user's verification queue, most overdue first.
pub async fn load_queue(state: &web::Data<AppState>, user: User) -> Result<Vec<verification::QueueEntry>, ApiError> {
    let st = state.clone();
    let now = state.clock.now();
    blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let hidden = Access::load(c, &user)?.hidden_ids();
            let names = service::verifier_names(c, &user)?;
            Ok(verification::queue(c, &names, &hidden, now)?)
        })
    })
    .await?
}

async fn api_queue(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    let queue = load_queue(&state, user).await?;
    let now = state.clock.now();
    let cards: Vec<Value> = queue
        .iter()
        .map(|e| {
            let mut v = card_json(&e.card, now, false);
            if let Value::Object(map) = &mut v {
                map.insert("waiting_since".into(), json!(e.waiting_since));
                map.insert("open_requests".into(), json!(e.open_requests));
            }
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"cards": cards})))
}

async fn api_health(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    let health = crate::health::for_user(&state, &user).await?;
    Ok(HttpResponse::Ok().json(health))
}

async fn api_notifications(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    let st = state.clone();
    let (list, unread) = blocking::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            Ok((reminders::notifications_for(c, &user.username, 100)?, reminders::unread_count(c, &user.username)?))
        })
    })
    .await??;
    let list: Vec<Value> = list
        .iter()
        .map(|n| json!({"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "created_at": n.created_at, "read": n.read_at.is_some()}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"unread": unread, "notifications": list})))
}

async fn api_mark_read(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    let st = state.clone();
    let now = state.clock.now();
    let marked =
        blocking::block(move || st.store.write(|c| reminders::mark_all_read(c, &user.username, now))).await??;
    Ok(HttpResponse::Ok().json(json!({"marked": marked})))
}

async fn api_list_groups(state: web::Data<AppState>, _user: AuthUser) -> ApiResult {
    let st = state.clone();
    let list = blocking::block(move || st.store.read(groups::list)).await??;
    let list: Vec<Value> = list.iter().map(|(name, members)| json!({"name": name, "members": members})).collect();
    Ok(HttpResponse::Ok().json(json!({"groups": list})))
}

#[derive(Deserialize)]
struct GroupBody {
    name: String,
}

async fn api_create_group(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<GroupBody>,
) -> ApiResult {
    let name = body.into_inner().name;
    let st = state.clone();
    let created = name.clone();
    blocking::block(move || service::create_group(&st, &user, &name)).await??;
    Ok(HttpResponse::Created().json(json!({"name": created, "members": []})))
}

#[derive(Deserialize)]
struct MemberBody {
    username: String,
}

async fn api_add_member(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    group: web::Path<String>,
    body: web::Json<MemberBody>,
) -> ApiResult {
    let username = body.into_inner().username;
    let st = state.clone();
    let added = blocking::block(move || service::add_group_member(&st, &user, &group, &username)).await??;
    Ok(if added { HttpResponse::Created() } else { HttpResponse::Ok() }.json(json!({"added": added})))
}

/// The content folder's state: files skipped at the last scan and why (admins only).
async fn api_sync_status(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    if user.role != verity_core::Role::Admin {
        return Err(ApiError::Forbidden("only admins see the content folder's state"));
    }
    let Some(sync) = &state.sync else {
        return Ok(HttpResponse::Ok().json(json!({"folder": null, "problems": []})));
    };
    let problems: Vec<Value> = sync.problems().iter().map(|p| json!({"path": p.path, "reason": p.reason})).collect();
    Ok(HttpResponse::Ok().json(json!({"folder": sync.root().display().to_string(), "problems": problems})))
}

#[derive(Deserialize)]
struct RenderBody {
    body: String,
}

/// The live preview: exactly the card page's Markdown pipeline.
async fn api_render(state: web::Data<AppState>, AuthUser(user): AuthUser, body: web::Json<RenderBody>) -> ApiResult {
    let body = body.into_inner().body;
    if body.len() > verity_core::max_card_bytes() {
        return Err(ApiError::PayloadTooLarge(format!("cards are limited to {} bytes", verity_core::max_card_bytes())));
    }
    let st = state.clone();
    let html = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let hidden = Access::load(c, &user)?.hidden_ids();
            Ok(service::render_with_links(c, &body, &hidden)?)
        })
    })
    .await??;
    Ok(HttpResponse::Ok().json(json!({"html": html.as_str()})))
}

/// `?from=&to=` of a diff; `to` defaults to the head.
#[derive(Deserialize)]
pub struct DiffParams {
    pub from: i32,
    pub to: Option<i32>,
}

async fn api_diff(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    params: web::Query<DiffParams>,
) -> ApiResult {
    let card = load_card(&state, &user, slug.into_inner()).await?;
    let (from, to) = (params.from, params.to.unwrap_or(card.head_rev));
    let st = state.clone();
    let (a, b) = blocking::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            Ok((cards::revision(c, card.id, from)?, cards::revision(c, card.id, to)?))
        })
    })
    .await??;
    let (lines, stats) = crate::diff::lines(&a.body, &b.body);
    Ok(HttpResponse::Ok().json(json!({
        "from": from,
        "to": to,
        "title": {"from": a.title, "to": b.title},
        "tags": {"from": a.tags, "to": b.tags},
        "stats": stats,
        "lines": lines,
    })))
}

#[derive(Deserialize)]
struct RestoreBody {
    rev: i32,
}

async fn api_restore(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    wait: web::Query<WaitParam>,
    body: web::Json<RestoreBody>,
) -> ApiResult {
    let rev = body.into_inner().rev;
    let st = state.clone();
    let update = blocking::block(move || service::restore_card(&st, &user, &slug, rev)).await??;
    Ok(update_response(&state, &wait, update).await)
}

async fn api_archive_card(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    wait: web::Query<WaitParam>,
) -> ApiResult {
    let st = state.clone();
    let saved = blocking::block(move || service::archive_card(&st, &user, &slug)).await??;
    maybe_wait(&state, &wait, saved.seq).await;
    Ok(HttpResponse::Ok()
        .json(json!({"slug": saved.card.slug, "archived": true, "archived_at": saved.card.archived_at})))
}

async fn api_unarchive_card(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    slug: web::Path<String>,
    wait: web::Query<WaitParam>,
) -> ApiResult {
    let st = state.clone();
    let saved = blocking::block(move || service::unarchive_card(&st, &user, &slug)).await??;
    maybe_wait(&state, &wait, saved.seq).await;
    Ok(HttpResponse::Ok().json(card_json(&saved.card, state.clock.now(), true)))
}

/// Days of search history the analytics look at.
pub const ANALYTICS_DAYS: i64 = 30;

pub async fn search_report(state: &web::Data<AppState>) -> Result<search_log::Report, ApiError> {
    let st = state.clone();
    let since = state.clock.now() - chrono::Duration::days(ANALYTICS_DAYS);
    Ok(blocking::block(move || st.store.read(|c| search_log::report(c, since, 25))).await??)
}

async fn api_search_analytics(state: web::Data<AppState>, AuthUser(user): AuthUser) -> ApiResult {
    if user.role != verity_core::Role::Admin {
        return Err(ApiError::Forbidden("only admins see search analytics"));
    }
    let r = search_report(&state).await?;
    let list = |qs: &[search_log::QueryStats]| -> Vec<Value> {
        qs.iter()
            .map(|q| json!({"query": q.query, "searches": q.searches, "clicks": q.clicks, "results": q.results}))
            .collect()
    };
    Ok(HttpResponse::Ok().json(json!({
        "days": ANALYTICS_DAYS,
        "searches": r.searches,
        "clicks": r.clicks,
        "click_through": if r.searches == 0 { 0.0 } else { r.clicks as f64 / r.searches as f64 },
        "top_queries": list(&r.top),
        "no_results": list(&r.no_results),
    })))
}

#[derive(Deserialize)]
struct ExportParams {
    limit: Option<usize>,
    offset: Option<usize>,
    collection: Option<String>,
}

/// The cards the caller may read as Markdown files with front matter (what
/// `verity export` writes), a page at a time, oldest first so pages stay stable.
async fn api_export(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    params: web::Query<ExportParams>,
) -> ApiResult {
    let query = ListQuery {
        collection: params.collection.clone().filter(|c| !c.is_empty()),
        order: Order::Oldest,
        limit: params.limit.unwrap_or(200).clamp(1, MAX_LIMIT) as i64,
        offset: params.offset.unwrap_or(0).min(i64::MAX as usize) as i64,
        ..ListQuery::default()
    };
    let (total, cards) = list_visible(&state, user, query).await?;
    let files: Vec<Value> = cards
        .iter()
        .map(|card| {
            let path = crate::export::file_path(card).to_string_lossy().replace('\\', "/");
            json!({"slug": card.slug, "path": path, "markdown": verity_content::to_markdown(&crate::export::draft_of(card))})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"total": total, "files": files})))
}
