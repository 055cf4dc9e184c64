//! All CQL of the app. Every statement is prepared once, when the store is built; requests only
//! bind values to them.
//!
//! Two tables, no cross-table atomicity in Cassandra, so each operation is an ordered sequence of
//! steps that is safe to retry and never leaves a user without the claim on their email:
//! - create: claim the email (LWT) → write the user → on failure, undo the claim;
//! - change email: claim the new one → update the user → release the old one;
//! - delete: delete the user → release the email.
//!
//! The write to `users` and the audit event that describes it go in one logged batch, so a change
//! is never acknowledged without its event, and an event never exists without its change.
//!
//! A claim whose user does not hold that email is either in flight (a create or an email change
//! between its steps) or stale (that sequence died half-way, or another client changed the row).
//! Once it is older than `STALE_CLAIM_AFTER`, far longer than any request, the next claimant takes
//! it over.

use super::audit::{Actor, AuditLog, Event, Recorded};
use super::config::Keyspace;
use super::db::{lwt, plain};
use crate::model::{Cursor, User, UserPage};
use crate::validate::{Email, ValidUser};
use scylla::client::session::Session;
use scylla::errors::{ExecutionError, RequestAttemptError};
use scylla::statement::batch::Batch;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::{CqlValue, Row};
use scylla::DeserializeRow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// How old a claim without a matching user must be before it counts as abandoned.
pub const STALE_CLAIM_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the email is claimed by another user")]
    EmailTaken,
    #[error("the username is taken")]
    UsernameTaken,
    #[error("an operator exists already")]
    SetupDone,
    #[error("no such user")]
    NotFound,
    /// Nodes down, timeouts, overload: worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a schema mismatch.
    #[error("database error: {0}")]
    Internal(String),
}

impl From<ExecutionError> for StoreError {
    fn from(error: ExecutionError) -> Self {
        if is_transient(&error) {
            StoreError::Unavailable(error.to_string())
        } else {
            StoreError::Internal(error.to_string())
        }
    }
}

/// Nodes down, timeouts, overload: worth trying again.
fn is_transient(error: &ExecutionError) -> bool {
    use scylla::errors::DbError;
    match error {
        ExecutionError::EmptyPlan
        | ExecutionError::ConnectionPoolError(_)
        | ExecutionError::RequestTimeout(_)
        | ExecutionError::PrepareError(_)
        | ExecutionError::MetadataError(_)
        | ExecutionError::SchemaAgreementError(_) => true,
        ExecutionError::LastAttemptError(attempt) => match attempt {
            RequestAttemptError::BrokenConnectionError(_)
            | RequestAttemptError::UnableToAllocStreamId => true,
            RequestAttemptError::DbError(db, _) => matches!(
                db,
                DbError::Unavailable { .. }
                    | DbError::Overloaded
                    | DbError::IsBootstrapping
                    | DbError::ReadTimeout { .. }
                    | DbError::WriteTimeout { .. }
                    | DbError::ReadFailure { .. }
                    | DbError::WriteFailure { .. }
                    | DbError::RateLimitReached { .. }
            ),
            _ => false,
        },
        _ => false,
    }
}

/// Runs a request again after a transient failure (a node just went down, a timeout), a few
/// times with a short pause: the driver tries once more at most, which a node's death can use
/// up. Only for requests that are safe to repeat; the callers say why theirs are.
pub(crate) async fn with_retries<T, Request, Answer>(
    mut request: Request,
) -> Result<T, ExecutionError>
where
    Request: FnMut() -> Answer,
    Answer: std::future::Future<Output = Result<T, ExecutionError>>,
{
    const ATTEMPTS: u64 = 4;
    let mut attempt = 1;
    loop {
        match request().await {
            Err(error) if attempt < ATTEMPTS && is_transient(&error) => {
                let pause = Duration::from_millis(attempt * 100 + rand::random::<u64>() % 100);
                tracing::debug!(attempt, ?pause, %error, "trying again");
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

/// Decoding a result the driver received: a schema mismatch, so not transient.
pub(crate) fn decode_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("unexpected result: {error}"))
}

#[derive(DeserializeRow)]
struct UserRow {
    id: Uuid,
    name: Option<String>,
    email: Option<String>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            name: row.name.unwrap_or_default(),
            email: row.email.unwrap_or_default(),
        }
    }
}

