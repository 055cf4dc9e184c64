//! How large a request body may be: small for every form, larger for a bulk delete (a row per
//! user), `IMPORT_MAX_BYTES` for an import's file. A body over its limit is refused with 413 and
//! a message naming the limit, before or while it is read.

use super::errors::error_response;
use crate::error::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::Limited;

/// A user form is a few hundred bytes.
pub const FORM_BODY_BYTES: usize = 16 * 1024;
/// 500 users, each with its id and the name and email the page showed, percent-encoded.
pub const BULK_BODY_BYTES: usize = 1024 * 1024;
/// Where an import's file is uploaded.
pub const IMPORT_UPLOAD_PATH: &str = "/api/imports";

/// The limits that depend on configuration.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub import_bytes: usize,
}

/// The limit of the current request's body, for the layers and handlers inside.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

impl BodyLimits {
    /// The limit of the body of a request to `path`.
    pub fn of(&self, path: &str) -> usize {
        match path {
            "/api/users/delete-many" => BULK_BODY_BYTES,
            IMPORT_UPLOAD_PATH => self.import_bytes,
            _ => FORM_BODY_BYTES,
        }
    }
}

pub async fn limit_request_bodies(
    State(limits): State<BodyLimits>,
    mut request: Request,
    next: Next,
) -> Response {
    let limit = limits.of(request.uri().path());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return error_response(&AppError::TooLarge { limit_bytes: limit });
    }
    request.extensions_mut().insert(BodyLimit(limit));
    let (parts, body) = request.into_parts();
    let body = Body::new(Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// Whether reading a body failed because it passed its limit (a body sent without a length).
pub fn is_over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(inner) = cause {
        if inner.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = inner.source();
    }
    false
}
