pub mod accounts;
pub mod admin;
pub mod api;
pub mod assets;
pub mod attachments;
pub mod pages;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, extractors};

/// Every route of the application.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(extractors::json_config())
        .app_data(extractors::form_config())
        .app_data(extractors::query_config())
        .app_data(extractors::path_config())
        .route("/healthz", web::get().to(healthz))
        .service(
            web::scope("/api/v1")
                .configure(api::configure)
                .configure(accounts::configure)
                .configure(attachments::configure_api)
                .default_service(web::to(api_not_found)),
        )
        .configure(attachments::configure_pages)
        .configure(assets::configure)
        .configure(admin::configure)
        .configure(pages::configure)
        .default_service(web::to(pages::not_found));
}

async fn api_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no API route {} {}", req.method(), req.path())))
}

/// 200 when the database answers and the index can be searched.
async fn healthz(state: web::Data<crate::state::AppState>) -> HttpResponse {
    let ok = web::block(move || state.store.ping().is_ok()).await.unwrap_or(false);
    if ok { HttpResponse::Ok().body("ok") } else { HttpResponse::ServiceUnavailable().body("database unavailable") }
}