struct Statements {
    release_version: PreparedStatement,
    first_page: PreparedStatement,
    page_after: PreparedStatement,
    user_by_id: PreparedStatement,
    owner_of_email: PreparedStatement,
    claim_written_at: PreparedStatement,
    insert_user: PreparedStatement,
    update_user: PreparedStatement,
    delete_user: PreparedStatement,
    claim_email: PreparedStatement,
    take_over_claim: PreparedStatement,
    release_email: PreparedStatement,
}

impl Statements {
    /// Table names are qualified with the keyspace, as Cassandra recommends for prepared
    /// statements. The keyspace is a validated identifier from configuration (CQL cannot bind
    /// identifiers); every value is a bind marker.
    async fn prepare(session: &Session, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        Ok(Statements {
            release_version: plain(session, "SELECT release_version FROM system.local".into())
                .await?,
            first_page: plain(
                session,
                format!("SELECT id, name, email FROM {ks}.users LIMIT ?"),
            )
            .await?,
            page_after: plain(
                session,
                format!(
                    "SELECT id, name, email FROM {ks}.users WHERE token(id) > token(?) LIMIT ?"
                ),
            )
            .await?,
            user_by_id: plain(
                session,
                format!("SELECT id, name, email FROM {ks}.users WHERE id = ?"),
            )
            .await?,
            owner_of_email: plain(
                session,
                format!("SELECT id FROM {ks}.users_by_email WHERE email = ?"),
            )
            .await?,
            claim_written_at: plain(
                session,
                format!("SELECT id, writetime(id) FROM {ks}.users_by_email WHERE email = ?"),
            )
            .await?,
            insert_user: plain(
                session,
                format!("INSERT INTO {ks}.users (id, name, email) VALUES (?, ?, ?)"),
            )
            .await?,
            update_user: plain(
                session,
                format!("UPDATE {ks}.users SET name = ?, email = ? WHERE id = ?"),
            )
            .await?,
            delete_user: plain(session, format!("DELETE FROM {ks}.users WHERE id = ?")).await?,
            claim_email: lwt(
                session,
                format!("INSERT INTO {ks}.users_by_email (email, id) VALUES (?, ?) IF NOT EXISTS"),
            )
            .await?,
            take_over_claim: lwt(
                session,
                format!("UPDATE {ks}.users_by_email SET id = ? WHERE email = ? IF id = ?"),
            )
            .await?,
            release_email: lwt(
                session,
                format!("DELETE FROM {ks}.users_by_email WHERE email = ? IF id = ?"),
            )
            .await?,
        })
    }
}

/// Each change to `users` together with the audit event that describes it (see `AuditLog`).
struct AuditedChanges {
    insert_user: Batch,
    update_user: Batch,
    delete_user: Batch,
}

/// The users of the app, in Cassandra.
pub struct UserStore {
    session: Arc<Session>,
    statements: Statements,
    audited: AuditedChanges,
    page_size: u16,
}

