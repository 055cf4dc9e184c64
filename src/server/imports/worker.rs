//! The work on import jobs, on every app server: each few seconds (and at once when this server
//! took an upload or a start) it looks at the unfinished jobs, takes the lease of one that needs
//! work, and checks or imports it a chunk at a time, recording after each chunk how far it is.
//! A job whose server died is taken over once its lease runs out, at the chunk after the last
//! one recorded.

use super::apply::RowImport;
use super::check::check_chunk;
use super::chunks::Chunks;
use super::error::ImportError;
use super::job_row::JobRow;
use super::jobs::Jobs;
use crate::model::ImportState;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::error::describe;
use crate::server::cassandra::lease::{Lease, Leases};
use crate::server::telemetry::IMPORT_CHUNKS;
use crate::server::users::UserStore;
use scylla::value::CqlTimeuuid;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How often a server looks for jobs that need work (besides when it is woken).
const LOOK_EVERY: Duration = Duration::from_secs(2);
/// A previewed job not started within this long is cancelled (its rows are kept a week).
const START_WITHIN: time::Duration = time::Duration::days(1);

pub struct Worker {
    pub jobs: Arc<Jobs>,
    pub chunks: Arc<Chunks>,
    pub users: Arc<UserStore>,
    pub audit: Arc<AuditLog>,
    pub leases: Leases,
    /// This server, as the holder of leases.
    pub owner: Uuid,
    /// Cancelled when the server stops: the chunk in progress is finished, the lease given up.
    pub stopping: CancellationToken,
    /// Cancelled when finishing that chunk takes too long: it is left unrecorded (whoever takes
    /// the job next does it again, and no row is written twice) and the lease is given up.
    pub cut_off: CancellationToken,
}

impl Worker {
    /// Looks for work until the server stops.
    pub async fn run(self: Arc<Self>, wake: Arc<Notify>) {
        while !self.stopping.is_cancelled() {
            if let Err(error) = self.work_on_unfinished().await {
                tracing::warn!(error = %describe(&error), "could not look at the import jobs; trying again");
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(LOOK_EVERY) => {}
                _ = self.stopping.cancelled() => {}
            }
        }
    }

    async fn work_on_unfinished(&self) -> Result<(), ImportError> {
        for job in self.jobs.unfinished().await? {
            if self.stopping.is_cancelled() {
                break;
            }
            let row = match self.jobs.get(job).await {
                Ok(row) => row,
                Err(ImportError::NoSuchJob) => continue,
                Err(other) => return Err(other),
            };
            let state = row.state();
            if state.is_worked_on() {
                if let Err(error) = self.work_on(job).await {
                    tracing::warn!(%job, error = %describe(&error), "an import stopped; it goes on once Cassandra answers again");
                }
            } else if state == ImportState::Previewed && not_started_in_time(&row) {
                let message = "Not started within a day of its upload: upload the file again.";
                self.jobs
                    .change_state(job, state, ImportState::Cancelled, Some(message))
                    .await?;
            }
        }
        Ok(())
    }

    /// Works on the job while it needs work and this server holds its lease. False when another
    /// server holds it.
    pub async fn work_on(&self, job: Uuid) -> Result<bool, ImportError> {
        let Some(lease) = self.leases.take(CqlTimeuuid::from(job), self.owner).await? else {
            return Ok(false);
        };
        let worked = tokio::select! {
            worked = self.work_while_held(job, &lease) => worked,
            () = self.cut_off.cancelled() => Ok(()),
        };
        lease.give_up().await;
        match worked {
            Err(
                error @ (ImportError::ChunkMissing { .. } | ImportError::ChunkUnreadable { .. }),
            ) => {
                let row = self.jobs.get(job).await?;
                let message = format!("The import cannot go on: {error}. Upload the file again; rows imported so far stay.");
                self.jobs
                    .change_state(job, row.state(), ImportState::Failed, Some(&message))
                    .await?;
                Ok(true)
            }
            other => other.map(|()| true),
        }
    }

    async fn work_while_held(
        &self,
        job: Uuid,
        lease: &Lease<CqlTimeuuid>,
    ) -> Result<(), ImportError> {
        while lease.is_held() && !self.stopping.is_cancelled() {
            let row = self.jobs.get(job).await?;
            match row.state() {
                ImportState::Checking if row.checked_chunks() < row.chunks() => {
                    self.check_next_chunk(&row).await?
                }
                ImportState::Checking => {
                    let from = ImportState::Checking;
                    self.jobs
                        .change_state(job, from, ImportState::Previewed, None)
                        .await?;
                    return Ok(());
                }
                ImportState::Running if row.next_chunk() < row.chunks() => {
                    self.import_next_chunk(&row).await?
                }
                ImportState::Running => {
                    let from = ImportState::Running;
                    if self
                        .jobs
                        .change_state(job, from, ImportState::Done, None)
                        .await?
                    {
                        self.record(&row, finished(&self.jobs.get(job).await?))
                            .await;
                    }
                    return Ok(());
                }
                ImportState::Cancelling => {
                    let done = row.summary().done;
                    let message = format!("Cancelled after {done} of {} rows.", row.summary().rows);
                    let from = ImportState::Cancelling;
                    if self
                        .jobs
                        .change_state(job, from, ImportState::Cancelled, Some(&message))
                        .await?
                    {
                        let details =
                            format!("import of {} cancelled after {done} rows", file(&row));
                        self.record(&row, details).await;
                    }
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    async fn check_next_chunk(&self, row: &JobRow) -> Result<(), ImportError> {
        let (job, number) = (row.id(), row.checked_chunks());
        let chunk = self.chunks.get(job, number).await?;
        let check = check_chunk(&self.users, &chunk.rows).await?;
        self.chunks
            .mark_checked(job, number, &check.present, &check.refused)
            .await?;
        self.chunks.save_problems(job, &check.problems).await?;
        let mut checked = row.checked_so_far();
        checked.add(check.checked);
        self.jobs.record_check(job, number + 1, checked).await?;
        metrics::counter!(IMPORT_CHUNKS, "step" => "checked").increment(1);
        Ok(())
    }

    async fn import_next_chunk(&self, row: &JobRow) -> Result<(), ImportError> {
        let (job, number) = (row.id(), row.next_chunk());
        let chunk = self.chunks.get(job, number).await?;
        let actor = Actor::named(&row.started_by());
        let import = RowImport {
            users: &self.users,
            chunks: &self.chunks,
            job,
            chunk: number,
            mode: row.mode(),
            actor: &actor,
        };
        let applied = import.apply(&chunk).await?;
        self.chunks.save_problems(job, &applied.problems).await?;
        let mut counts = row.counts();
        counts.add(applied.counts);
        self.jobs.record_progress(job, number + 1, counts).await?;
        metrics::counter!(IMPORT_CHUNKS, "step" => "imported").increment(1);
        Ok(())
    }

    async fn record(&self, row: &JobRow, details: String) {
        let actor = Actor::named(&row.started_by());
        self.audit
            .record_applied(&actor, Event::new(Action::Import, details))
            .await;
    }
}

fn not_started_in_time(row: &JobRow) -> bool {
    row.uploaded_at
        .is_some_and(|at| OffsetDateTime::now_utc() - at > START_WITHIN)
}

fn file(row: &JobRow) -> String {
    row.file_name.clone().unwrap_or_default()
}

fn finished(row: &JobRow) -> String {
    let job = row.summary();
    format!(
        "imported {}: {} created, {} updated, {} skipped, {} failed",
        job.file_name, job.created, job.updated, job.skipped, job.failed
    )
}
