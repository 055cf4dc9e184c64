//! `reconcile`: walks the whole `users` table in token order, gives every row written outside the
//! app the claim on its email, and lists the emails that several rows share, for a person to
//! resolve.
//!
//! A run keeps its position (the last token done) and its counts in `reconcile_runs` after every
//! page, so a run that was stopped continues where it was; the rows sharing an email are kept per
//! run in `reconcile_duplicates`.

use super::audit::{new_timeuuid, Actor};
use super::config::Keyspace;
use super::db::plain;
use super::store::{decode_error, with_retries, RowReconciled, StoreError, UserStore};
use super::transactions::use_accord_levels;
use crate::model::{DuplicateEmail, ReconcileRun, ReconcileStatus, User};
use futures_util::future::try_join_all;
use futures_util::StreamExt;
use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use scylla::DeserializeRow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// Rows read per page; each page is one query, then its rows are checked concurrently.
const PAGE_ROWS: i32 = 200;
const ROWS_AT_ONCE: usize = 16;
/// `reconcile_runs` is one small partition, newest run first.
const RUNS_BUCKET: i32 = 0;

struct Statements {
    rows_from: PreparedStatement,
    latest_run: PreparedStatement,
    save_run: PreparedStatement,
    duplicate_known: PreparedStatement,
    save_duplicate: PreparedStatement,
    duplicates_of_run: PreparedStatement,
}

#[derive(DeserializeRow)]
struct RunRow {
    run: CqlTimeuuid,
    next_token: Option<i64>,
    scanned: Option<i64>,
    claimed: Option<i64>,
    duplicate_emails: Option<i64>,
    not_emails: Option<i64>,
    finished: Option<bool>,
}

/// A run in progress: where it is and what it found so far.
struct Run {
    id: Uuid,
    /// The token of the last row done; `None` before the first page.
    after_token: Option<i64>,
    scanned: i64,
    claimed: i64,
    duplicate_emails: i64,
    not_emails: i64,
    finished: bool,
}

impl Run {
    fn new() -> Self {
        Run {
            id: new_timeuuid(),
            after_token: None,
            scanned: 0,
            claimed: 0,
            duplicate_emails: 0,
            not_emails: 0,
            finished: false,
        }
    }

