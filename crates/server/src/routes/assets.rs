//! `web/` is embedded in the binary and served under `/static/`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use rust_embed::RustEmbed;

use crate::routes::table::Routes;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Web;

pub fn configure(routes: &mut impl Routes) {
    routes.get("/static/{path:.*}", asset);
}

async fn asset(path: web::Path<String>) -> HttpResponse {
    match Web::get(&path) {
        Some(file) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, file.metadata.mimetype()))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(file.data.into_owned()),
        None => HttpResponse::NotFound().finish(),
    }
}
