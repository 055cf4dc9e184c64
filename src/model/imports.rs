//! Import jobs as the browser and scripts see them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// What an import does with a row whose email already belongs to a user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Leave that user as it is.
    #[default]
    Skip,
    /// Give that user the row's name (its email stays as stored).
    UpdateName,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Skip => "skip",
            ImportMode::UpdateName => "update_name",
        }
    }
}

impl FromStr for ImportMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "skip" => Ok(ImportMode::Skip),
            "update_name" => Ok(ImportMode::UpdateName),
            other => Err(format!(
                "'{other}' is not a choice for an email that is in use: skip or update_name."
            )),
        }
    }
}

/// Where an import job is. `Checking` and `Running` are worked on by whichever app server holds
/// the job's lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// Uploaded; its rows are being compared with the users there are (nothing written yet).
    Checking,
    /// Checked: the preview is ready, and nothing is written until it is started.
    Previewed,
    Running,
    /// Asked to stop: it stops after the chunk it is on.
    Cancelling,
    Cancelled,
    Done,
    /// Could not go on (the message says why).
    Failed,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Checking => "checking",
            ImportState::Previewed => "previewed",
            ImportState::Running => "running",
            ImportState::Cancelling => "cancelling",
            ImportState::Cancelled => "cancelled",
            ImportState::Done => "done",
            ImportState::Failed => "failed",
        }
    }

    /// Whether a server works on a job in this state (it holds a lease meanwhile).
    pub fn is_worked_on(self) -> bool {
        matches!(
            self,
            ImportState::Checking | ImportState::Running | ImportState::Cancelling
        )
    }

    /// Whether the job is over, one way or another.
    pub fn is_over(self) -> bool {
        matches!(
            self,
            ImportState::Cancelled | ImportState::Done | ImportState::Failed
        )
    }
}

impl fmt::Display for ImportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "checking" => ImportState::Checking,
            "previewed" => ImportState::Previewed,
            "running" => ImportState::Running,
            "cancelling" => ImportState::Cancelling,
            "cancelled" => ImportState::Cancelled,
            "done" => ImportState::Done,
            "failed" => ImportState::Failed,
            other => return Err(format!("'{other}' is not an import state")),
        })
    }
}

/// An import job: what its file holds, what the preview found, and how far it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportJob {
    pub id: Uuid,
    pub file_name: String,
    pub mode: ImportMode,
    pub state: ImportState,
    /// Why it failed or was cancelled, in words for the person.
    pub message: Option<String>,
    /// Who uploaded it.
    pub operator: String,
    /// The rows of the file (lines after the header).
    pub rows: u64,
    /// Rows compared with the users there are so far (all of them once previewed).
    pub checked: u64,
    /// What the preview found: rows to create, rows whose email (or id) is there already, and
    /// rows that cannot be imported.
    pub new_rows: u64,
    pub existing_rows: u64,
    pub invalid_rows: u64,
    /// What the import did so far; invalid rows count as failed.
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Rows the import has gone through: created + updated + skipped + failed.
    pub done: u64,
    /// When it was uploaded, started, and last made progress (RFC 3339, UTC).
    pub uploaded_at: Option<String>,
    pub started_at: Option<String>,
    pub updated_at: Option<String>,
    /// Its pace while running, and the time left at that pace.
    pub rows_per_second: Option<f64>,
    pub seconds_left: Option<u64>,
}

/// A row an import could not take, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    /// The line of the file (the header is line 1).
    pub line: u64,
    pub email: String,
    pub message: String,
}

/// A job with the first problems of its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub job: ImportJob,
    /// The first `IMPORT_PROBLEMS_SHOWN` problems, by line.
    pub problems: Vec<ImportProblem>,
}

/// How many problems a preview lists; all of them are in the errors download.
pub const IMPORT_PROBLEMS_SHOWN: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_states_read_back_as_written() {
        for mode in [ImportMode::Skip, ImportMode::UpdateName] {
            assert_eq!(mode.as_str().parse::<ImportMode>(), Ok(mode));
        }
        for state in [
            ImportState::Checking,
            ImportState::Previewed,
            ImportState::Running,
            ImportState::Cancelling,
            ImportState::Cancelled,
            ImportState::Done,
            ImportState::Failed,
        ] {
            assert_eq!(state.as_str().parse::<ImportState>(), Ok(state));
        }
        assert!("overwrite"
            .parse::<ImportMode>()
            .unwrap_err()
            .contains("skip or update_name"));
    }
}
