//! Cross-site request forgery: a post that the browser authenticates with the session
//! cookie must also carry the session's CSRF token, as the `csrf_token` form field (every
//! form has it) or the `X-CSRF-Token` header (the scripts send it). Requests that a
//! Bearer token authenticates carry no cookie-borne authority and need none.
//!
//! Sign-in posts have no session yet, so they are checked by where they come from
//! instead (login CSRF: another site signing the browser in to an account of its
//! choosing): refused when the browser says `Sec-Fetch-Site: cross-site` or sends an
//! `Origin` that is not this site's. Scripts send neither and are not affected.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::StreamExt;

use crate::auth::{self, CSRF_FIELD, CSRF_HEADER, Presented};
use crate::error::ApiError;
use crate::state::AppState;

/// Where people sign in: no session yet, so no CSRF token either.
const SIGN_IN: [&str; 2] = ["/login", "/api/v1/auth/login"];

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if is_sign_in(&req) {
        if from_another_site(&req) {
            let error = ApiError::Forbidden("sign-in forms posted from another site are refused; sign in on this site");
            return Ok(req.into_response(error.error_response()).map_into_right_body());
        }
    } else if let Some(expected) = expected_token(&req) {
        let sent_header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let ok = match sent_header {
            Some(sent) => constant_time_eq(&sent, &expected),
            None => form_token_matches(&mut req, &expected).await?,
        };
        if !ok {
            let error = ApiError::Forbidden("the form is missing its security token; reload the page and try again");
            return Ok(req.into_response(error.error_response()).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

fn is_sign_in(req: &ServiceRequest) -> bool {
    req.method() == Method::POST && SIGN_IN.contains(&req.path())
}

/// Does the browser say this post comes from a page of another site?
fn from_another_site(req: &ServiceRequest) -> bool {
    let header = |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap_or_default());
    if header("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = header("origin") else { return false };
    let own =
        req.app_data::<web::Data<AppState>>().is_some_and(|state| state.site.is_own_origin(origin, req.request()));
    !own
}

/// The token this request must carry, if it is a change that the session cookie
/// authenticates (decided as `auth` decides which credential counts).
fn expected_token(req: &ServiceRequest) -> Option<String> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let Some(Presented::Cookie(cookie)) = auth::presented_credential(req.request()) else { return None };
    let state = req.app_data::<web::Data<AppState>>()?;
    Some(state.tokens.csrf_for(&cookie))
}

/// Reads a form body for its `csrf_token`, then puts the body back for the handler.
async fn form_token_matches(req: &mut ServiceRequest, expected: &str) -> Result<bool, actix_web::Error> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(false);
    }
    // Percent-encoding can triple a card's size.
    let limit = verity_core::max_card_bytes() * 3 + 64 * 1024;
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(format!("forms are limited to {limit} bytes")).into());
        }
        body.extend_from_slice(&chunk);
    }
    let body: Bytes = body.freeze();
    let found = form_urlencoded_value(&body, CSRF_FIELD);
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(found.is_some_and(|sent| constant_time_eq(&sent, expected)))
}

fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_found_among_form_fields() {
        assert_eq!(form_urlencoded_value(b"a=1&csrf_token=abc%20d&b=2", CSRF_FIELD).as_deref(), Some("abc d"));
        assert_eq!(form_urlencoded_value(b"a=1", CSRF_FIELD), None);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
