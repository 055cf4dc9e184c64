//! All CQL of the app. Every statement is prepared once, when the store is built; requests only
//! bind values to them.
//!
//! On Cassandra 6 with Accord, a create, an email change and a delete are each one transaction
//! across both tables (`transactions`). Cassandra 5 has no cross-table atomicity, so there each
//! operation is an ordered sequence of steps that is safe to retry and never leaves a user without
//! the claim on their email:
//! - create: check the email index → claim the email (LWT) → write the user → on failure, undo
//!   the claim;
//! - change email: the same checks and claim → update the user if unchanged (LWT) → release the
//!   old email;
//! - delete: delete the user if unchanged (LWT) → release the email.
//!
//! Other clients (the Python quickstart, cqlsh) write `users` without claims. The email index
//! (`email_index`) finds their rows: an email that such a row has is in use, and that row is
//! given the claim ("adopted"; the oldest row when there are several).
//!
//! Edits and deletes are conditional on the values the person saw, so a change made since they
//! opened the user is never overwritten silently (`StoreError::Conflict`).
//!
//! A new user and its audit event go in one logged batch. A conditional write cannot share a batch
//! with other tables, so edits and deletes write their event right after they apply.
//!
//! A claim whose user does not hold that email is either in flight (a create or an email change
//! between its steps) or stale (that sequence died half-way, or another client changed the row).
//! Once it is older than `STALE_CLAIM_AFTER`, far longer than any request, the next claimant takes
//! it over.

use super::audit::{Actor, AuditLog, Event, Recorded};
use super::config::Keyspace;
use super::db::{lwt, plain};
use super::transactions::{self, use_accord_levels, Read, Shape, Transactions};
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
    /// The user changed since the person opened it; these are its values now.
    #[error("the user changed since it was opened")]
    Conflict(User),
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

#[derive(Clone, DeserializeRow)]
struct UserRow {
    id: Uuid,
    name: Option<String>,
    email: Option<String>,
}

impl UserRow {
    /// The key of this row's email in `users_by_email` ("" when it has none).
    fn claim_key(&self) -> String {
        self.email
            .as_deref()
            .map(Email::normalise)
            .unwrap_or_default()
    }

    /// Which variant of a transaction fits this row.
    fn shape(&self, releases_old_claim: bool) -> Shape {
        Shape {
            name_is_null: self.name.is_none(),
            email_is_null: self.email.is_none(),
            releases_old_claim,
        }
    }
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
    update_user_if_unchanged: PreparedStatement,
    delete_user_if_unchanged: PreparedStatement,
    users_with_email: PreparedStatement,
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
            update_user_if_unchanged: lwt(
                session,
                format!("UPDATE {ks}.users SET name = ?, email = ? WHERE id = ? IF name = ? AND email = ?"),
            )
            .await?,
            delete_user_if_unchanged: lwt(
                session,
                format!("DELETE FROM {ks}.users WHERE id = ? IF name = ? AND email = ?"),
            )
            .await?,
            // Served by the case-insensitive email index; the oldest row first is sorted here.
            users_with_email: plain(
                session,
                format!("SELECT id, name, email, writetime(email) FROM {ks}.users WHERE email = ? LIMIT {EMAIL_MATCHES_READ}"),
            )
            .await?,
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

/// What reconciling one row found.
pub(crate) enum RowReconciled {
    /// The row holds the claim on its email already.
    AlreadyClaimed,
    /// The row's email is not a valid address, so no create or edit can collide with it.
    NotAnEmail,
    Checked {
        email: Email,
        /// Whether a row was given the claim just now.
        adopted: bool,
        /// Every row with this email, oldest first, when there is more than one.
        sharing_the_email: Vec<User>,
    },
}

impl Statements {
    /// Every statement here reads or writes `users` or `users_by_email`.
    fn use_accord_levels(&mut self) {
        for statement in [
            &mut self.first_page,
            &mut self.page_after,
            &mut self.user_by_id,
            &mut self.owner_of_email,
            &mut self.claim_written_at,
            &mut self.insert_user,
            &mut self.update_user_if_unchanged,
            &mut self.delete_user_if_unchanged,
            &mut self.users_with_email,
            &mut self.claim_email,
            &mut self.take_over_claim,
            &mut self.release_email,
        ] {
            use_accord_levels(statement);
        }
    }
}

/// How many rows with one email an index lookup reads: more than a person can resolve anyway.
const EMAIL_MATCHES_READ: u32 = 100;

/// The users of the app, in Cassandra.
pub struct UserStore {
    session: Arc<Session>,
    statements: Statements,
    /// A new user together with its audit event (see `AuditLog::batch_with`).
    insert_user_audited: Batch,
    audit: Arc<AuditLog>,
    /// On Cassandra 6 with Accord: one transaction per create, email change and delete.
    transactions: Option<Transactions>,
    page_size: u16,
}

impl UserStore {
    /// Prepares every statement against the tables in `keyspace`.
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        audit: Arc<AuditLog>,
        transactions: Option<Transactions>,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let mut statements = Statements::prepare(&session, keyspace).await?;
        if transactions.is_some() {
            statements.use_accord_levels();
        }
        let insert_user_audited = audit.batch_with(&statements.insert_user);
        Ok(UserStore {
            session,
            statements,
            insert_user_audited,
            audit,
            transactions,
            page_size,
        })
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// Whether creates, email changes and deletes run as Accord transactions (Cassandra 6).
    pub fn uses_transactions(&self) -> bool {
        self.transactions.is_some()
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
        self.stored(id).await.map(User::from)
    }

