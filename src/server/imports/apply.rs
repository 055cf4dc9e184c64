//! Importing a chunk: each row through the same create path as the UI (the email's claim, the
//! index check for rows written elsewhere, an audit event per row, an Accord transaction on
//! Cassandra 6). Doing a chunk again (its server died halfway) writes no row twice: each row's
//! id was fixed on upload, so a row created before is found by it, and renames are noted.

use super::check::{id_taken, is_the_same, ROWS_AT_ONCE};
use super::chunks::{Chunk, ChunkRow, Chunks};
use super::error::ImportError;
use super::job_row::Counts;
use crate::model::{ImportMode, ImportProblem, User};
use crate::server::audit::Actor;
use crate::server::cassandra::error::describe;
use crate::server::users::{UserError, UserStore};
use crate::validate::{Email, Name};
use futures_util::{stream, StreamExt, TryStreamExt};
use std::time::Duration;
use uuid::Uuid;

/// How often a row whose email changes hands meanwhile is tried again.
const ATTEMPTS: u32 = 3;

enum Outcome {
    Created,
    Updated,
    Skipped,
    Failed(String),
}

/// What a chunk's import came to.
#[derive(Debug, Default)]
pub struct ChunkApplied {
    pub counts: Counts,
    pub problems: Vec<ImportProblem>,
}

pub struct RowImport<'a> {
    pub users: &'a UserStore,
    pub chunks: &'a Chunks,
    pub job: Uuid,
    pub chunk: i32,
    pub mode: ImportMode,
    pub actor: &'a Actor,
}

impl RowImport<'_> {
    pub async fn apply(&self, chunk: &Chunk) -> Result<ChunkApplied, ImportError> {
        // By index: a closure over `&ChunkRow` would not be general enough for a spawned task.
        let outcomes: Vec<(&ChunkRow, Outcome)> = stream::iter(0..chunk.rows.len())
            .map(|i| async move {
                let row = &chunk.rows[i];
                let outcome = if chunk.present.contains(&row.line) {
                    Outcome::Skipped
                } else if chunk.refused.contains(&row.line) {
                    Outcome::Failed(String::new()) // its problem is recorded already
                } else if chunk.updated.contains(&row.line) {
                    Outcome::Updated
                } else {
                    self.row(row).await?
                };
                Ok::<_, ImportError>((row, outcome))
            })
            .buffered(ROWS_AT_ONCE)
            .try_collect()
            .await?;
        let mut applied = ChunkApplied::default();
        for (row, outcome) in outcomes {
            match outcome {
                Outcome::Created => applied.counts.created += 1,
                Outcome::Updated => applied.counts.updated += 1,
                Outcome::Skipped => applied.counts.skipped += 1,
                Outcome::Failed(message) => {
                    applied.counts.failed += 1;
                    if !message.is_empty() {
                        applied.problems.push(ImportProblem {
                            line: u64::try_from(row.line).unwrap_or(0),
                            email: row.email.clone(),
                            message,
                        });
                    }
                }
            }
        }
        Ok(applied)
    }

    async fn row(&self, row: &ChunkRow) -> Result<Outcome, ImportError> {
        let (Ok(name), Ok(email)) = (Name::parse(&row.name), Email::parse(&row.email)) else {
            // Checked on upload; a row only gets here if the rules changed since.
            return Ok(Outcome::Failed(
                "The row no longer passes validation.".into(),
            ));
        };
        let user = User {
            id: row.id,
            name: row.name.clone(),
            email: row.email.clone(),
        };
        match self.users.get(row.id).await {
            // Created by an earlier attempt of this job (the check found no user with this id).
            Ok(stored) if is_the_same(&stored, row) => return Ok(Outcome::Created),
            // The file's id, given to another user since the check.
            Ok(stored) if row.id_given => return Ok(Outcome::Failed(id_taken(&stored))),
            // Created by an earlier attempt, and changed by someone since: theirs stays.
            Ok(_) => return Ok(Outcome::Created),
            Err(UserError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
        for attempt in 1..=ATTEMPTS {
            match self
                .users
                .create_as_written(&user, &email, self.actor)
                .await
            {
                Ok(()) => return Ok(Outcome::Created),
                Err(UserError::EmailTaken) => {}
                // Cassandra refused this row (a constraint of the table): the others go on.
                Err(UserError::Storage(error)) if !error.is_unavailable() => {
                    return Ok(Outcome::Failed(format!(
                        "Cassandra refused the row: {}",
                        describe(&error)
                    )))
                }
                Err(other) => return Err(other.into()),
            }
            if let Some(outcome) = self.email_in_use(row, &email, &name).await? {
                return Ok(outcome);
            }
            // The email's claim is held by a create or change still under way: wait for it.
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
        }
        Ok(Outcome::Failed(
            "The email kept changing hands during the import; the row was not imported.".into(),
        ))
    }

    /// A row whose email belongs to a user: skipped, or that user renamed. `None` when the
    /// user changed or went meanwhile (try again).
    async fn email_in_use(
        &self,
        row: &ChunkRow,
        email: &Email,
        name: &Name,
    ) -> Result<Option<Outcome>, ImportError> {
        let holder = match self.users.find_by_email(email).await {
            Ok(holder) => holder,
            Err(UserError::NotFound) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        if self.mode == ImportMode::Skip || holder.name == name.as_str() {
            return Ok(Some(Outcome::Skipped));
        }
        match self.users.rename(&holder, name, self.actor).await {
            Ok(_) => {
                self.chunks.mark_updated(self.job, self.chunk, row.line).await?;
                Ok(Some(Outcome::Updated))
            }
            Err(UserError::Conflict(_) | UserError::NotFound) => Ok(None),
            Err(UserError::StoredEmailInvalid) => Ok(Some(Outcome::Failed(
                "The user with this email has it stored in a form that is not valid; it was not renamed.".into(),
            ))),
            Err(other) => Err(other.into()),
        }
    }
}
