//! The answer to a plain HTML form post (JavaScript off): a redirect, so the browser shows a
//! page instead of JSON. Server functions that forms post to finish with `finish_form_post`.

use crate::error::AppError;
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::use_context;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_axum::ResponseOptions;

/// Finishes a server function that a form posts to. For a plain HTML form post (JavaScript off)
/// the browser is sent on: to `success_location` after success, or back to the form after an
/// error, with the error and what the person typed (`draft`, as `draft_<field>` query
/// parameters) so the form can show both. Scripts get the result as JSON.
pub fn finish_form_post<T>(
    result: Result<T, AppError>,
    server_fn_path: &str,
    draft: &[(&str, &str)],
    success_location: impl FnOnce(&T) -> String,
) -> Result<T, AppError> {
    let Some(response) = plain_form_post_response() else {
        return result;
    };
    let location = match &result {
        Ok(value) => Some(success_location(value)),
        Err(error) => back_to_form_with_draft(server_fn_path, error, draft),
    };
    if let Some(location) = location {
        if let Ok(location) = HeaderValue::from_str(&location) {
            let status = if result.is_ok() {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::FOUND
            };
            response.set_status(status);
            response.insert_header(header::LOCATION, location);
        }
    }
    result
}

/// Whether the current request is a plain HTML form post (JavaScript off).
pub fn is_plain_form_post() -> bool {
    plain_form_post_response().is_some()
}

/// The response of the current request, if it is a plain HTML form post.
fn plain_form_post_response() -> Option<ResponseOptions> {
    let parts = use_context::<Parts>()?;
    accepts_html(&parts.headers)
        .then(use_context::<ResponseOptions>)
        .flatten()
}

/// Whether the request is a browser's (a plain form post, JavaScript off), which wants a page
/// back rather than JSON.
pub fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// "303 See Other: go to `location`".
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The Referer with `__path`/`__err` (how Leptos carries a server function's error to the page)
/// and the draft in its query string.
fn back_to_form_with_draft(
    server_fn_path: &str,
    error: &AppError,
    draft: &[(&str, &str)],
) -> Option<String> {
    let parts = use_context::<Parts>()?;
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let mut url = url::Url::parse(referer).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| !key.starts_with("__") && !key.starts_with("draft_"))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(
            draft
                .iter()
                .map(|(field, value)| (format!("draft_{field}"), *value)),
        );
    let url = ServerFnUrlError::new(server_fn_path, error.clone())
        .to_url(url.as_str())
        .ok()?;
    Some(url.to_string())
}

/// `next` when it is a path on this site (never another site: no open redirect), else `/`.
pub fn local_page(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_page;

    #[test]
    fn next_page_stays_on_this_site() {
        assert_eq!(local_page(Some("/users/1?x=2")), "/users/1?x=2");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
        ] {
            assert_eq!(local_page(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(local_page(None), "/");
    }
}
