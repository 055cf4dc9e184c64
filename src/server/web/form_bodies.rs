//! Form bodies are checked before any server function decodes them: the decoder would replace
//! bytes that are not UTF-8 with U+FFFD and keep broken percent-escapes as they are, so a name
//! could be stored other than it was sent. Here such a body is a 400 that says which field.
//! (An import's file is multipart and is read by its own handler, `web::imports`.)

use super::body_limit::{is_over_limit, BodyLimit, FORM_BODY_BYTES, IMPORT_UPLOAD_PATH};
use super::errors::error_response;
use crate::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use percent_encoding::percent_decode;

/// Checks every body posted to `/api/...` (server functions read a URL-encoded form whatever the
/// `Content-Type` says); everything else passes untouched.
pub async fn reject_malformed_forms(request: Request, next: Next) -> Response {
    let is_form_post = request.method() == Method::POST
        && request.uri().path().starts_with("/api/")
        && request.uri().path() != IMPORT_UPLOAD_PATH;
    if !is_form_post {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // The body limit outside (`body_limit`) stops the read at the request's limit.
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) if is_over_limit(&error) => {
            let limit_bytes = parts
                .extensions
                .get::<BodyLimit>()
                .map_or(FORM_BODY_BYTES, |limit| limit.0);
            return error_response(&AppError::TooLarge { limit_bytes });
        }
        Err(_) => {
            let detail = "the request body could not be read".to_owned();
            return error_response(&AppError::BadRequest { detail });
        }
    };
    if let Err(detail) = check_form(&bytes) {
        return error_response(&AppError::BadRequest { detail });
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Every name and value must be well-formed percent-encoding of UTF-8 text.
pub fn check_form(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "the form is not UTF-8 text".to_owned())?;
    for pair in text.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name).map_err(|problem| format!("a field name {problem}"))?;
        decode(value).map_err(|problem| format!("the field '{name}' {problem}"))?;
    }
    Ok(())
}

fn decode(encoded: &str) -> Result<String, String> {
    let bytes = encoded.as_bytes();
    for (at, _) in encoded.match_indices('%') {
        let escape = bytes.get(at + 1..at + 3);
        if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
            let shown: String = encoded[at..].chars().take(3).collect();
            return Err(format!(
                "has '{shown}', which is not a percent-escape (%XX)"
            ));
        }
    }
    let plus_as_space = encoded.replace('+', " ");
    percent_decode(plus_as_space.as_bytes())
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| "is not valid UTF-8 once decoded".to_owned())
}

#[cfg(test)]
mod tests {
    use super::check_form;

    #[test]
    fn well_formed_forms_pass() {
        assert!(check_form(b"name=Ada+Lovelace&email=ada%40example.com").is_ok());
        assert!(check_form("name=Zo%C3%AB&x=".as_bytes()).is_ok());
        assert!(check_form(b"").is_ok());
    }

    #[test]
    fn malformed_forms_say_which_field() {
        assert_eq!(
            check_form(b"name=%FF%FE&email=a%40example.com").unwrap_err(),
            "the field 'name' is not valid UTF-8 once decoded"
        );
        assert_eq!(
            check_form(b"email=x&name=%ZZ").unwrap_err(),
            "the field 'name' has '%ZZ', which is not a percent-escape (%XX)"
        );
        assert!(check_form(b"name=abc%").is_err());
        assert_eq!(
            check_form(b"name=\xff").unwrap_err(),
            "the form is not UTF-8 text"
        );
    }
}
