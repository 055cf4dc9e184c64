//! Walks the whole `users` table in token order, gives every row written outside the app the
//! claim on its email, and lists the emails that several rows share, for a person to resolve.
//!
//! A run keeps its position (the last token done) and its counts in `reconcile_runs` after every
//! page, so a run that was stopped continues where it was; what it finds is kept per run
//! (`findings`). One server runs it at a time: the one holding the reconcile lease.

use super::error::ReconcileError;
use super::findings::{Findings, RULE_BREAKERS_KEPT};
use super::run::{Run, RunRow, RUNS_BUCKET};
use crate::model::{ReconcileRun, ReconcileStatus};
use crate::server::audit::Actor;
use crate::server::cassandra::lease::{Lease, Leases};
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::{plain, use_accord_levels};
use crate::server::config::Keyspace;
use crate::server::telemetry::{RECONCILE_PAGES, RECONCILE_RUNNING};
use crate::server::users::rows::UserRow;
use crate::server::users::{RowReconciled, UserStore};
use crate::validate::validate_user;
use futures_util::future::try_join_all;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::DeserializeRow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Rows read per page; each page is one query, then its rows are checked concurrently.
const PAGE_ROWS: i32 = 200;
const ROWS_AT_ONCE: usize = 16;

/// A row of `users` with its token, the position a run keeps.
#[derive(DeserializeRow)]
struct TokenedUser {
    ring_token: i64,
    id: Uuid,
    name: Option<String>,
    email: Option<String>,
}

impl TokenedUser {
    fn row(&self) -> UserRow {
        UserRow {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
        }
    }
}

struct Statements {
    rows_from: PreparedStatement,
    latest_run: PreparedStatement,
    save_run: PreparedStatement,
}

pub struct Reconciler {
    session: Arc<Session>,
    statements: Statements,
    findings: Findings,
    users: Arc<UserStore>,
    /// One run at a time in this process (the admin button starts it in the background)...
    running: AtomicBool,
    /// ...and among all the app servers: the run's server holds this lease while it runs.
    leases: Leases,
    /// This server, as the holder of the lease.
    owner: Uuid,
    /// Cancelled when the server stops: a run ends after the page it is on.
    stopping: CancellationToken,
}

