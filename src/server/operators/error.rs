//! What can go wrong with operators, their tokens, sign-ins and sessions.

use super::passwords::HashError;
use crate::server::cassandra::error::driver_errors_become;
use crate::server::cassandra::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("the username is taken")]
    UsernameTaken,
    #[error("an operator exists already")]
    SetupDone,
    #[error("no such operator or token")]
    NotFound,
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failed sign-ins for the username: refused for this many more minutes.
    #[error("the username is locked for {minutes} more minute(s)")]
    LockedOut { minutes: u32 },
    /// No `SECRETS_KEY_FILE`: authenticator apps' secrets cannot be sealed or opened.
    #[error("no key to seal secrets with")]
    NoSecretsKey,
    #[error("the operator has an authenticator app already")]
    AuthenticatorExists,
    #[error("no authenticator app is being added")]
    NoAuthenticatorBeingAdded,
    /// The stored secret does not open with this key (the key changed, or the row did).
    #[error("the authenticator app's secret does not open with this key")]
    SecretNotReadable,
    #[error("the code is not right")]
    WrongCode,
    #[error("the code was used already")]
    CodeAlreadyUsed,
    #[error("an operator has at most 10 passkeys")]
    TooManyPasskeys,
    /// The browser's answer to a passkey ceremony did not pass its checks.
    #[error("the passkey was refused: {0}")]
    PasskeyRefused(String),
    #[error(transparent)]
    Hashing(#[from] HashError),
    /// A session's data could not be written or read as JSON.
    #[error("session data")]
    SessionData(#[source] serde_json::Error),
    /// Every id drawn for a new session was taken (random ids: only a broken generator).
    #[error("no free session id in {0} tries")]
    NoFreeSessionId(u32),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

driver_errors_become!(OperatorError);
