//! A CSV file as an HTTP answer: `text/csv; charset=utf-8`, to be saved under `file_name`, its
//! body streamed as it is made. An error midway ends the body early, so the client sees a broken
//! download rather than a short file that looks complete.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;

pub fn csv_download<E>(
    file_name: &str,
    pieces: impl Stream<Item = Result<Vec<u8>, E>> + Send + 'static,
) -> Response
where
    E: std::error::Error + Send + Sync + 'static,
{
    let disposition = format!("attachment; filename=\"{file_name}\"");
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition)
                .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
        ),
        // Every download is made now, from what is stored now.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (StatusCode::OK, headers, Body::from_stream(pieces)).into_response()
}
