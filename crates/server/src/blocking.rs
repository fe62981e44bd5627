//! The one way the server runs blocking work (a database transaction, an index read) from
//! a request: on actix's blocking pool, inside the caller's tracing span, so that what the
//! work logs carries the request's fields.

use std::future::Future;

use actix_web::error::BlockingError;

/// [`actix_web::web::block`] inside the current tracing span.
pub fn block<F, R>(work: F) -> impl Future<Output = Result<R, BlockingError>>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(work))
}
