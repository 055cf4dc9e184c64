//! Import jobs in Cassandra: what a file holds, the job's state, and how far it is. Every app
//! server reads the same rows, so any of them shows a job's progress; every change after the
//! first write is a lightweight transaction on what the job was, so two servers can never both
//! move it on.

use super::error::ImportError;
use super::job_row::{month_before, month_of, Checked, Counts, JobRow, NewJob, COLUMNS};
use crate::model::ImportState;
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::{lwt, plain};
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use scylla::SerializeRow;
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

/// The jobs still to be worked on (or started) are one small partition.
const UNFINISHED_BUCKET: i32 = 0;
/// The Import page lists this many of the latest jobs.
const JOBS_LISTED: i32 = 20;

#[derive(SerializeRow)]
struct InsertJob<'a> {
    month: i32,
    job: CqlTimeuuid,
    file_name: &'a str,
    mode: &'a str,
    operator: &'a str,
    rows: i32,
    last_line: i32,
    invalid: i32,
    chunks: i32,
    uploaded_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(SerializeRow)]
struct CheckProgress {
    checked_chunks: i32,
    checked: i32,
    new_rows: i32,
    existing_rows: i32,
    refused: i32,
    updated_at: OffsetDateTime,
    month: i32,
    job: CqlTimeuuid,
    expected_chunk: i32,
}

#[derive(SerializeRow)]
struct RunProgress {
    next_chunk: i32,
    created: i32,
    updated: i32,
    skipped: i32,
    failed: i32,
    updated_at: OffsetDateTime,
    month: i32,
    job: CqlTimeuuid,
    expected_chunk: i32,
}

struct Statements {
    insert: PreparedStatement,
    get: PreparedStatement,
    of_month: PreparedStatement,
    set_state: PreparedStatement,
    start: PreparedStatement,
    check_progress: PreparedStatement,
    run_progress: PreparedStatement,
    add_unfinished: PreparedStatement,
    remove_unfinished: PreparedStatement,
    unfinished: PreparedStatement,
}

pub struct Jobs {
    session: Arc<Session>,
    statements: Statements,
}

