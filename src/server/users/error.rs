//! What can go wrong with a user.

use crate::model::User;
use crate::server::cassandra::error::driver_errors_become;
use crate::server::cassandra::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("the email is claimed by another user")]
    EmailTaken,
    #[error("no such user")]
    NotFound,
    /// The user changed since the person opened it; these are its values now.
    #[error("the user changed since it was opened")]
    Conflict(User),
    /// Every try of a transaction found the email claims changed again meanwhile.
    #[error("the email claims kept changing")]
    ClaimsKeptChanging,
    /// The user's email as stored (written by another client) is not a valid address.
    #[error("the user's stored email is not a valid address")]
    StoredEmailInvalid,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

driver_errors_become!(UserError);