    /// The row as stored: a column another client left empty is `None`, not "".
    async fn stored(&self, id: Uuid) -> Result<UserRow, StoreError> {
        let result = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.user_by_id, (id,))
        })
        .await?;
        result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<UserRow>()
            .map_err(decode_error)?
            .ok_or(StoreError::NotFound)
    }

    /// The user with this email: the holder of its claim, else (for rows written outside the
    /// app, in any case) the oldest row the email index finds.
    pub async fn find_by_email(&self, email: &Email) -> Result<User, StoreError> {
        if let Some(owner) = self.owner_of(email.as_str()).await? {
            match self.get(owner).await {
                Ok(user) if email.matches(&user.email) => return Ok(user),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        self.users_with_email(email, None)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    pub async fn create(&self, user: &ValidUser, actor: &Actor) -> Result<User, StoreError> {
        let id = Uuid::new_v4();
        self.refuse_if_rows_elsewhere_have(&user.email, id, actor)
            .await?;
        let created = User {
            id,
            name: user.name.as_str().into(),
            email: user.email.as_str().into(),
        };
        if let Some(transactions) = &self.transactions {
            self.create_in_transaction(transactions, &created, &user.email)
                .await?;
            self.record_after_change(actor, Event::user_created(&created))
                .await;
            return Ok(created);
        }
        self.claim(&user.email, id).await?;
        let event = Recorded::now(actor, Event::user_created(&created));
        // The batch writes fixed values under a fixed event time, so repeating it is safe.
        let write = with_retries(|| {
            self.session.batch(
                &self.insert_user_audited,
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

    /// The user and its claim in one transaction. A claim whose holder does not have the email
    /// (left by the ordered steps, or by another client's edit) is released and the
    /// transaction tried again.
    async fn create_in_transaction(
        &self,
        transactions: &Transactions,
        created: &User,
        email: &Email,
    ) -> Result<(), StoreError> {
        for _ in 0..2 {
            // Safe to repeat: the id is new, so a claim held by it is our own earlier attempt.
            let result = with_retries(|| {
                transactions.create(&self.session, created.id, &created.name, &created.email)
            })
            .await?;
            match transactions::claim_holder(result)? {
                None => return Ok(()),
                Some(holder) if holder == created.id => return Ok(()),
                Some(holder) if self.holder_still_uses(holder, email).await? => {
                    return Err(StoreError::EmailTaken)
                }
                Some(stale) => self.release(email.as_str(), stale).await,
            }
        }
        Err(StoreError::EmailTaken)
    }

    /// Saves a new name and email if the user still has the values the person saw (`shown`;
    /// `None` takes the values read just before). Saving what is stored changes nothing and
    /// records no event.
    pub async fn update(
        &self,
        id: Uuid,
        shown: Option<&User>,
        user: &ValidUser,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        let stored = self.stored(id).await?;
        let current = User::from(stored.clone());
        let updated = User {
            id,
            name: user.name.as_str().into(),
            email: user.email.as_str().into(),
        };
        let shown = shown.unwrap_or(&current);
        if *shown != current {
            return Err(self
                .conflict(shown, Some(&updated), current.clone(), actor)
                .await);
        }
        if updated == current {
            return Ok(updated);
        }
        let email_changes = !user.email.matches(&current.email);
        if let (true, Some(transactions)) = (email_changes, &self.transactions) {
            self.refuse_if_rows_elsewhere_have(&user.email, id, actor)
                .await?;
            return match self
                .change_email_in_transaction(transactions, &stored, &updated, &user.email)
                .await
            {
                Ok(()) => {
                    self.record_after_change(actor, Event::user_updated(&current, &updated))
                        .await;
                    Ok(updated)
                }
                Err(StoreError::Conflict(now)) => {
                    Err(self.conflict(shown, Some(&updated), now, actor).await)
                }
                Err(other) => Err(other),
            };
        }
        if email_changes {
            self.refuse_if_rows_elsewhere_have(&user.email, id, actor)
                .await?;
            self.claim(&user.email, id).await?;
        }
        // The condition is on the stored values themselves (NULL included), read above.
        let applied = self
            .apply_if_unchanged(
                &self.statements.update_user_if_unchanged,
                (
                    &updated.name,
                    &updated.email,
                    id,
                    &stored.name,
                    &stored.email,
                ),
            )
            .await;
        let refused = match applied {
            Ok(true) => None,
            // A retry of a save that had applied finds our own values: that is success.
            Ok(false) => match self.get(id).await {
                Ok(now) if now == updated => None,
                Ok(now) => Some(self.conflict(shown, Some(&updated), now, actor).await),
                Err(error) => Some(error),
            },
            Err(error) => Some(error),
        };
        if let Some(error) = refused {
            if email_changes {
                self.release(user.email.as_str(), id).await;
            }
            return Err(error);
        }
        self.record_after_change(actor, Event::user_updated(&current, &updated))
            .await;
        if email_changes {
            self.release(&stored.claim_key(), id).await;
        } else {
            // A row written elsewhere keeps its email: this is the moment to give it its claim.
            self.adopt(&user.email, &updated, actor).await?;
        }
        Ok(updated)
    }

    /// Deletes the user if it still has the values the person saw (`shown`; `None` takes the
    /// values read just before).
    pub async fn delete(
        &self,
        id: Uuid,
        shown: Option<&User>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let stored = self.stored(id).await?;
        let current = User::from(stored.clone());
        let shown = shown.unwrap_or(&current);
        if *shown != current {
            return Err(self.conflict(shown, None, current.clone(), actor).await);
        }
        if let Some(transactions) = &self.transactions {
            match self.delete_in_transaction(transactions, &stored).await {
                Ok(()) => {}
                Err(StoreError::Conflict(now)) => {
                    return Err(self.conflict(shown, None, now, actor).await)
                }
                Err(other) => return Err(other),
            }
            self.record_after_change(actor, Event::user_deleted(&current))
                .await;
            return Ok(());
        }
        let applied = self
            .apply_if_unchanged(
                &self.statements.delete_user_if_unchanged,
                (id, &stored.name, &stored.email),
            )
            .await?;
        if !applied {
            match self.get(id).await {
                // Gone: a retry of our own delete, or someone deleted it too. Either way the
                // person's wish holds.
                Err(StoreError::NotFound) => {}
                Ok(now) => return Err(self.conflict(shown, None, now, actor).await),
                Err(error) => return Err(error),
            }
        }
        self.record_after_change(actor, Event::user_deleted(&current))
            .await;
        self.release(&stored.claim_key(), id).await;
        Ok(())
    }

    /// Runs a conditional write (LWT) and says whether it applied. Retried on transient errors:
    /// the callers read the row again when it did not apply, to tell their own earlier attempt
    /// from someone else's change.
    async fn apply_if_unchanged(
        &self,
        statement: &PreparedStatement,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<bool, StoreError> {
        let result = with_retries(|| self.session.execute_unpaged(statement, &values)).await?;
        Ok(lwt_outcome(result, "id")?.0)
    }

    /// Records a refused save or delete in the audit trail and gives the error that carries the
    /// user's current values.
    async fn conflict(
        &self,
        shown: &User,
        attempted: Option<&User>,
        current: User,
        actor: &Actor,
    ) -> StoreError {
        self.record_after_change(actor, Event::conflict(shown, attempted))
            .await;
        StoreError::Conflict(current)
    }

    /// Writes the event of a change that has already been applied. The change stands even if
    /// the event cannot be written after several tries; that is logged as an error.
    async fn record_after_change(&self, actor: &Actor, event: Event) {
        let action = event.action;
        let user = event.user_id;
        if let Err(error) = self.audit.record(actor, event).await {
            tracing::error!(action, ?user, %error, "a change was applied but its audit event could not be written");
        }
    }

    /// Refuses an email that another row already has (`EmailTaken`), giving that row its claim
    /// when it has none (the oldest such row).
    async fn refuse_if_rows_elsewhere_have(
        &self,
        email: &Email,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let others = self.users_with_email(email, Some(id)).await?;
        if let Some(oldest) = others.first() {
            self.adopt(email, oldest, actor).await?;
            return Err(StoreError::EmailTaken);
        }
        Ok(())
    }

    /// The name, email and both claims in one transaction, if the row still has `stored`.
    async fn change_email_in_transaction(
        &self,
        transactions: &Transactions,
        stored: &UserRow,
        updated: &User,
        email: &Email,
    ) -> Result<(), StoreError> {
        let old_claim = stored.claim_key();
        let mut releases_old_claim = self.holds_claim(&old_claim, stored.id).await?;
        for _ in 0..3 {
            let shape = stored.shape(releases_old_claim);
            let read = transactions
                .change_email(
                    &self.session,
                    shape,
                    stored.id,
                    (&stored.name, &stored.email),
                    &old_claim,
                    (&updated.name, &updated.email),
                )
                .await?;
            Self::unless_changed(stored, &read)?;
            match read.claim_holder {
                Some(holder) if self.holder_still_uses(holder, email).await? => {
                    return Err(StoreError::EmailTaken)
                }
                Some(stale) => {
                    self.release(email.as_str(), stale).await;
                    continue;
                }
                None => {}
            }
            if releases_old_claim && read.old_claim_holder != Some(stored.id) {
                releases_old_claim = false; // it changed hands meanwhile: leave it
                continue;
            }
            return Ok(());
        }
        Err(StoreError::Unavailable(
            "the email claims kept changing".into(),
        ))
    }

    /// The user and (if it holds it) its claim in one transaction, if the row still has `stored`.
    async fn delete_in_transaction(
        &self,
        transactions: &Transactions,
        stored: &UserRow,
    ) -> Result<(), StoreError> {
        let claim = stored.claim_key();
        let mut releases_old_claim = self.holds_claim(&claim, stored.id).await?;
        for _ in 0..2 {
            let shape = stored.shape(releases_old_claim);
            let read = transactions
                .delete(
                    &self.session,
                    shape,
                    stored.id,
                    (&stored.name, &stored.email),
                    &claim,
                )
                .await?;
            match Self::unless_changed(stored, &read) {
                Err(StoreError::NotFound) => return Ok(()), // deleted already: the wish holds
                other => other?,
            }
            if releases_old_claim && read.old_claim_holder != Some(stored.id) {
                releases_old_claim = false;
                continue;
            }
            return Ok(());
        }
        Err(StoreError::Unavailable(
            "the email claim kept changing".into(),
        ))
    }

    /// `NotFound` or `Conflict` (with the values the transaction read) if it found the row
    /// changed.
    fn unless_changed(stored: &UserRow, read: &Read) -> Result<(), StoreError> {
        match &read.current {
            None => Err(StoreError::NotFound),
            Some((name, email)) if *name == stored.name && *email == stored.email => Ok(()),
            Some((name, email)) => Err(StoreError::Conflict(User::from(UserRow {
                id: stored.id,
                name: name.clone(),
                email: email.clone(),
            }))),
        }
    }

    /// Whether `id` holds the claim on this (normalised) email.
    async fn holds_claim(&self, email: &str, id: Uuid) -> Result<bool, StoreError> {
        if email.is_empty() {
            return Ok(false);
        }
        Ok(self.owner_of(email).await? == Some(id))
    }

    /// Gives `user`, a row written elsewhere, the claim on its email when nobody holds it (or
    /// the holder is stale), and records that. Says whether it did.
    pub(crate) async fn adopt(
        &self,
        email: &Email,
        user: &User,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        if self.holds_claim(email.as_str(), user.id).await? {
            return Ok(false);
        }
        match self.claim(email, user.id).await {
            Ok(true) => {}
            Ok(false) | Err(StoreError::EmailTaken) => return Ok(false),
            Err(other) => return Err(other),
        }
        tracing::info!(email = email.as_str(), id = %user.id, "adopted a row written outside the app");
        self.record_after_change(actor, Event::email_adopted(user))
            .await;
        Ok(true)
    }

    /// Reconciles one row (see `reconcile`): gives its email's claim to the oldest row with that
    /// email if nobody holds it, and reports every row that shares the email.
    pub(crate) async fn reconcile_row(
        &self,
        user: &User,
        actor: &Actor,
    ) -> Result<RowReconciled, StoreError> {
        let Ok(email) = Email::parse(&user.email) else {
            return Ok(RowReconciled::NotAnEmail);
        };
        if self.holds_claim(email.as_str(), user.id).await? {
            return Ok(RowReconciled::AlreadyClaimed);
        }
        let mut rows = self.users_with_email(&email, None).await?;
        // The index does not trim: a row stored as " ann@example.com" is not among its matches.
        if !rows.iter().any(|row| row.id == user.id) {
            rows.push(user.clone());
        }
        let adopted = self.adopt(&email, &rows[0], actor).await?;
        Ok(RowReconciled::Checked {
            email,
            adopted,
            sharing_the_email: if rows.len() > 1 { rows } else { Vec::new() },
        })
    }

    /// The rows whose email is this one, however its case was written, oldest first, found
    /// through the email index; `except` leaves out one user.
    pub(crate) async fn users_with_email(
        &self,
        email: &Email,
        except: Option<Uuid>,
    ) -> Result<Vec<User>, StoreError> {
        let result = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.users_with_email, (email.as_str(),))
        })
        .await?;
        let mut rows: Vec<(Option<i64>, User)> = result
            .into_rows_result()
            .map_err(decode_error)?
            .rows::<(Uuid, Option<String>, Option<String>, Option<i64>)>()
            .map_err(decode_error)?
            .map(|row| {
                row.map(|(id, name, stored, written)| {
                    let user = User::from(UserRow {
                        id,
                        name,
                        email: stored,
                    });
                    (written, user)
                })
                .map_err(decode_error)
            })
            .collect::<Result<_, _>>()?;
        rows.retain(|(_, user)| email.matches(&user.email) && Some(user.id) != except);
        // Oldest write first; rows without a write time last; the id breaks ties.
        rows.sort_by_key(|(written, user)| (written.unwrap_or(i64::MAX), user.id));
        Ok(rows.into_iter().map(|(_, user)| user).collect())
    }

    async fn owner_of(&self, email: &str) -> Result<Option<Uuid>, StoreError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.owner_of_email, (email,))
            .await?;
        let row = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(Option<Uuid>,)>()
            .map_err(decode_error)?;
        Ok(row.and_then(|(id,)| id))
    }

    /// Makes `id` the owner of `email`, or fails with `EmailTaken` when a live user holds it.
    /// Says whether this call made the claim (false: `id` held it already).
    async fn claim(&self, email: &Email, id: Uuid) -> Result<bool, StoreError> {
        // Repeating a claim is safe: a claim we already hold answers with our own id (below).
        // The driver does not repeat it by itself, as LWTs are not idempotent in general.
        let claim = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.claim_email, (email.as_str(), id))
        })
        .await?;
        let (applied, holder) = lwt_outcome(claim, "id")?;
        if applied {
            return Ok(true);
        }
        let Some(holder) = holder else {
            return Err(StoreError::EmailTaken);
        };
        if holder == id {
            return Ok(false); // a retry of our own claim, or another request for the same id
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
            (true, _) => Ok(true),
            (false, _) => Err(StoreError::EmailTaken), // someone else took it first
        }
    }

    async fn holder_still_uses(&self, holder: Uuid, email: &Email) -> Result<bool, StoreError> {
        match self.get(holder).await {
            Ok(user) => Ok(email.matches(&user.email)),
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