impl Reconciler {
    /// `lease`: how long a run stays with a server that stopped renewing it (`JOB_LEASE`).
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        users: Arc<UserStore>,
        lease: Duration,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let mut rows_from = plain(
            &session,
            format!("SELECT token(id) AS ring_token, id, name, email FROM {ks}.users WHERE token(id) > ? LIMIT ?"),
        )
        .await?;
        // `users` takes part in Accord, which answers QUORUM reads only.
        if users.uses_transactions() {
            use_accord_levels(&mut rows_from);
        }
        let statements = Statements {
            rows_from,
            latest_run: plain(&session, format!("SELECT run, next_token, scanned, claimed, duplicate_emails, not_emails, searchable, breaking_rules, finished FROM {ks}.reconcile_runs WHERE bucket = {RUNS_BUCKET} LIMIT 1")).await?,
            save_run: plain(&session, format!("INSERT INTO {ks}.reconcile_runs (bucket, run, next_token, scanned, claimed, duplicate_emails, not_emails, searchable, breaking_rules, finished) VALUES ({RUNS_BUCKET}, ?, ?, ?, ?, ?, ?, ?, ?, ?)")).await?,
        };
        Ok(Reconciler {
            findings: Findings::new(session.clone(), keyspace).await?,
            leases: Leases::new(
                session.clone(),
                keyspace,
                "reconcile_leases",
                "bucket",
                lease,
            )
            .await?,
            owner: Uuid::new_v4(),
            session,
            statements,
            users,
            running: AtomicBool::new(false),
            stopping: CancellationToken::new(),
        })
    }

    /// The latest run, whether a server is running one, and what that run found.
    pub async fn status(&self) -> Result<ReconcileStatus, ReconcileError> {
        let run = self.latest_run().await?;
        let (duplicates, rule_breakers) = match &run {
            Some(run) => (
                self.findings.duplicates(run.id).await?,
                self.findings.rule_breakers(run.id).await?,
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(ReconcileStatus {
            run: run.map(|run| run.summary()),
            // A lease of this server's own while it runs nothing is one a dropped run left.
            running: self.is_running()
                || self
                    .leases
                    .holder(RUNS_BUCKET)
                    .await?
                    .is_some_and(|holder| holder != self.owner),
            duplicates,
            rule_breakers,
        })
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Stops this process's run, if one is under way, once the page it is on is done and saved
    /// (a later start continues from there), and starts none from now on.
    pub async fn stop(&self) {
        self.stopping.cancel();
        while self.is_running() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts a run in the background (continuing the last one if it did not finish) unless
    /// this process runs one already, and answers once the run has recorded itself, with the
    /// status then.
    pub async fn start(self: &Arc<Self>, actor: Actor) -> Result<ReconcileStatus, ReconcileError> {
        if !self.is_running() {
            let reconciler = self.clone();
            let (recorded, has_recorded) = tokio::sync::oneshot::channel();
            let mut recorded = Some(recorded);
            tokio::spawn(async move {
                let run = reconciler
                    .run(&actor, false, |_: &ReconcileRun| {
                        recorded.take().map(|recorded| recorded.send(()));
                    })
                    .await;
                match run {
                    Ok(run) => tracing::info!(
                        scanned = run.scanned,
                        claimed = run.claimed,
                        duplicate_emails = run.duplicate_emails,
                        "reconcile finished"
                    ),
                    Err(ReconcileError::AlreadyRunning) => {
                        tracing::info!("reconcile is already running on another server")
                    }
                    Err(error) => {
                        tracing::warn!(%error, "reconcile stopped; starting it again continues where it was")
                    }
                }
            });
            // An error (the sender dropped) means the run ended without recording: the status
            // then shows the previous one.
            let _ = has_recorded.await;
        }
        self.status().await
    }

    /// Runs reconcile to the end: continues the latest run if it did not finish (unless
    /// `restart`), else starts a new one. `progress` hears after every page. Refused with
    /// `AlreadyRunning` while this process runs one.
    pub async fn run(
        &self,
        actor: &Actor,
        restart: bool,
        mut progress: impl FnMut(&ReconcileRun),
    ) -> Result<ReconcileRun, ReconcileError> {
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(ReconcileError::AlreadyRunning);
        }
        // Cleared however the run ends, a dropped future included.
        let _running = ClearOnDrop(&self.running);
        let Some(lease) = self.leases.take(RUNS_BUCKET, self.owner).await? else {
            return Err(ReconcileError::AlreadyRunning);
        };
        metrics::gauge!(RECONCILE_RUNNING).set(1);
        let outcome = self
            .run_to_the_end(actor, restart, &lease, &mut progress)
            .await;
        lease.give_up().await;
        outcome
    }

    async fn run_to_the_end(
        &self,
        actor: &Actor,
        restart: bool,
        lease: &Lease<i32>,
        progress: &mut impl FnMut(&ReconcileRun),
    ) -> Result<ReconcileRun, ReconcileError> {
        let mut run = match self.latest_run().await? {
            Some(run) if !run.finished && !restart => run,
            _ => Run::start(),
        };
        self.save(&run).await?;
        progress(&run.summary());
        loop {
            if self.stopping.is_cancelled() {
                return Err(ReconcileError::Stopped);
            }
            if !lease.is_held() {
                return Err(ReconcileError::AlreadyRunning);
            }
            let page = self.rows_after(run.after_token).await?;
            let Some(last_token) = page.last().map(|row| row.ring_token) else {
                run.finished = true;
                self.save(&run).await?;
                progress(&run.summary());
                return Ok(run.summary());
            };
            let mut outcomes = Vec::with_capacity(page.len());
            for rows in page.chunks(ROWS_AT_ONCE) {
                let checks = rows
                    .iter()
                    .map(|row| self.users.reconcile_row(row.row(), actor));
                outcomes.extend(try_join_all(checks).await?);
            }
            for (row, outcome) in page.iter().zip(outcomes) {
                if let Some(problem) = broken_rule(row) {
                    if run.breaking_rules < RULE_BREAKERS_KEPT {
                        self.findings
                            .note_rule_breaker(run.id, &row.row(), &problem)
                            .await?;
                    }
                    run.breaking_rules += 1;
                }
                run.scanned += 1;
                run.searchable += i64::from(outcome.made_searchable);
                match outcome.claim {
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
                                .findings
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
            metrics::counter!(RECONCILE_PAGES).increment(1);
            progress(&run.summary());
        }
    }

    async fn rows_after(
        &self,
        after_token: Option<i64>,
    ) -> Result<Vec<TokenedUser>, ReconcileError> {
        // Murmur3 never gives i64::MIN to a key, so "after i64::MIN" is the whole ring.
        let after = after_token.unwrap_or(i64::MIN);
        Ok(with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.rows_from, (after, PAGE_ROWS))
        })
        .await?
        .into_rows_result()?
        .rows::<TokenedUser>()?
        .collect::<Result<_, _>>()?)
    }

    async fn latest_run(&self) -> Result<Option<Run>, ReconcileError> {
        Ok(with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.latest_run, ())
        })
        .await?
        .into_rows_result()?
        .maybe_first_row::<RunRow>()?
        .map(Run::from))
    }

    async fn save(&self, run: &Run) -> Result<(), ReconcileError> {
        let row = run.row();
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.save_run, &row)
        })
        .await?;
        Ok(())
    }
}

/// What is wrong with a stored row's name or email, by the rules new values are held to (the
/// table's constraints on Cassandra 6); `None` when nothing is.
fn broken_rule(row: &TokenedUser) -> Option<String> {
    let name = row.name.as_deref().unwrap_or_default();
    let email = row.email.as_deref().unwrap_or_default();
    match validate_user(name, email) {
        Err(errors) => Some(errors.messages().join(" ")),
        // Validation trims what is typed; a stored email is checked as it is.
        Ok(_) if email != email.trim() => Some("The email has spaces around it.".into()),
        Ok(_) => None,
    }
}

struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
        metrics::gauge!(RECONCILE_RUNNING).set(0);
    }
}
