//! The one error type that server functions return and the UI shows.

use crate::model::{Role, User};
use crate::validate::FieldErrors;
use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::Bytes;
use leptos::server_fn::Encodes;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Everything that can go wrong in a request, in words meant for the person using the app.
/// Database details never get in here: they are logged on the server instead.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please correct the highlighted fields.")]
    Invalid { fields: FieldErrors },
    #[error("That email is already in use")]
    EmailTaken,
    #[error("No such user; it may have been deleted.")]
    NotFound,
    /// A save or delete against values that are no longer the user's; `current` is what it holds.
    #[error("Someone changed this user since you opened it")]
    Conflict { current: User },
    #[error("The database is unavailable — nothing was saved. Try again in a moment.{}", quoted(.reference))]
    Unavailable {
        /// The request's id, for the person to quote (the server logged the cause under it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    #[error("The request was malformed: {detail}")]
    BadRequest { detail: String },
    #[error("The request is larger than this endpoint takes ({} at most).", in_units(*.limit_bytes))]
    TooLarge { limit_bytes: usize },
    #[error("That is {given} at once; at most {limit} are taken in one request.")]
    TooMany { limit: usize, given: usize },
    #[error("Requests from other sites are not accepted.")]
    CrossSite,
    #[error("This method is not allowed here; the API takes POST requests.")]
    MethodNotAllowed,
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("This needs the {needed} role; you are signed in as {yours}.")]
    Forbidden { needed: Role, yours: Role },
    #[error("Wrong username or password.")]
    WrongCredentials,
    #[error("Too many failed sign-ins for this username: it is locked for {minutes} more minute(s). Try again later.")]
    LockedOut { minutes: u32 },
    #[error("An administrator already exists; sign in instead.")]
    SetupDone,
    #[error("That username is already taken.")]
    UsernameTaken,
    #[error("Could not reach the server. Check your connection and try again.")]
    Network,
    /// The uploaded file cannot be imported at all (nothing was written); the message says why.
    #[error("{message}")]
    ImportRefused { message: String },
    #[error("No such import; the Import page lists those of this month and the last.")]
    NoSuchImport,
    /// The import is not in a state that allows this (started already, finished, ...).
    #[error("{message}")]
    ImportNotNow { message: String },
    /// What was asked cannot be done now; the message says why and what to do.
    #[error("{message}")]
    Refused { message: String },
    #[error("This server requires a second factor: add an authenticator app on the Security page (/security) first.")]
    SecondFactorRequired,
    /// Only a person whose sign-in passed a second factor may do this (create API tokens).
    #[error("{what} needs a sign-in with a second factor: add an authenticator app or a passkey on the Security page (/security), or sign in with single sign-on.")]
    NeedsSecondFactor { what: String },
    #[error("Something went wrong on the server; it has been logged.{}", quoted(.reference))]
    Internal {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
}

/// " (reference: ID)" after a message, when the server said which request it was.
fn quoted(reference: &Option<String>) -> String {
    reference
        .as_deref()
        .map(|id| format!(" (reference: {id})"))
        .unwrap_or_default()
}

/// `16384` → "16 KiB", `67108864` → "64 MiB", `1000` → "1000 bytes".
pub fn in_units(bytes: usize) -> String {
    const UNITS: [(usize, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes % size == 0 {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

impl AppError {
    pub fn unavailable() -> Self {
        AppError::Unavailable { reference: None }
    }

    pub fn internal() -> Self {
        AppError::Internal { reference: None }
    }

    /// The error, quoting the id of the request it answers where it is the server's own failure.
    pub fn with_reference(self, id: &str) -> Self {
        match self {
            AppError::Unavailable { .. } => AppError::Unavailable {
                reference: Some(id.to_owned()),
            },
            AppError::Internal { .. } => AppError::Internal {
                reference: Some(id.to_owned()),
            },
            other => other,
        }
    }

    pub fn invalid_email(message: impl Into<String>) -> Self {
        AppError::Invalid {
            fields: FieldErrors::one("email", message),
        }
    }

    /// The messages this error puts next to form fields (none for a banner error).
    pub fn field_errors(&self) -> FieldErrors {
        match self {
            AppError::Invalid { fields } => fields.clone(),
            AppError::EmailTaken => FieldErrors::one("email", self.to_string()),
            AppError::UsernameTaken => FieldErrors::one("username", self.to_string()),
            _ => FieldErrors::default(),
        }
    }

    /// The message for one form field (by its `name`), if this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.field_errors().get(field)
    }

    /// Whether the error belongs next to a field (true) or in a banner (false).
    pub fn is_about_fields(&self) -> bool {
        matches!(
            self,
            AppError::Invalid { .. } | AppError::EmailTaken | AppError::UsernameTaken
        )
    }

    /// The HTTP status a script sees for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Unauthenticated | AppError::WrongCredentials => 401,
            AppError::CrossSite
            | AppError::Forbidden { .. }
            | AppError::SecondFactorRequired
            | AppError::NeedsSecondFactor { .. } => 403,
            AppError::NotFound | AppError::NoSuchImport => 404,
            AppError::MethodNotAllowed => 405,
            AppError::EmailTaken
            | AppError::Conflict { .. }
            | AppError::SetupDone
            | AppError::UsernameTaken
            | AppError::ImportNotNow { .. }
            | AppError::Refused { .. } => 409,
            AppError::TooLarge { .. } => 413,
            AppError::Invalid { .. }
            | AppError::TooMany { .. }
            | AppError::ImportRefused { .. } => 422,
            AppError::LockedOut { .. } => 429,
            AppError::Internal { .. } => 500,
            AppError::Network | AppError::Unavailable { .. } => 503,
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(fields: FieldErrors) -> Self {
        AppError::Invalid { fields }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            // The request's arguments could not be decoded: a client mistake.
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                AppError::BadRequest {
                    detail: plain_decode_message(&detail),
                }
            }
            // On the server, these mean the request body could not be read or was not text;
            // in the browser, that the server's answer could not be fetched or read.
            ServerFnErrorErr::Deserialization(detail) | ServerFnErrorErr::Request(detail) => {
                if cfg!(feature = "ssr") {
                    AppError::BadRequest {
                        detail: plain_decode_message(&detail),
                    }
                } else {
                    AppError::Network
                }
            }
            _ => AppError::internal(),
        }
    }

    /// On the server, an error that is the server's own failure quotes the request it answers,
    /// whichever way it reaches the browser: a JSON answer, or the page a form post returns to.
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        let quoted = REQUEST_REFERENCE
            .try_with(|id| self.clone().with_reference(id))
            .ok();
        #[cfg(not(feature = "ssr"))]
        let quoted: Option<AppError> = None;
        JsonEncoding::encode(quoted.as_ref().unwrap_or(self)).unwrap_or_default()
    }
}

#[cfg(feature = "ssr")]
tokio::task_local! {
    /// The id of the request being answered, around each request (`server::web::request_log`).
    pub static REQUEST_REFERENCE: String;
}

/// serde_qs explains decode failures well but verbosely; keep the first line.
fn plain_decode_message(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or(message).trim();
    if first_line.is_empty() {
        "a field is missing or has the wrong type".into()
    } else {
        first_line.into()
    }
}
