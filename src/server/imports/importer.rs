//! Imports as the rest of the server asks for them: upload a file (read, kept in chunks, checked
//! in the background for the preview), start, cancel, see how far a job is, list the latest,
//! and read a job's problems. The work itself is the `Worker`'s, on whichever server.

use super::chunks::{bucket_of, Chunks, CHUNK_ROWS};
use super::error::ImportError;
use super::job_row::NewJob;
use super::jobs::Jobs;
use super::upload::prepare;
use super::worker::Worker;
use crate::model::{
    ImportJob, ImportMode, ImportPreview, ImportProblem, ImportState, IMPORT_PROBLEMS_SHOWN,
};
use crate::server::audit::time::new_timeuuid;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::lease::Leases;
use crate::server::config::Keyspace;
use crate::server::users::UserStore;
use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Chunks written at once while an upload is stored.
const CHUNKS_AT_ONCE: usize = 8;
/// File names are kept this long at most.
const FILE_NAME_MAX_CHARS: usize = 200;

pub struct Importer {
    jobs: Arc<Jobs>,
    chunks: Arc<Chunks>,
    audit: Arc<AuditLog>,
    worker: Arc<Worker>,
    wake: Arc<Notify>,
    /// The worker, once this server has started it.
    worker_task: Mutex<Option<JoinHandle<()>>>,
}