    fn summary(&self) -> ReconcileRun {
        ReconcileRun {
            id: self.id,
            started_at: super::audit::format_time(super::audit::time_of(self.id)),
            progress_percent: if self.finished {
                100
            } else {
                progress_percent(self.after_token)
            },
            scanned: self.scanned,
            claimed: self.claimed,
            duplicate_emails: self.duplicate_emails,
            not_emails: self.not_emails,
            finished: self.finished,
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

pub struct Reconciler {
    session: Arc<Session>,
    statements: Statements,
    /// One run at a time in this process (the admin button starts it in the background).
    running: AtomicBool,
}

impl Reconciler {
    /// `accord_tables`: `users` takes part in Accord, which answers QUORUM reads only.
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        accord_tables: bool,
    ) -> Result<Self, scylla::errors::ExecutionError> {
        let ks = keyspace.as_str();
        let mut rows_from = plain(
            &session,
            format!(
                "SELECT token(id), id, name, email FROM {ks}.users WHERE token(id) > ? LIMIT ?"
            ),
        )
        .await?;
        if accord_tables {
            use_accord_levels(&mut rows_from);
        }
        let statements = Statements {
            rows_from,
            latest_run: plain(&session, format!("SELECT run, next_token, scanned, claimed, duplicate_emails, not_emails, finished FROM {ks}.reconcile_runs WHERE bucket = {RUNS_BUCKET} LIMIT 1")).await?,
            save_run: plain(&session, format!("INSERT INTO {ks}.reconcile_runs (bucket, run, next_token, scanned, claimed, duplicate_emails, not_emails, finished) VALUES ({RUNS_BUCKET}, ?, ?, ?, ?, ?, ?, ?)")).await?,
            duplicate_known: plain(&session, format!("SELECT id FROM {ks}.reconcile_duplicates WHERE run = ? AND email = ? LIMIT 1")).await?,
            save_duplicate: plain(&session, format!("INSERT INTO {ks}.reconcile_duplicates (run, email, id, name, stored_email, age_rank) VALUES (?, ?, ?, ?, ?, ?)")).await?,
            duplicates_of_run: plain(&session, format!("SELECT email, id, name, stored_email, age_rank FROM {ks}.reconcile_duplicates WHERE run = ?")).await?,
        };
        Ok(Reconciler {
            session,
            statements,
            running: AtomicBool::new(false),
        })
    }

    /// The latest run, whether this process is running one, and the emails that run found shared.
    pub async fn status(&self) -> Result<ReconcileStatus, StoreError> {
        let run = self.latest_run().await?;
        let duplicates = match &run {
            Some(run) => self.duplicates(run.id).await?,
            None => Vec::new(),
        };
        Ok(ReconcileStatus {
            run: run.map(|run| run.summary()),
            running: self.running.load(Ordering::SeqCst),
            duplicates,
        })
    }

    /// Runs reconcile to the end: continues the latest run if it did not finish (unless
    /// `restart`), else starts a new one. `progress` hears after every page. Refused with
    /// `AlreadyRunning` while this process runs one.
    pub async fn run(
        &self,
        users: &UserStore,
        actor: &Actor,
        restart: bool,
        mut progress: impl FnMut(&ReconcileRun),
    ) -> Result<ReconcileRun, ReconcileError> {
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(ReconcileError::AlreadyRunning);
        }
        // Cleared however the run ends, a dropped future included.
        let _running = ClearOnDrop(&self.running);
        self.run_to_the_end(users, actor, restart, &mut progress)
            .await
            .map_err(ReconcileError::Store)
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    async fn run_to_the_end(
        &self,
        users: &UserStore,
        actor: &Actor,
        restart: bool,
        progress: &mut impl FnMut(&ReconcileRun),
    ) -> Result<ReconcileRun, StoreError> {
        let mut run = match self.latest_run().await? {
            Some(run) if !run.finished && !restart => run,
            _ => Run::new(),
        };
        self.save(&run).await?;
        progress(&run.summary());
        loop {
            let page = self.rows_after(run.after_token).await?;
            let Some(&(last_token, _)) = page.last() else {
                run.finished = true;
                self.save(&run).await?;
                progress(&run.summary());
                return Ok(run.summary());
            };
            let mut outcomes = Vec::with_capacity(page.len());
            for rows in page.chunks(ROWS_AT_ONCE) {
                let checks = rows
                    .iter()
                    .map(|(_, user)| users.reconcile_row(user, actor));
                outcomes.extend(try_join_all(checks).await?);
            }
            for outcome in outcomes {
                run.scanned += 1;
                match outcome {
                    RowReconciled::AlreadyClaimed => {}
                    RowReconciled::NotAnEmail => run.not_emails += 1,
                    RowReconciled::Checked {
                        email,
                        adopted,
                        sharing_the_email,
                    } => {
                        run.claimed += i64::from(adopted);
                        if !sharing_the_email.is_empty()
                            && self
                                .note_duplicates(run.id, email.as_str(), &sharing_the_email)
                                .await?
                        {
                            run.duplicate_emails += 1;
                        }
                    }
                }
            }
            run.after_token = Some(last_token);
            self.save(&run).await?;
            progress(&run.summary());
        }
    }

    /// Records the rows that share an email; says whether this run had not seen the email yet.
    async fn note_duplicates(
        &self,
        run: Uuid,
        email: &str,
        rows: &[User],
    ) -> Result<bool, StoreError> {
        let run = CqlTimeuuid::from(run);
        let known = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.duplicate_known, (run, email))
        })
        .await?
        .into_rows_result()
        .map_err(decode_error)?
        .rows_num()
            > 0;
        for (rank, user) in (0i32..).zip(rows) {
            let values = (run, email, user.id, &user.name, &user.email, rank);
            with_retries(|| {
                self.session
                    .execute_unpaged(&self.statements.save_duplicate, &values)
            })
            .await?;
        }
        Ok(!known)
    }

    async fn rows_after(&self, after_token: Option<i64>) -> Result<Vec<(i64, User)>, StoreError> {
        // Murmur3 never gives i64::MIN to a key, so "after i64::MIN" is the whole ring.
        let after = after_token.unwrap_or(i64::MIN);
        let result = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.rows_from, (after, PAGE_ROWS))
        })
        .await?;
        result
            .into_rows_result()
            .map_err(decode_error)?
            .rows::<(i64, Uuid, Option<String>, Option<String>)>()
            .map_err(decode_error)?
            .map(|row| {
                row.map(|(token, id, name, email)| {
                    let user = User {
                        id,
                        name: name.unwrap_or_default(),
                        email: email.unwrap_or_default(),
                    };
                    (token, user)
                })
                .map_err(decode_error)
            })
            .collect()
    }

    async fn latest_run(&self) -> Result<Option<Run>, StoreError> {
        let result = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.latest_run, ())
        })
        .await?;
        Ok(result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<RunRow>()
            .map_err(decode_error)?
            .map(Run::from))
    }

    async fn save(&self, run: &Run) -> Result<(), StoreError> {
        let values = (
            CqlTimeuuid::from(run.id),
            run.after_token,
            run.scanned,
            run.claimed,
            run.duplicate_emails,
            run.not_emails,
            run.finished,
        );
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.save_run, &values)
        })
        .await?;
        Ok(())
    }

    async fn duplicates(&self, run: Uuid) -> Result<Vec<DuplicateEmail>, StoreError> {
        let mut pager = self
            .session
            .execute_iter(
                self.statements.duplicates_of_run.clone(),
                (CqlTimeuuid::from(run),),
            )
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .rows_stream::<(String, Uuid, Option<String>, Option<String>, Option<i32>)>()
            .map_err(decode_error)?;
        let mut by_email: BTreeMap<String, Vec<(Option<i32>, User)>> = BTreeMap::new();
        while let Some(row) = pager.next().await {
            let (email, id, name, stored, rank) =
                row.map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let user = User {
                id,
                name: name.unwrap_or_default(),
                email: stored.unwrap_or_default(),
            };
            by_email.entry(email).or_default().push((rank, user));
        }
        Ok(by_email
            .into_iter()
            .map(|(email, mut users)| {
                users.sort_by_key(|(rank, _)| rank.unwrap_or(i32::MAX));
                let users = users.into_iter().map(|(_, user)| user).collect();
                DuplicateEmail { email, users }
            })
            .collect())
    }
}

struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("a reconcile run is already under way")]
    AlreadyRunning,
    #[error(transparent)]
    Store(#[from] StoreError),
}
