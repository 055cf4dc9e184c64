//! What can go wrong with an import.

use crate::model::ImportState;
use crate::server::cassandra::error::driver_errors_become;
use crate::server::cassandra::StorageError;
use crate::server::csv_files::reading::FileError;
use crate::server::users::UserError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be imported at all; nothing was written.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("no such import")]
    NoSuchJob,
    /// The job is not in a state that allows what was asked.
    #[error("the import is {state}")]
    NotNow {
        state: ImportState,
        asked: &'static str,
    },
    /// A chunk of the job's rows is gone (kept a week): the job cannot go on.
    #[error("chunk {chunk} of the import's rows is no longer stored")]
    ChunkMissing { chunk: i32 },
    /// The chunk's rows could not be read back: a bug, or a table changed by hand.
    #[error("chunk {chunk} of the import's rows could not be read")]
    ChunkUnreadable {
        chunk: i32,
        #[source]
        cause: csv::Error,
    },
    #[error(transparent)]
    Users(#[from] UserError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

driver_errors_become!(ImportError);
