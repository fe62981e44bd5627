//! Uploads (pasted or dropped images) and serving them. What a file is is decided by its
//! bytes, never by the client's Content-Type or name; only images are shown inline, and
//! everything is served with `nosniff` and a sandboxing Content-Security-Policy, so
//! nothing uploaded can run script in the app's origin.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;
use serde_json::json;
use verity_store::attachments;

use crate::access::Access;
use crate::auth::AuthUser;
use crate::blocking;
use crate::error::ApiError;
use crate::routes::table::Routes;
use crate::state::AppState;

/// Largest upload accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

pub fn configure_api(routes: &mut impl Routes) {
    routes.post("/attachments", api_upload);
}

pub fn configure_pages(routes: &mut impl Routes) {
    routes.get("/attachments/{reference}", serve);
}

/// The type of some bytes, and whether browsers may show it inline (images only).
pub fn sniff(bytes: &[u8]) -> (&'static str, bool) {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ("image/png", true)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        ("image/jpeg", true)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ("image/gif", true)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        ("image/webp", true)
    } else if bytes.starts_with(b"%PDF-") {
        ("application/pdf", false)
    } else {
        // SVG, HTML and everything unrecognised: a download, never rendered.
        ("application/octet-stream", false)
    }
}

async fn api_upload(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if !user.role.can_write() {
        return Err(ApiError::Forbidden("viewers cannot upload"));
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the upload: {e}")))?;
        if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
            return Err(ApiError::PayloadTooLarge(format!("uploads are limited to {MAX_ATTACHMENT_BYTES} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(ApiError::Invalid("the upload is empty".into()));
    }
    let (content_type, inline) = sniff(&bytes);
    let sha = verity_content::hash_bytes(&bytes);
    let size = bytes.len();
    let now = state.clock.now();
    let st = state.clone();
    // 128 random bits: a URL nobody can guess or count up to.
    let key = format!("{:032x}", rand::random::<u128>());
    let stored = blocking::block(move || {
        st.store.write(|c| attachments::store(c, &sha, content_type, &bytes, &user.username, now, &key))
    })
    .await??;
    Ok(HttpResponse::Created()
        .json(json!({"url": stored.url(), "content_type": content_type, "size": size, "inline": inline})))
}

/// An attachment is served to whoever uploaded it, to admins, and to whoever may read a
/// card that shows it through a grant (see [`crate::service::grant_attachments`]); to
/// anyone else it does not exist.
async fn serve(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    reference: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reference = reference.into_inner();
    let st = state.clone();
    let file = blocking::block(move || {
        st.store.read(|c| -> Result<_, ApiError> {
            let not_found = || ApiError::NotFound("attachment not found".into());
            let found = attachments::find(c, &reference)?.ok_or_else(not_found)?;
            let access = Access::load(c, &user)?;
            if !crate::service::may_read_attachment(c, &access, &found)? {
                return Err(not_found());
            }
            Ok(attachments::get(c, found.id)?)
        })
    })
    .await??;
    // Decided again from the bytes: what is stored never widens what is shown.
    let (content_type, inline) = sniff(&file.bytes);
    let disposition =
        if inline { "inline".to_owned() } else { format!("attachment; filename=\"attachment-{}\"", file.key) };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header(("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .body(file.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_images_are_inline() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), ("image/png", true));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), ("image/jpeg", true));
        assert_eq!(sniff(b"GIF89a.."), ("image/gif", true));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), ("image/webp", true));
        assert_eq!(sniff(b"%PDF-1.7"), ("application/pdf", false));
        for disguised in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            b"<html><script>",
            b"hello",
        ] {
            assert_eq!(sniff(disguised), ("application/octet-stream", false));
        }
    }
}
