//! One import job as `import_jobs` holds it, and what the app makes of it: its state, its
//! counts, and the job as the pages show it.

use crate::model::{ImportJob, ImportMode, ImportState};
use crate::server::audit::time::time_of;
use scylla::value::CqlTimeuuid;
use scylla::DeserializeRow;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// What a job's rows came to so far, by what happened to them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: i32,
    pub updated: i32,
    pub skipped: i32,
    pub failed: i32,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.created += other.created;
        self.updated += other.updated;
        self.skipped += other.skipped;
        self.failed += other.failed;
    }
}

/// What the check of a job's rows found so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub rows: i32,
    pub new_rows: i32,
    pub existing_rows: i32,
    /// Rows the check refused (an id that is there with other values).
    pub refused: i32,
}

impl Checked {
    pub fn add(&mut self, other: Checked) {
        self.rows += other.rows;
        self.new_rows += other.new_rows;
        self.existing_rows += other.existing_rows;
        self.refused += other.refused;
    }
}

/// A newly uploaded file, before its check.
pub struct NewJob<'a> {
    pub id: Uuid,
    pub file_name: &'a str,
    pub mode: ImportMode,
    pub operator: &'a str,
    /// Rows in the file, rows refused already while reading it, and chunks of the rest.
    pub rows: i32,
    pub last_line: i32,
    pub invalid: i32,
    pub chunks: i32,
}

/// A job as stored.
#[derive(Clone, Debug, DeserializeRow)]
pub struct JobRow {
    pub job: CqlTimeuuid,
    pub file_name: Option<String>,
    pub mode: Option<String>,
    pub state: Option<String>,
    pub message: Option<String>,
    pub operator: Option<String>,
    pub started_by: Option<String>,
    pub rows: Option<i32>,
    pub last_line: Option<i32>,
    pub invalid: Option<i32>,
    pub chunks: Option<i32>,
    pub checked_chunks: Option<i32>,
    pub checked: Option<i32>,
    pub new_rows: Option<i32>,
    pub existing_rows: Option<i32>,
    pub refused: Option<i32>,
    pub next_chunk: Option<i32>,
    pub created: Option<i32>,
    pub updated: Option<i32>,
    pub skipped: Option<i32>,
    pub failed: Option<i32>,
    pub uploaded_at: Option<OffsetDateTime>,
    pub started_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

pub(super) const COLUMNS: &str = "job, file_name, mode, state, message, operator, started_by, rows, last_line, invalid, chunks, checked_chunks, checked, new_rows, existing_rows, refused, next_chunk, created, updated, skipped, failed, uploaded_at, started_at, updated_at";

impl JobRow {
    pub fn id(&self) -> Uuid {
        Uuid::from(self.job)
    }

    pub fn state(&self) -> ImportState {
        self.state
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(ImportState::Failed)
    }

    pub fn mode(&self) -> ImportMode {
        self.mode
            .as_deref()
            .and_then(|m| m.parse().ok())
            .unwrap_or_default()
    }

    /// The last line of the file that holds a row.
    pub fn last_line(&self) -> i32 {
        self.last_line.unwrap_or(0)
    }

    pub fn chunks(&self) -> i32 {
        self.chunks.unwrap_or(0)
    }

    pub fn checked_chunks(&self) -> i32 {
        self.checked_chunks.unwrap_or(0)
    }

    pub fn next_chunk(&self) -> i32 {
        self.next_chunk.unwrap_or(0)
    }

    pub fn checked_so_far(&self) -> Checked {
        Checked {
            rows: self.checked.unwrap_or(0),
            new_rows: self.new_rows.unwrap_or(0),
            existing_rows: self.existing_rows.unwrap_or(0),
            refused: self.refused.unwrap_or(0),
        }
    }

    /// What the import did so far, without the rows refused while reading the file.
    pub fn counts(&self) -> Counts {
        Counts {
            created: self.created.unwrap_or(0),
            updated: self.updated.unwrap_or(0),
            skipped: self.skipped.unwrap_or(0),
            failed: self.failed.unwrap_or(0),
        }
    }

    /// Who the rows' audit events name: whoever started the import.
    pub fn started_by(&self) -> String {
        self.started_by
            .clone()
            .or_else(|| self.operator.clone())
            .unwrap_or_default()
    }

    /// The job as the page and the API show it, with its pace.
    pub fn summary(&self) -> ImportJob {
        let count = |n: Option<i32>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
        let invalid = count(self.invalid);
        let counts = self.counts();
        let (created, updated, skipped) = (
            count(Some(counts.created)),
            count(Some(counts.updated)),
            count(Some(counts.skipped)),
        );
        let failed = invalid + count(Some(counts.failed));
        let state = self.state();
        let rows = count(self.rows);
        // Rows refused while reading the file count as done once the import runs.
        let done = if self.started_at.is_some() {
            created + updated + skipped + failed
        } else {
            0
        };
        let elapsed = match (self.started_at, self.updated_at) {
            (Some(start), Some(last)) => (last - start).as_seconds_f64(),
            _ => 0.0,
        };
        let worked = created + updated + skipped + count(Some(counts.failed));
        let rows_per_second = (elapsed >= 1.0 && worked > 0).then(|| worked as f64 / elapsed);
        let seconds_left = rows_per_second
            .filter(|_| state == ImportState::Running)
            .map(|rate| (rows.saturating_sub(done) as f64 / rate).ceil() as u64);
        let format = |at: Option<OffsetDateTime>| at.and_then(|t| t.format(&Rfc3339).ok());
        ImportJob {
            id: self.id(),
            file_name: self.file_name.clone().unwrap_or_default(),
            mode: self.mode(),
            state,
            message: self.message.clone(),
            operator: self.operator.clone().unwrap_or_default(),
            rows,
            checked: invalid + count(self.checked),
            new_rows: count(self.new_rows),
            existing_rows: count(self.existing_rows),
            invalid_rows: invalid + count(self.refused),
            created,
            updated,
            skipped,
            failed,
            done,
            uploaded_at: format(self.uploaded_at),
            started_at: format(self.started_at),
            updated_at: format(self.updated_at),
            rows_per_second,
            seconds_left,
        }
    }
}

/// The month a job was uploaded in (`202612`): its partition of `import_jobs`.
pub(super) fn month_of(job: Uuid) -> i32 {
    let at = time_of(job);
    at.year() * 100 + i32::from(u8::from(at.month()))
}

/// The month before `month`.
pub(super) fn month_before(month: i32) -> i32 {
    if month % 100 == 1 {
        (month / 100 - 1) * 100 + 12
    } else {
        month - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_back_over_the_new_year() {
        assert_eq!(month_before(202612), 202611);
        assert_eq!(month_before(202701), 202612);
    }
}