impl Jobs {
    pub async fn new(session: Arc<Session>, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            insert: lwt(&session, format!("INSERT INTO {ks}.import_jobs (month, job, file_name, mode, state, operator, rows, last_line, invalid, chunks, checked_chunks, checked, new_rows, existing_rows, refused, next_chunk, created, updated, skipped, failed, uploaded_at, updated_at) VALUES (:month, :job, :file_name, :mode, 'checking', :operator, :rows, :last_line, :invalid, :chunks, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, :uploaded_at, :updated_at) IF NOT EXISTS")).await?,
            get: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.import_jobs WHERE month = ? AND job = ?")).await?,
            of_month: plain(&session, format!("SELECT {COLUMNS} FROM {ks}.import_jobs WHERE month = ? LIMIT {JOBS_LISTED}")).await?,
            set_state: lwt(&session, format!("UPDATE {ks}.import_jobs SET state = ?, message = ?, updated_at = ? WHERE month = ? AND job = ? IF state = ?")).await?,
            start: lwt(&session, format!("UPDATE {ks}.import_jobs SET state = 'running', started_by = ?, started_at = ?, updated_at = ? WHERE month = ? AND job = ? IF state = 'previewed'")).await?,
            check_progress: lwt(&session, format!("UPDATE {ks}.import_jobs SET checked_chunks = :checked_chunks, checked = :checked, new_rows = :new_rows, existing_rows = :existing_rows, refused = :refused, updated_at = :updated_at WHERE month = :month AND job = :job IF checked_chunks = :expected_chunk")).await?,
            run_progress: lwt(&session, format!("UPDATE {ks}.import_jobs SET next_chunk = :next_chunk, created = :created, updated = :updated, skipped = :skipped, failed = :failed, updated_at = :updated_at WHERE month = :month AND job = :job IF next_chunk = :expected_chunk")).await?,
            add_unfinished: plain(&session, format!("INSERT INTO {ks}.import_unfinished (bucket, job) VALUES ({UNFINISHED_BUCKET}, ?)")).await?,
            remove_unfinished: plain(&session, format!("DELETE FROM {ks}.import_unfinished WHERE bucket = {UNFINISHED_BUCKET} AND job = ?")).await?,
            unfinished: plain(&session, format!("SELECT job FROM {ks}.import_unfinished WHERE bucket = {UNFINISHED_BUCKET} LIMIT 100")).await?,
        };
        Ok(Jobs {
            session,
            statements,
        })
    }

    /// Records an uploaded file as a job to check, and puts it on the list of unfinished jobs.
    pub async fn create(&self, new: NewJob<'_>) -> Result<(), ImportError> {
        let row = InsertJob {
            month: month_of(new.id),
            job: CqlTimeuuid::from(new.id),
            file_name: new.file_name,
            mode: new.mode.as_str(),
            operator: new.operator,
            rows: new.rows,
            last_line: new.last_line,
            invalid: new.invalid,
            chunks: new.chunks,
            uploaded_at: OffsetDateTime::now_utc(),
            updated_at: OffsetDateTime::now_utc(),
        };
        // Repeating it is safe: the job's id is new, and a second insert does not apply.
        with_retries(|| self.session.execute_unpaged(&self.statements.insert, &row)).await?;
        let job = (CqlTimeuuid::from(new.id),);
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.add_unfinished, &job)
        })
        .await?;
        Ok(())
    }

    pub async fn get(&self, job: Uuid) -> Result<JobRow, ImportError> {
        // Job ids are time-based; Cassandra would refuse any other as a timeuuid.
        if job.get_version() != Some(uuid::Version::Mac) {
            return Err(ImportError::NoSuchJob);
        }
        let key = (month_of(job), CqlTimeuuid::from(job));
        with_retries(|| self.session.execute_unpaged(&self.statements.get, &key))
            .await?
            .into_rows_result()?
            .maybe_first_row::<JobRow>()?
            .ok_or(ImportError::NoSuchJob)
    }

    /// The latest jobs (of this month and the one before), newest first.
    pub async fn latest(&self) -> Result<Vec<JobRow>, ImportError> {
        let this_month = month_of(crate::server::audit::time::new_timeuuid());
        let mut jobs = Vec::new();
        for month in [this_month, month_before(this_month)] {
            let rows = with_retries(|| {
                self.session
                    .execute_unpaged(&self.statements.of_month, (month,))
            })
            .await?
            .into_rows_result()?;
            for row in rows.rows::<JobRow>()? {
                jobs.push(row?);
            }
        }
        jobs.truncate(JOBS_LISTED as usize);
        Ok(jobs)
    }

    /// The jobs not over yet (oldest first), for the workers.
    pub async fn unfinished(&self) -> Result<Vec<Uuid>, ImportError> {
        let rows = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.unfinished, ())
        })
        .await?
        .into_rows_result()?;
        let mut jobs = Vec::new();
        for row in rows.rows::<(CqlTimeuuid,)>()? {
            jobs.push(Uuid::from(row?.0));
        }
        Ok(jobs)
    }

    /// Moves a job from `from` to `to`, with a message for the person; false when it was not
    /// in `from`. A job that is over leaves the list of unfinished jobs.
    pub async fn change_state(
        &self,
        job: Uuid,
        from: ImportState,
        to: ImportState,
        message: Option<&str>,
    ) -> Result<bool, ImportError> {
        let values = (
            to.as_str(),
            message,
            OffsetDateTime::now_utc(),
            month_of(job),
            CqlTimeuuid::from(job),
            from.as_str(),
        );
        let result = self
            .session
            .execute_unpaged(&self.statements.set_state, values)
            .await?;
        let applied = lwt_applied(result)?;
        if applied && to.is_over() {
            self.forget_unfinished(job).await?;
        }
        Ok(applied)
    }

    /// Moves a previewed job to running; false when it was not previewed.
    pub async fn start(&self, job: Uuid, started_by: &str) -> Result<bool, ImportError> {
        let now = OffsetDateTime::now_utc();
        let values = (started_by, now, now, month_of(job), CqlTimeuuid::from(job));
        let result = self
            .session
            .execute_unpaged(&self.statements.start, values)
            .await?;
        Ok(lwt_applied(result)?)
    }

    /// Records that the chunks before `checked_chunks` are checked, with what they held; false
    /// when someone else recorded that chunk first.
    pub async fn record_check(
        &self,
        job: Uuid,
        checked_chunks: i32,
        checked: Checked,
    ) -> Result<bool, ImportError> {
        let values = CheckProgress {
            checked_chunks,
            checked: checked.rows,
            new_rows: checked.new_rows,
            existing_rows: checked.existing_rows,
            refused: checked.refused,
            updated_at: OffsetDateTime::now_utc(),
            month: month_of(job),
            job: CqlTimeuuid::from(job),
            expected_chunk: checked_chunks - 1,
        };
        let result = self
            .session
            .execute_unpaged(&self.statements.check_progress, &values)
            .await?;
        Ok(lwt_applied(result)?)
    }

    /// Records that the chunks before `next_chunk` are imported, with the counts so far; false
    /// when someone else recorded that chunk first.
    pub async fn record_progress(
        &self,
        job: Uuid,
        next_chunk: i32,
        counts: Counts,
    ) -> Result<bool, ImportError> {
        let values = RunProgress {
            next_chunk,
            created: counts.created,
            updated: counts.updated,
            skipped: counts.skipped,
            failed: counts.failed,
            updated_at: OffsetDateTime::now_utc(),
            month: month_of(job),
            job: CqlTimeuuid::from(job),
            expected_chunk: next_chunk - 1,
        };
        let result = self
            .session
            .execute_unpaged(&self.statements.run_progress, &values)
            .await?;
        Ok(lwt_applied(result)?)
    }

    async fn forget_unfinished(&self, job: Uuid) -> Result<(), ImportError> {
        let job = (CqlTimeuuid::from(job),);
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.remove_unfinished, &job)
        })
        .await?;
        Ok(())
    }
}
