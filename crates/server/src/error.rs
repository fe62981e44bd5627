//! The one place that turns failures into HTTP answers: `{"error": {"code", "message"}}`
//! with the right status. Server-side failures are logged here, once.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use verity_index::IndexError;
use verity_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A search over one of the index's limits (length, words, nesting, ranges).
    #[error("{0}")]
    QueryTooComplex(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    /// An edit based on an old revision; carries the head so the client can merge.
    #[error("{message}")]
    Conflict { message: String, rev: i32, body: String },
    /// Two writers raced for the same unique name or revision.
    #[error("{0}")]
    Duplicate(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unavailable(String),
    /// Too many failed sign-ins: try again after `retry_after` seconds.
    #[error("too many failed sign-ins; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::QueryTooComplex(_) => "query_too_complex",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict { .. } | ApiError::Duplicate(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Invalid(_) => "invalid_input",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::QueryTooComplex(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::Duplicate(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            ApiError::Unavailable(detail) => tracing::warn!(error = %detail, "service unavailable"),
            _ => {}
        }
        let error = json!({"code": self.code(), "message": self.to_string()});
        let body = match self {
            ApiError::Conflict { rev, body, .. } => {
                json!({"error": error, "current": {"rev": rev, "body": body}})
            }
            _ => json!({"error": error}),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::TooManyRequests { retry_after } = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, retry_after.to_string()));
        }
        response.json(body)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::AlreadyExists(what) => ApiError::Invalid(format!("{what} already exists")),
            // The handler that can, re-reads the head and answers with it; this is the fallback.
            StoreError::Conflict { base, head } => ApiError::Conflict {
                message: format!("the card changed since revision {base}; it is now at revision {head}"),
                rev: head,
                body: String::new(),
            },
            StoreError::Unavailable(detail) => ApiError::Unavailable(detail),
            StoreError::Duplicate(_) => {
                ApiError::Duplicate("someone else saved the same thing at the same moment; try again".into())
            }
            StoreError::BadValue(_) => ApiError::Invalid("text may not contain NUL characters".into()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<IndexError> for ApiError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::QueryTooComplex(too_complex) => ApiError::QueryTooComplex(too_complex.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Maps actix's own extractor failures (bad JSON, oversized bodies, bad query strings)
/// to our JSON errors, so nothing a client sends ends in a bare text answer.
pub mod extractors {
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
    use actix_web::{HttpRequest, web};

    use super::ApiError;

    /// Request bodies are read up to four times the card limit, so a card that is merely
    /// too long is refused by validation with a clean 413 after its body was read; only
    /// bigger bodies are cut off before reading (and the connection closed).
    pub fn json_limit() -> usize {
        4 * verity_core::max_card_bytes()
    }

    pub fn json_config() -> web::JsonConfig {
        web::JsonConfig::default().limit(json_limit()).error_handler(|err, _req: &HttpRequest| {
            let api = match &err {
                JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                    ApiError::PayloadTooLarge(format!("the request body is larger than {limit} bytes"))
                }
                JsonPayloadError::ContentType => {
                    ApiError::UnsupportedMediaType("send JSON with Content-Type: application/json".into())
                }
                JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::Invalid(format!("invalid request: {e}")),
                JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("malformed JSON: {e}")),
                other => ApiError::BadRequest(other.to_string()),
            };
            api.into()
        })
    }

    pub fn form_config() -> web::FormConfig {
        web::FormConfig::default().limit(json_limit()).error_handler(|err, _req: &HttpRequest| {
            let api = match &err {
                UrlencodedError::Overflow { .. } => ApiError::PayloadTooLarge(err.to_string()),
                _ => ApiError::BadRequest(format!("invalid form: {err}")),
            };
            api.into()
        })
    }

    pub fn query_config() -> web::QueryConfig {
        web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
            ApiError::BadRequest(format!("invalid query string: {err}")).into()
        })
    }

    pub fn path_config() -> web::PathConfig {
        web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
            ApiError::NotFound(format!("no such resource: {err}")).into()
        })
    }
}
