//! One reconcile run: where it is in the token ring and what it found, as stored in
//! `reconcile_runs` after every page.

use crate::model::ReconcileRun;
use crate::server::audit::time::{format_time, new_timeuuid, time_of};
use scylla::value::CqlTimeuuid;
use scylla::{DeserializeRow, SerializeRow};
use uuid::Uuid;

/// `reconcile_runs` is one small partition, newest run first.
pub const RUNS_BUCKET: i32 = 0;

/// A run's row in `reconcile_runs`.
#[derive(DeserializeRow, SerializeRow)]
pub struct RunRow {
    pub run: CqlTimeuuid,
    pub next_token: Option<i64>,
    pub scanned: Option<i64>,
    pub claimed: Option<i64>,
    pub duplicate_emails: Option<i64>,
    pub not_emails: Option<i64>,
    pub searchable: Option<i64>,
    pub breaking_rules: Option<i64>,
    pub finished: Option<bool>,
}

/// A run in progress: where it is and what it found so far.
pub struct Run {
    pub id: Uuid,
    /// The token of the last row done; `None` before the first page.
    pub after_token: Option<i64>,
    pub scanned: i64,
    pub claimed: i64,
    pub duplicate_emails: i64,
    pub not_emails: i64,
    pub searchable: i64,
    pub breaking_rules: i64,
    pub finished: bool,
}

impl Run {
    /// A new run, from the start of the ring.
    pub fn start() -> Self {
        Run {
            id: new_timeuuid(),
            after_token: None,
            scanned: 0,
            claimed: 0,
            duplicate_emails: 0,
            not_emails: 0,
            searchable: 0,
            breaking_rules: 0,
            finished: false,
        }
    }

    pub fn summary(&self) -> ReconcileRun {
        ReconcileRun {
            id: self.id,
            started_at: format_time(time_of(self.id)),
            progress_percent: if self.finished {
                100
            } else {
                progress_percent(self.after_token)
            },
            scanned: self.scanned,
            claimed: self.claimed,
            duplicate_emails: self.duplicate_emails,
            not_emails: self.not_emails,
            searchable: self.searchable,
            breaking_rules: self.breaking_rules,
            finished: self.finished,
        }
    }

    pub fn row(&self) -> RunRow {
        RunRow {
            run: CqlTimeuuid::from(self.id),
            next_token: self.after_token,
            scanned: Some(self.scanned),
            claimed: Some(self.claimed),
            duplicate_emails: Some(self.duplicate_emails),
            not_emails: Some(self.not_emails),
            searchable: Some(self.searchable),
            breaking_rules: Some(self.breaking_rules),
            finished: Some(self.finished),
        }
    }
}

impl From<RunRow> for Run {
    fn from(row: RunRow) -> Self {
        Run {
            id: Uuid::from(row.run),
            after_token: row.next_token,
            scanned: row.scanned.unwrap_or_default(),
            claimed: row.claimed.unwrap_or_default(),
            duplicate_emails: row.duplicate_emails.unwrap_or_default(),
            not_emails: row.not_emails.unwrap_or_default(),
            searchable: row.searchable.unwrap_or_default(),
            breaking_rules: row.breaking_rules.unwrap_or_default(),
            finished: row.finished.unwrap_or_default(),
        }
    }
}

/// How far through the token ring (Murmur3: all of i64) a run is.
fn progress_percent(after_token: Option<i64>) -> u8 {
    let Some(token) = after_token else { return 0 };
    let done = i128::from(token) - i128::from(i64::MIN);
    (done * 100 / (1i128 << 64)).clamp(0, 99) as u8
}