impl Importer {
    /// `lease`: how long a job stays with a server that stopped renewing it (`JOB_LEASE`).
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        users: Arc<UserStore>,
        audit: Arc<AuditLog>,
        lease: Duration,
    ) -> Result<Self, ExecutionError> {
        let jobs = Arc::new(Jobs::new(session.clone(), keyspace).await?);
        let chunks = Arc::new(Chunks::new(session.clone(), keyspace).await?);
        let worker = Arc::new(Worker {
            jobs: jobs.clone(),
            chunks: chunks.clone(),
            users,
            audit: audit.clone(),
            leases: Leases::new(session, keyspace, "import_leases", "job", lease).await?,
            owner: Uuid::new_v4(),
            stopping: CancellationToken::new(),
            cut_off: CancellationToken::new(),
        });
        Ok(Importer {
            jobs,
            chunks,
            audit,
            worker,
            wake: Arc::new(Notify::new()),
            worker_task: Mutex::new(None),
        })
    }

    /// Has this server work on import jobs from now on (the first call starts its worker), and
    /// look for work at once.
    pub fn wake(&self) {
        let mut task = self
            .worker_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if task.is_none() && !self.worker.stopping.is_cancelled() {
            *task = Some(tokio::spawn(self.worker.clone().run(self.wake.clone())));
        }
        drop(task);
        self.wake.notify_one();
    }

    /// Hands this server's import work back: the chunk in progress is finished and recorded
    /// (or, if that takes longer than `finish_within`, left to be done again) and the job's lease
    /// given up, so another server takes the job over at once, not after the lease has run out.
    /// Nothing is started on this server from then on.
    pub async fn stop(&self, finish_within: Duration) {
        self.worker.stopping.cancel();
        let task = self
            .worker_task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut task) = task else { return };
        let ended = match tokio::time::timeout(finish_within, &mut task).await {
            Ok(ended) => ended,
            Err(_) => {
                tracing::warn!(
                    "the import chunk in progress did not finish within {}s of stopping; the server that takes the job over does it again",
                    finish_within.as_secs_f32()
                );
                self.worker.cut_off.cancel();
                task.await
            }
        };
        if let Err(error) = ended {
            tracing::warn!(%error, "the import worker ended badly while stopping");
        }
    }

    /// Reads an uploaded file and keeps its rows as a job to check. A file that cannot be
    /// imported at all is an error, and then nothing is written.
    pub async fn upload(
        &self,
        file_name: &str,
        bytes: &[u8],
        mode: ImportMode,
        actor: &Actor,
    ) -> Result<ImportJob, ImportError> {
        let file = prepare(bytes)?;
        let job = new_timeuuid();
        let chunks: Vec<(i32, &[_])> = file
            .valid
            .chunks(CHUNK_ROWS)
            .enumerate()
            .map(|(number, rows)| (i32::try_from(number).unwrap_or(i32::MAX), rows))
            .collect();
        stream::iter(0..chunks.len())
            .map(|i| self.chunks.save(job, chunks[i].0, chunks[i].1))
            .buffer_unordered(CHUNKS_AT_ONCE)
            .try_collect::<()>()
            .await?;
        self.chunks.save_problems(job, &file.problems).await?;
        self.jobs
            .create(NewJob {
                id: job,
                file_name: &clean_file_name(file_name),
                mode,
                operator: actor.name(),
                rows: file.rows,
                last_line: file.last_line,
                invalid: i32::try_from(file.problems.len()).unwrap_or(i32::MAX),
                chunks: i32::try_from(chunks.len()).unwrap_or(i32::MAX),
            })
            .await?;
        self.wake();
        Ok(self.jobs.get(job).await?.summary())
    }

    /// The job with its first problems.
    pub async fn preview(&self, job: Uuid) -> Result<ImportPreview, ImportError> {
        let row = self.jobs.get(job).await?;
        let mut problems = Vec::new();
        for bucket in 0..=bucket_of(row.last_line()) {
            if problems.len() >= IMPORT_PROBLEMS_SHOWN {
                break;
            }
            problems.extend(self.chunks.problems(job, bucket).await?);
        }
        problems.truncate(IMPORT_PROBLEMS_SHOWN);
        Ok(ImportPreview {
            job: row.summary(),
            problems,
        })
    }

    /// The preview once the check is done, or as far as it got `within` this long.
    pub async fn preview_when_checked(
        &self,
        job: Uuid,
        within: Duration,
    ) -> Result<ImportPreview, ImportError> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if self.jobs.get(job).await?.state() != ImportState::Checking {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.preview(job).await
    }

    /// Starts importing a previewed job.
    pub async fn start(&self, job: Uuid, actor: &Actor) -> Result<ImportJob, ImportError> {
        if !self.jobs.start(job, actor.name()).await? {
            let state = self.jobs.get(job).await?.state();
            return Err(ImportError::NotNow {
                state,
                asked: "start",
            });
        }
        let row = self.jobs.get(job).await?;
        let details = format!(
            "started importing {} ({} rows)",
            row.file_name.clone().unwrap_or_default(),
            row.summary().rows
        );
        self.audit
            .record_applied(actor, Event::new(Action::Import, details))
            .await;
        self.wake();
        Ok(row.summary())
    }

    /// Cancels a job: at once before it runs, after the chunk it is on while it runs.
    pub async fn cancel(&self, job: Uuid, actor: &Actor) -> Result<ImportJob, ImportError> {
        let row = self.jobs.get(job).await?;
        let state = row.state();
        let (to, message) = match state {
            ImportState::Checking | ImportState::Previewed => (
                ImportState::Cancelled,
                Some(format!("Cancelled by {} before it started.", actor.name())),
            ),
            ImportState::Running => (ImportState::Cancelling, None),
            // Asking again changes nothing.
            ImportState::Cancelling | ImportState::Cancelled => return Ok(row.summary()),
            ImportState::Done | ImportState::Failed => {
                return Err(ImportError::NotNow {
                    state,
                    asked: "cancel",
                })
            }
        };
        if !self
            .jobs
            .change_state(job, state, to, message.as_deref())
            .await?
        {
            // It moved on meanwhile (checked, started, finished): ask again from there.
            return Box::pin(self.cancel(job, actor)).await;
        }
        self.wake();
        Ok(self.jobs.get(job).await?.summary())
    }

    pub async fn get(&self, job: Uuid) -> Result<ImportJob, ImportError> {
        Ok(self.jobs.get(job).await?.summary())
    }

    /// The latest jobs, newest first.
    pub async fn latest(&self) -> Result<Vec<ImportJob>, ImportError> {
        Ok(self
            .jobs
            .latest()
            .await?
            .iter()
            .map(|row| row.summary())
            .collect())
    }

    /// Every problem of a job, by line, read a bucket at a time.
    pub async fn problems(
        &self,
        job: Uuid,
    ) -> Result<impl Stream<Item = Result<ImportProblem, ImportError>> + Send + 'static, ImportError>
    {
        let last_bucket = bucket_of(self.jobs.get(job).await?.last_line());
        let chunks = self.chunks.clone();
        Ok(stream::iter(0..=last_bucket)
            .then(move |bucket| {
                let chunks = chunks.clone();
                async move { chunks.problems(job, bucket).await }
            })
            .map_ok(|problems| stream::iter(problems.into_iter().map(Ok)))
            .try_flatten())
    }

    /// Works on the job here and now while it needs work (the command line does this); false
    /// when another server holds it.
    pub async fn work_on(&self, job: Uuid) -> Result<bool, ImportError> {
        self.worker.work_on(job).await
    }
}

/// The name of the uploaded file as shown: no path, no control characters, not too long.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(FILE_NAME_MAX_CHARS)
        .collect();
    if cleaned.trim().is_empty() {
        "users.csv".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_path_and_control_characters() {
        assert_eq!(clean_file_name("C:\\Users\\ann\\people.csv"), "people.csv");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\nb.csv"), "ab.csv");
        assert_eq!(clean_file_name(""), "users.csv");
    }
}
