//! Errors as the browser and scripts see them: every domain error becomes the one `AppError`
//! (its cause logged here, never sent), and every error response carries its status and a human
//! `message`.

use crate::error::AppError;
use crate::server::cassandra::error::describe;
use crate::server::cassandra::StorageError;
use crate::server::imports::ImportError;
use crate::server::operators::OperatorError;
use crate::server::reconcile::ReconcileError;
use crate::server::users::{constraints, UserError};
use crate::server::web::request_log::current_request_id;
use crate::validate::FieldErrors;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

impl From<StorageError> for AppError {
    fn from(error: StorageError) -> Self {
        if error.is_unavailable() {
            tracing::warn!("database unavailable: {}", describe(&error));
            AppError::unavailable()
        } else {
            tracing::error!("database error: {}", describe(&error));
            AppError::internal()
        }
    }
}

impl From<UserError> for AppError {
    fn from(error: UserError) -> Self {
        match error {
            UserError::EmailTaken => AppError::EmailTaken,
            UserError::NotFound => AppError::NotFound,
            UserError::Conflict(current) => AppError::Conflict { current },
            UserError::StoredEmailInvalid => AppError::invalid_email(
                "This user's email, as another client stored it, is not a valid address; correct it first.",
            ),
            UserError::ClaimsKeptChanging => {
                tracing::warn!("database unavailable: {error}");
                AppError::unavailable()
            }
            UserError::Storage(StorageError::Constraint { message, .. }) => {
                tracing::warn!("a constraint of the users table refused a write: {message}");
                let field = constraints::column_refused(&message).unwrap_or("name");
                AppError::Invalid {
                    fields: FieldErrors::one(
                        field,
                        format!("Cassandra refused this {field}: it breaks the table's rules for a {field}."),
                    ),
                }
            }
            UserError::Storage(error) => error.into(),
        }
    }
}

impl From<OperatorError> for AppError {
    fn from(error: OperatorError) -> Self {
        match error {
            OperatorError::UsernameTaken => AppError::UsernameTaken,
            OperatorError::SetupDone => AppError::SetupDone,
            OperatorError::NotFound => AppError::NotFound,
            OperatorError::WrongCredentials => AppError::WrongCredentials,
            OperatorError::LockedOut { minutes } => AppError::LockedOut { minutes },
            OperatorError::WrongCode => FieldErrors::one(
                "code",
                "That code is not right. Type the code your authenticator app shows now, or a recovery code.",
            )
            .into(),
            OperatorError::CodeAlreadyUsed => FieldErrors::one(
                "code",
                "That code was used already: a code works once. Wait for the next one.",
            )
            .into(),
            OperatorError::NoSecretsKey => AppError::Refused {
                message: "Authenticator apps cannot be used on this server: it has no SECRETS_KEY_FILE to seal their secrets with (see the README).".into(),
            },
            OperatorError::AuthenticatorExists => AppError::Refused {
                message: "You have an authenticator app already: remove it first to add another.".into(),
            },
            OperatorError::NoAuthenticatorBeingAdded => AppError::Refused {
                message: "No authenticator app is being added: press Add an authenticator app first.".into(),
            },
            OperatorError::SecretNotReadable => {
                tracing::error!("{}", describe(&error));
                AppError::Refused {
                    message: "Your authenticator app's secret cannot be read with this server's SECRETS_KEY_FILE (was the key changed?). An admin can reset your second factor: cassandra-users operator mfa-reset NAME.".into(),
                }
            }
            OperatorError::TooManyPasskeys => AppError::Refused {
                message: "You have 10 passkeys, the most an operator may have: remove one first.".into(),
            },
            OperatorError::PasskeyRefused(detail) => {
                tracing::info!("a passkey was refused: {detail}");
                AppError::Refused {
                    message: "The passkey was not accepted (it was cancelled, or its answer did not verify). Try again, or use a code.".into(),
                }
            }
            OperatorError::Hashing(_)
            | OperatorError::SessionData(_)
            | OperatorError::NoFreeSessionId(_) => {
                tracing::error!("{}", describe(&error));
                AppError::internal()
            }
            OperatorError::Storage(error) => error.into(),
        }
    }
}

impl From<ReconcileError> for AppError {
    fn from(error: ReconcileError) -> Self {
        match error {
            ReconcileError::Users(error) => error.into(),
            ReconcileError::Storage(error) => error.into(),
            // Only a run itself says this, and runs are started in the background: no request
            // waits for one.
            ReconcileError::AlreadyRunning => {
                tracing::error!("{error}");
                AppError::internal()
            }
            ReconcileError::Stopped => {
                tracing::warn!("{error}");
                AppError::unavailable()
            }
        }
    }
}

impl From<ImportError> for AppError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::File(error) => AppError::ImportRefused {
                message: error.to_string(),
            },
            ImportError::NoSuchJob => AppError::NoSuchImport,
            ImportError::NotNow { state, asked } => AppError::ImportNotNow {
                message: format!("The import is {state}: it cannot {asked} now."),
            },
            ImportError::Users(error) => error.into(),
            ImportError::Storage(error) => error.into(),
            ImportError::ChunkMissing { .. } | ImportError::ChunkUnreadable { .. } => {
                tracing::error!("{}", describe(&error));
                AppError::internal()
            }
        }
    }
}

/// An error as the JSON answer scripts get, with its status:
/// `{"error":"email_taken","message":"That email is already in use","reference":"…"}`.
pub fn error_response(error: &AppError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    (status, content_type, error_body(error)).into_response()
}

/// The error as JSON, plus its human-readable `message` and the request's id as its
/// `reference` (quoted in the message too when the failure is the server's).
pub fn error_body(error: &AppError) -> String {
    let reference = current_request_id();
    let error = match &reference {
        Some(id) => error.clone().with_reference(id),
        None => error.clone(),
    };
    let mut json =
        serde_json::to_value(&error).unwrap_or_else(|_| serde_json::json!({ "error": "internal" }));
    if let Some(object) = json.as_object_mut() {
        object.insert("message".into(), error.to_string().into());
        if let Some(id) = reference {
            object.insert("reference".into(), id.into());
        }
    }
    json.to_string()
}

/// server_fn answers every error with 500. This reads the `AppError` in such a response and sets
/// the status that belongs to it, so scripts can tell a typo (4xx) from an outage (503).
/// The session layers answer a bare 500 when Cassandra cannot load or save a session; that is an
/// outage too, and gets the same 503 answer as any other.
pub async fn status_from_app_error(request: Request, next: Next) -> Response {
    /// Far more than any error body; an answer larger than this is not an error body.
    const MAX_ERROR_BODY: usize = 64 * 1024;
    let response = next.run(request).await;
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if response.status() == StatusCode::METHOD_NOT_ALLOWED && bare {
        return error_response(&AppError::MethodNotAllowed);
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    if !response.headers().contains_key("serverfnerror") {
        return if bare {
            error_response(&AppError::unavailable())
        } else {
            response
        };
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return error_response(&AppError::internal());
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(error) => {
            parts.status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Response::from_parts(parts, Body::from(error_body(&error)))
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}
