//! A panic in a handler ends as that request's 500 JSON error, never as a dropped
//! connection or a dead worker. (Panics inside blocking work already come back as a
//! `BlockingError`, which the error mapping turns into a 500.) Nothing a user sends should
//! panic; this is the net under the code, logged loudly so the bug gets fixed.

use std::panic::AssertUnwindSafe;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use crate::error::ApiError;

pub async fn catch(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // (Only the method and path are kept: a clone of the request would stop actix from
    // routing it.)
    let what = format!("{} {}", req.method(), req.path());
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            // As an error, answered by the error mapping: 500 `{"error": {"code": "internal", …}}`.
            Err(ApiError::Internal(format!("{what} panicked: {cause}")).into())
        }
    }
}
