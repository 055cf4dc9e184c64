use crate::server::cassandra::error::driver_errors_become;
use crate::server::cassandra::StorageError;
use crate::server::users::UserError;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("a reconcile run is already under way")]
    AlreadyRunning,
    /// The server is stopping: the run stopped after its last page, whose position it saved.
    #[error("the server is stopping; reconcile continues where it was when it is started again")]
    Stopped,
    #[error(transparent)]
    Users(#[from] UserError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

driver_errors_become!(ReconcileError);
