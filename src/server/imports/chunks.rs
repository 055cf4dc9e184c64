//! A job's rows, kept in Cassandra until it is done: chunks of `CHUNK_ROWS` rows (one partition
//! each, the rows as CSV in one cell, so a file of 10^6 rows is 2,000 writes), with the lines
//! the check or an earlier attempt settled; and the rows it could not take, in partitions of
//! `PROBLEM_BUCKET_LINES` lines.

use super::error::ImportError;
use crate::model::ImportProblem;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use scylla::{DeserializeRow, SerializeRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// Rows a chunk holds: a job moves on (and records its progress) a chunk at a time.
pub const CHUNK_ROWS: usize = 500;
/// Lines of the file whose problems share a partition.
pub const PROBLEM_BUCKET_LINES: i32 = 1000;
/// Problems written in one (single-partition) batch.
const PROBLEMS_PER_BATCH: usize = 100;

/// A row of the file as the job keeps it: the id it is created with (the file's, or one given
/// on upload, so that doing the row again finds it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRow {
    pub line: i32,
    pub id: Uuid,
    /// Whether the id is the file's own (a restore), not one given on upload.
    pub id_given: bool,
    pub name: String,
    pub email: String,
}

/// A chunk as stored.
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<ChunkRow>,
    /// Lines whose user (same id, same values) is there already.
    pub present: BTreeSet<i32>,
    /// Lines the check refused; their problem is recorded.
    pub refused: BTreeSet<i32>,
    /// Lines whose user an earlier attempt renamed.
    pub updated: BTreeSet<i32>,
}

#[derive(DeserializeRow)]
struct ChunkCells {
    rows: Option<String>,
    present: Option<BTreeSet<i32>>,
    refused: Option<BTreeSet<i32>>,
    updated: Option<BTreeSet<i32>>,
}

#[derive(DeserializeRow, SerializeRow)]
struct ProblemRow {
    job: CqlTimeuuid,
    bucket: i32,
    line: i32,
    email: String,
    message: String,
}

struct Statements {
    insert: PreparedStatement,
    get: PreparedStatement,
    mark_checked: PreparedStatement,
    mark_updated: PreparedStatement,
    insert_problem: PreparedStatement,
    problems: PreparedStatement,
}

pub struct Chunks {
    session: Arc<Session>,
    statements: Statements,
}

impl Chunks {
    pub async fn new(session: Arc<Session>, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            insert: plain(&session, format!("INSERT INTO {ks}.import_chunks (job, chunk, rows) VALUES (?, ?, ?)")).await?,
            get: plain(&session, format!("SELECT rows, present, refused, updated FROM {ks}.import_chunks WHERE job = ? AND chunk = ?")).await?,
            mark_checked: plain(&session, format!("UPDATE {ks}.import_chunks SET present = ?, refused = ? WHERE job = ? AND chunk = ?")).await?,
            mark_updated: plain(&session, format!("UPDATE {ks}.import_chunks SET updated = updated + ? WHERE job = ? AND chunk = ?")).await?,
            insert_problem: plain(&session, format!("INSERT INTO {ks}.import_problems (job, bucket, line, email, message) VALUES (:job, :bucket, :line, :email, :message)")).await?,
            problems: plain(&session, format!("SELECT job, bucket, line, email, message FROM {ks}.import_problems WHERE job = ? AND bucket = ?")).await?,
        };
        Ok(Chunks {
            session,
            statements,
        })
    }

    pub async fn save(&self, job: Uuid, chunk: i32, rows: &[ChunkRow]) -> Result<(), ImportError> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        for row in rows {
            writer
                .serialize(row)
                .map_err(|cause| ImportError::ChunkUnreadable { chunk, cause })?;
        }
        let text = String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default();
        let values = (CqlTimeuuid::from(job), chunk, text);
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.insert, &values)
        })
        .await?;
        Ok(())
    }

    pub async fn get(&self, job: Uuid, chunk: i32) -> Result<Chunk, ImportError> {
        let key = (CqlTimeuuid::from(job), chunk);
        let cells = with_retries(|| self.session.execute_unpaged(&self.statements.get, &key))
            .await?
            .into_rows_result()?
            .maybe_first_row::<ChunkCells>()?;
        let Some(ChunkCells {
            rows: Some(text),
            present,
            refused,
            updated,
        }) = cells
        else {
            return Err(ImportError::ChunkMissing { chunk });
        };
        let rows = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .deserialize()
            .collect::<Result<Vec<ChunkRow>, _>>()
            .map_err(|cause| ImportError::ChunkUnreadable { chunk, cause })?;
        Ok(Chunk {
            rows,
            present: present.unwrap_or_default(),
            refused: refused.unwrap_or_default(),
            updated: updated.unwrap_or_default(),
        })
    }

    /// Keeps what the check settled for a chunk.
    pub async fn mark_checked(
        &self,
        job: Uuid,
        chunk: i32,
        present: &BTreeSet<i32>,
        refused: &BTreeSet<i32>,
    ) -> Result<(), ImportError> {
        let values = (present, refused, CqlTimeuuid::from(job), chunk);
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.mark_checked, &values)
        })
        .await?;
        Ok(())
    }

    /// Notes that the user of `line` was renamed, so doing the chunk again counts it as updated.
    pub async fn mark_updated(&self, job: Uuid, chunk: i32, line: i32) -> Result<(), ImportError> {
        let values = (BTreeSet::from([line]), CqlTimeuuid::from(job), chunk);
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.mark_updated, &values)
        })
        .await?;
        Ok(())
    }

    /// Records rows that cannot be imported; recording one again changes nothing.
    pub async fn save_problems(
        &self,
        job: Uuid,
        problems: &[ImportProblem],
    ) -> Result<(), ImportError> {
        let mut by_bucket: Vec<(i32, Vec<ProblemRow>)> = Vec::new();
        for problem in problems {
            let line = i32::try_from(problem.line).unwrap_or(i32::MAX);
            let bucket = line / PROBLEM_BUCKET_LINES;
            let row = ProblemRow {
                job: CqlTimeuuid::from(job),
                bucket,
                line,
                email: problem.email.clone(),
                message: problem.message.clone(),
            };
            match by_bucket.last_mut() {
                Some((last, rows)) if *last == bucket && rows.len() < PROBLEMS_PER_BATCH => {
                    rows.push(row)
                }
                _ => by_bucket.push((bucket, vec![row])),
            }
        }
        for (_, rows) in by_bucket {
            // One partition per batch: an unlogged batch is then one write.
            let mut batch = Batch::new(BatchType::Unlogged);
            for _ in &rows {
                batch.append_statement(self.statements.insert_problem.clone());
            }
            batch.set_is_idempotent(true);
            with_retries(|| self.session.batch(&batch, &rows)).await?;
        }
        Ok(())
    }

    /// The problems of the lines in one bucket, by line.
    pub async fn problems(
        &self,
        job: Uuid,
        bucket: i32,
    ) -> Result<Vec<ImportProblem>, ImportError> {
        let key = (CqlTimeuuid::from(job), bucket);
        let rows = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.problems, &key)
        })
        .await?
        .into_rows_result()?;
        let mut problems = Vec::new();
        for row in rows.rows::<ProblemRow>()? {
            let row = row?;
            problems.push(ImportProblem {
                line: u64::try_from(row.line).unwrap_or(0),
                email: row.email,
                message: row.message,
            });
        }
        Ok(problems)
    }
}

/// The bucket of problems that holds `line`.
pub fn bucket_of(line: i32) -> i32 {
    line / PROBLEM_BUCKET_LINES
}
