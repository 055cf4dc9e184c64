//! What can go wrong talking to Cassandra, with the driver's error kept as the cause.

use crate::server::telemetry::CASSANDRA_ERRORS;
use scylla::errors::{
    DbError, DeserializationError, ExecutionError, FirstRowError, IntoRowsResultError,
    MaybeFirstRowError, NextRowError, PagerExecutionError, RequestAttemptError, RowsError,
    SingleRowError, TypeCheckError,
};

/// A request to Cassandra that did not give what it asked for.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Nodes down, timeouts, overload: worth trying again later.
    #[error("Cassandra is unavailable")]
    Unavailable(#[source] Box<ExecutionError>),
    /// The server has not connected to Cassandra yet (it connects in the background).
    #[error("not connected to Cassandra yet")]
    NotConnected,
    /// A column constraint of the table (Cassandra 6) refused a value; `message` is Cassandra's.
    #[error("a constraint of the table refused a value: {message}")]
    Constraint {
        message: String,
        #[source]
        cause: Box<ExecutionError>,
    },
    /// Cassandra refused the request for another reason: a bug or a schema mismatch.
    #[error("Cassandra refused a request")]
    Refused(#[source] Box<ExecutionError>),
    /// A paged read broke off between pages (a node went away meanwhile).
    #[error("a paged read from Cassandra broke off")]
    Paging(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The answer does not have the shape the statement asks for: a schema mismatch.
    #[error("unexpected answer from Cassandra")]
    UnexpectedAnswer(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StorageError {
    /// Whether trying again later may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StorageError::Unavailable(_) | StorageError::NotConnected | StorageError::Paging(_)
        )
    }
}

/// Every request to Cassandra that failed (after the driver's retries) becomes a `StorageError`
/// here, so this is where failures are counted, by kind.
impl From<ExecutionError> for StorageError {
    fn from(error: ExecutionError) -> Self {
        metrics::counter!(CASSANDRA_ERRORS, "kind" => error_kind(&error)).increment(1);
        if is_transient(&error) {
            return StorageError::Unavailable(Box::new(error));
        }
        match constraint_message(&error) {
            Some(message) => StorageError::Constraint {
                message,
                cause: Box::new(error),
            },
            None => StorageError::Refused(Box::new(error)),
        }
    }
}

/// Cassandra's words when a column constraint refused a write (6.0: "Value does not match
/// regular expression '…'", "Column value does not satisfy value constraint for column '…'").
fn constraint_message(error: &ExecutionError) -> Option<String> {
    let ExecutionError::LastAttemptError(RequestAttemptError::DbError(DbError::Invalid, message)) =
        error
    else {
        return None;
    };
    let refused = message.contains("does not match regular expression")
        || message.contains("does not satisfy value constraint");
    refused.then(|| message.clone())
}

/// Decoding an answer: each of the driver's decode errors means the same to us.
macro_rules! unexpected_answer_from {
    ($($error:ty),*) => {$(
        impl From<$error> for StorageError {
            fn from(error: $error) -> Self {
                StorageError::UnexpectedAnswer(Box::new(error))
            }
        }
    )*};
}
unexpected_answer_from!(
    IntoRowsResultError,
    RowsError,
    MaybeFirstRowError,
    FirstRowError,
    SingleRowError,
    DeserializationError,
    TypeCheckError
);

impl From<PagerExecutionError> for StorageError {
    fn from(error: PagerExecutionError) -> Self {
        StorageError::Paging(Box::new(error))
    }
}

impl From<NextRowError> for StorageError {
    fn from(error: NextRowError) -> Self {
        StorageError::Paging(Box::new(error))
    }
}

/// How a failed request is counted: `timeout`, `unavailable` (no node, a node refusing for
/// now) or `other`.
fn error_kind(error: &ExecutionError) -> &'static str {
    match error {
        ExecutionError::RequestTimeout(_)
        | ExecutionError::LastAttemptError(RequestAttemptError::DbError(
            DbError::ReadTimeout { .. } | DbError::WriteTimeout { .. },
            _,
        )) => "timeout",
        other if is_transient(other) => "unavailable",
        _ => "other",
    }
}

/// Nodes down, timeouts, overload: worth trying again.
pub fn is_transient(error: &ExecutionError) -> bool {
    match error {
        ExecutionError::EmptyPlan
        | ExecutionError::ConnectionPoolError(_)
        | ExecutionError::RequestTimeout(_)
        | ExecutionError::PrepareError(_)
        | ExecutionError::MetadataError(_)
        | ExecutionError::SchemaAgreementError(_) => true,
        ExecutionError::LastAttemptError(attempt) => match attempt {
            RequestAttemptError::BrokenConnectionError(_)
            | RequestAttemptError::UnableToAllocStreamId => true,
            RequestAttemptError::DbError(db, _) => matches!(
                db,
                DbError::Unavailable { .. }
                    | DbError::Overloaded
                    | DbError::IsBootstrapping
                    | DbError::ReadTimeout { .. }
                    | DbError::WriteTimeout { .. }
                    | DbError::ReadFailure { .. }
                    | DbError::WriteFailure { .. }
                    | DbError::RateLimitReached { .. }
            ),
            _ => false,
        },
        _ => false,
    }
}

/// An error and its causes in one line, for the log and the command line: "a: b: c". The
/// driver's errors already say their cause in their own text; a cause is added only when the
/// text so far does not hold it.
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}

/// Lets `?` turn the driver's errors into a domain error that has a `From<StorageError>`, so a
/// domain's code can use `?` straight on driver results.
macro_rules! driver_errors_become {
    ($domain:ty) => {
        $crate::server::cassandra::error::driver_errors_become!(
            $domain: scylla::errors::ExecutionError,
            scylla::errors::IntoRowsResultError,
            scylla::errors::RowsError,
            scylla::errors::MaybeFirstRowError,
            scylla::errors::FirstRowError,
            scylla::errors::SingleRowError,
            scylla::errors::DeserializationError,
            scylla::errors::TypeCheckError,
            scylla::errors::PagerExecutionError,
            scylla::errors::NextRowError
        );
    };
    ($domain:ty: $($error:ty),*) => {$(
        impl From<$error> for $domain {
            fn from(error: $error) -> Self {
                <$domain>::from($crate::server::cassandra::StorageError::from(error))
            }
        }
    )*};
}
pub(crate) use driver_errors_become;

#[cfg(test)]
mod tests {
    use super::describe;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("could not open a session")]
        Quiet(#[source] Inner),
        #[error("failed: {0}")]
        Saying(#[source] Inner),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Inner;

    #[test]
    fn each_cause_is_said_once() {
        assert_eq!(
            describe(&Outer::Quiet(Inner)),
            "could not open a session: connection refused"
        );
        assert_eq!(
            describe(&Outer::Saying(Inner)),
            "failed: connection refused"
        );
    }
}
