use crate::server::cassandra::error::driver_errors_become;
use crate::server::cassandra::StorageError;
use crate::server::users::UserError;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("a reconcile run is already under way")]
    AlreadyRunning,
    #[error(transparent)]
    Users(#[from] UserError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

driver_errors_become!(ReconcileError);