impl UserStore {
    /// Prepares every statement against the tables in `keyspace`.
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        audit: &AuditLog,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let statements = Statements::prepare(&session, keyspace).await?;
        let audited = AuditedChanges {
            insert_user: audit.batch_with(&statements.insert_user),
            update_user: audit.batch_with(&statements.update_user),
            delete_user: audit.batch_with(&statements.delete_user),
        };
        Ok(UserStore {
            session,
            statements,
            audited,
            page_size,
        })
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    pub async fn release_version(&self) -> Result<String, StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.release_version, ())
            .await?;
        let (version,) = result
            .into_rows_result()
            .map_err(decode_error)?
            .single_row::<(String,)>()
            .map_err(decode_error)?;
        Ok(version)
    }

    /// One page of users in token order, starting after `after` (or at the start).
    /// Reads `page_size + 1` rows to know whether another page follows: O(page size).
    pub async fn list(&self, after: Option<Cursor>) -> Result<UserPage, StoreError> {
        let limit = i32::from(self.page_size) + 1;
        let result = match after {
            None => {
                self.session
                    .execute_unpaged(&self.statements.first_page, (limit,))
                    .await?
            }
            Some(Cursor(id)) => {
                self.session
                    .execute_unpaged(&self.statements.page_after, (id, limit))
                    .await?
            }
        };
        let mut users = rows_to_users(result)?;
        let next = if users.len() > usize::from(self.page_size) {
            users.truncate(usize::from(self.page_size));
            users.last().map(|last| Cursor(last.id))
        } else {
            None
        };
        Ok(UserPage { users, next })
    }

    pub async fn get(&self, id: Uuid) -> Result<User, StoreError> {
        let result = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.user_by_id, (id,))
        })
        .await?;
        rows_to_users(result)?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    /// The user whose (normalised) email this is. A claim whose user no longer has that email
    /// does not count.
    pub async fn find_by_email(&self, email: &Email) -> Result<User, StoreError> {
        let owner = self.owner_of(email).await?.ok_or(StoreError::NotFound)?;
        match self.get(owner).await {
            Ok(user) if user.email == email.as_str() => Ok(user),
            Ok(_) | Err(StoreError::NotFound) => Err(StoreError::NotFound),
            Err(other) => Err(other),
        }
    }

    pub async fn create(&self, user: &ValidUser, actor: &Actor) -> Result<User, StoreError> {
        let id = Uuid::new_v4();
        self.claim(&user.email, id).await?;
        let created = User {
            id,
            name: user.name.as_str().into(),
            email: user.email.as_str().into(),
        };
        let event = Recorded::now(actor, Event::user_created(&created));
        // The batch writes fixed values under a fixed event time, so repeating it is safe.
        let write = with_retries(|| {
            self.session.batch(
                &self.audited.insert_user,
                (
                    (id, &created.name, &created.email),
                    event.by_user(),
                    event.by_day(),
                    event.day_index(),
                ),
            )
        })
        .await;
        if let Err(error) = write {
            self.release(user.email.as_str(), id).await;
            return Err(error.into());
        }
        Ok(created)
    }

    /// Saves a new name and email. Saving what is already stored changes nothing and records
    /// no event.
    pub async fn update(
        &self,
        id: Uuid,
        user: &ValidUser,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        let current = self.get(id).await?;
        let updated = User {
            id,
            name: user.name.as_str().into(),
            email: user.email.as_str().into(),
        };
        if updated == current {
            return Ok(updated);
        }
        let email_changes = current.email != updated.email;
        if email_changes {
            self.claim(&user.email, id).await?;
        }
        let event = Recorded::now(actor, Event::user_updated(&current, &updated));
        let write = with_retries(|| {
            self.session.batch(
                &self.audited.update_user,
                (
                    (&updated.name, &updated.email, id),
                    event.by_user(),
                    event.by_day(),
                    event.day_index(),
                ),
            )
        })
        .await;
        match write {
            Err(error) => {
                if email_changes {
                    self.release(user.email.as_str(), id).await;
                }
                Err(error.into())
            }
            Ok(_) => {
                if email_changes {
                    self.release(&current.email, id).await;
                }
                Ok(updated)
            }
        }
    }

    pub async fn delete(&self, id: Uuid, actor: &Actor) -> Result<(), StoreError> {
        let user = self.get(id).await?;
        let event = Recorded::now(actor, Event::user_deleted(&user));
        with_retries(|| {
            self.session.batch(
                &self.audited.delete_user,
                ((id,), event.by_user(), event.by_day(), event.day_index()),
            )
        })
        .await?;
        self.release(&user.email, id).await;
        Ok(())
    }

    async fn owner_of(&self, email: &Email) -> Result<Option<Uuid>, StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.owner_of_email, (email.as_str(),))
            .await?;
        let row = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(Option<Uuid>,)>()
            .map_err(decode_error)?;
        Ok(row.and_then(|(id,)| id))
    }

    /// Makes `id` the owner of `email`, or fails with `EmailTaken` when a live user holds it.
    async fn claim(&self, email: &Email, id: Uuid) -> Result<(), StoreError> {
        // Repeating a claim is safe: a claim we already hold answers with our own id (below).
        // The driver does not repeat it by itself, as LWTs are not idempotent in general.
        let claim = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.claim_email, (email.as_str(), id))
        })
        .await?;
        let (applied, holder) = lwt_outcome(claim, "id")?;
        if applied {
            return Ok(());
        }
        let Some(holder) = holder else {
            return Err(StoreError::EmailTaken);
        };
        if holder == id {
            return Ok(()); // a retry of our own claim
        }
        if self.holder_still_uses(holder, email).await?
            || !self.claim_is_stale(email, holder).await?
        {
            return Err(StoreError::EmailTaken);
        }
        tracing::info!(email = email.as_str(), %holder, "taking over a stale email claim");
        let takeover = self
            .session
            .execute_unpaged(
                &self.statements.take_over_claim,
                (id, email.as_str(), holder),
            )
            .await?;
        match lwt_outcome(takeover, "id")? {
            (true, _) => Ok(()),
            (false, _) => Err(StoreError::EmailTaken), // someone else took it first
        }
    }

    async fn holder_still_uses(&self, holder: Uuid, email: &Email) -> Result<bool, StoreError> {
        match self.get(holder).await {
            Ok(user) => Ok(user.email == email.as_str()),
            Err(StoreError::NotFound) => Ok(false),
            Err(other) => Err(other),
        }
    }

    async fn claim_is_stale(&self, email: &Email, holder: Uuid) -> Result<bool, StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.claim_written_at, (email.as_str(),))
            .await?;
        let row = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(Option<Uuid>, Option<i64>)>()
            .map_err(decode_error)?;
        let Some((Some(current), Some(written_micros))) = row else {
            return Ok(false);
        };
        let now_micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros() as i64;
        let age = Duration::from_micros(now_micros.saturating_sub(written_micros).max(0) as u64);
        Ok(current == holder && age >= STALE_CLAIM_AFTER)
    }

    /// Gives up `id`'s claim on `email`. Best effort: a claim left behind is stale and the next
    /// claimant takes it over, so a failure here is logged, not returned.
    async fn release(&self, email: &str, id: Uuid) {
        if let Err(error) = self
            .session
            .execute_unpaged(&self.statements.release_email, (email, id))
            .await
        {
            tracing::warn!(email, %id, %error, "could not release an email claim; it will be taken over when claimed again");
        }
    }
}

fn rows_to_users(
    result: scylla::response::query_result::QueryResult,
) -> Result<Vec<User>, StoreError> {
    result
        .into_rows_result()
        .map_err(decode_error)?
        .rows::<UserRow>()
        .map_err(decode_error)?
        .map(|row| row.map(User::from).map_err(decode_error))
        .collect()
}

/// Reads an LWT answer: `[applied]`, and when not applied, the current value of `column`.
/// The columns differ between the two outcomes, so the row is read dynamically.
pub(crate) fn lwt_outcome(
    result: scylla::response::query_result::QueryResult,
    column: &str,
) -> Result<(bool, Option<Uuid>), StoreError> {
    let rows = result.into_rows_result().map_err(decode_error)?;
    let position = rows
        .column_specs()
        .iter()
        .position(|spec| spec.name() == column);
    let row = rows.first_row::<Row>().map_err(decode_error)?;
    let applied = matches!(row.columns.first(), Some(Some(CqlValue::Boolean(true))));
    let current = position
        .and_then(|i| row.columns.get(i).cloned().flatten())
        .and_then(|value| value.as_uuid());
    Ok((applied, current))
}
