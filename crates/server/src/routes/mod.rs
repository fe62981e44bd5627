pub mod accounts;
pub mod admin;
pub mod api;
pub mod assets;
pub mod attachments;
pub mod pages;
pub mod table;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::blocking;
use crate::error::{ApiError, extractors};
use crate::routes::table::{RouteEntry, RouteList, Routes, Under};

/// Every route of the application, with the extractors' error handlers and the answers
/// for paths that match no route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(extractors::json_config())
        .app_data(extractors::form_config())
        .app_data(extractors::query_config())
        .app_data(extractors::path_config());
    add_routes(cfg);
    cfg.route(&format!("{API}/{{rest:.*}}"), web::to(api_not_found)).default_service(web::to(pages::not_found));
}

/// The JSON API's prefix.
pub const API: &str = "/api/v1";

fn add_routes(routes: &mut impl Routes) {
    routes.get("/healthz", healthz);
    let mut api = Under { routes, prefix: API };
    api::configure(&mut api);
    accounts::configure(&mut api);
    attachments::configure_api(&mut api);
    attachments::configure_pages(routes);
    assets::configure(routes);
    admin::configure(routes);
    pages::configure(routes);
}

/// Every route the application serves: method and path pattern, in the order actix tries
/// them.
pub fn table() -> Vec<RouteEntry> {
    let mut list = RouteList::default();
    add_routes(&mut list);
    list.0
}

async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no API route {} {}", req.method(), req.path())))
}

/// 200 while the database answers, 503 when it does not, with how far the index lags
/// behind the change log: `{"status", "database", "index": {"applied_seq", "latest_seq",
/// "lag"}}`. Load balancers poll it, so it stays cheap: the newest change seq (the end of
/// the primary key's index) and a number the indexer keeps in memory.
async fn healthz(state: web::Data<crate::state::AppState>) -> HttpResponse {
    // Read first, so that the lag is never negative.
    let applied = state.indexer.applied();
    let st = state.clone();
    let latest = blocking::block(move || st.store.read(verity_store::changes::last_seq))
        .await
        .map_err(|e| e.to_string())
        .and_then(|read| read.map_err(|e| e.to_string()));
    match latest {
        Ok(latest) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ok",
            "database": "ok",
            "index": {"applied_seq": applied, "latest_seq": latest, "lag": (latest - applied).max(0)},
        })),
        Err(error) => {
            tracing::warn!(%error, "health check: the database does not answer");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "status": "unavailable",
                "database": "unavailable",
                "index": {"applied_seq": applied, "latest_seq": null, "lag": null},
            }))
        }
    }
}
