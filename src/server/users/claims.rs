//! The claim on each email in `users_by_email`: made with a lightweight transaction, released
//! with `IF id = ?`, taken over once stale, and given to rows that other clients wrote.
//!
//! A claim whose user does not hold that email is either in flight (a create or an email change
//! between its steps) or stale (that sequence died half-way, or another client changed the row).
//! Once it is older than `STALE_CLAIM_AFTER`, far longer than any request, the next claimant takes
//! it over.
//!
//! Other clients (the Python quickstart, cqlsh) write `users` without claims. The email index
//! (`email_index`) finds their rows: an email that such a row has is in use, and that row is
//! given the claim ("adopted"; the oldest row when there are several).

use super::error::UserError;
use super::rows::Rows;
use crate::model::User;
use crate::server::audit::{Actor, AuditLog, Event};
use crate::server::cassandra::lwt::lwt_outcome;
use crate::server::cassandra::retries::with_retries;
use crate::validate::Email;
use scylla::DeserializeRow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// How old a claim without a matching user must be before it counts as abandoned.
pub const STALE_CLAIM_AFTER: Duration = Duration::from_secs(60);

/// What reconciling one row found.
pub enum RowReconciled {
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

#[derive(DeserializeRow)]
struct ClaimWritten {
    id: Option<Uuid>,
    written: Option<i64>,
}

#[derive(Clone)]
pub struct Claims {
    pub rows: Rows,
    pub audit: Arc<AuditLog>,
}

impl Claims {
    /// The user with this email: the holder of its claim, else (for rows written outside the
    /// app, in any case) the oldest row the email index finds.
    pub async fn find_by_email(&self, email: &Email) -> Result<User, UserError> {
        if let Some(owner) = self.owner_of(email.as_str()).await? {
            match self.rows.get(owner).await {
                Ok(user) if email.matches(&user.email) => return Ok(user),
                Ok(_) | Err(UserError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        self.rows
            .with_email(email, None)
            .await?
            .into_iter()
            .next()
            .ok_or(UserError::NotFound)
    }

    /// Refuses an email that another row already has (`EmailTaken`), giving that row its claim
    /// when it has none (the oldest such row).
    pub async fn refuse_if_rows_elsewhere_have(
        &self,
        email: &Email,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), UserError> {
        let others = self.rows.with_email(email, Some(id)).await?;
        if let Some(oldest) = others.first() {
            self.adopt(email, oldest, actor).await?;
            return Err(UserError::EmailTaken);
        }
        Ok(())
    }

    /// Whether `id` holds the claim on this (normalised) email.
    pub async fn holds_claim(&self, email: &str, id: Uuid) -> Result<bool, UserError> {
        if email.is_empty() {
            return Ok(false);
        }
        Ok(self.owner_of(email).await? == Some(id))
    }

    /// Gives `user`, a row written elsewhere, the claim on its email when nobody holds it (or
    /// the holder is stale), and records that. Says whether it did.
    pub async fn adopt(
        &self,
        email: &Email,
        user: &User,
        actor: &Actor,
    ) -> Result<bool, UserError> {
        if self.holds_claim(email.as_str(), user.id).await? {
            return Ok(false);
        }
        match self.claim(email, user.id).await {
            Ok(true) => {}
            Ok(false) | Err(UserError::EmailTaken) => return Ok(false),
            Err(other) => return Err(other),
        }
        tracing::info!(email = email.as_str(), id = %user.id, "adopted a row written outside the app");
        self.audit
            .record_applied(actor, Event::email_adopted(user))
            .await;
        Ok(true)
    }

    /// Reconciles one row (see `reconcile`): gives its email's claim to the oldest row with that
    /// email if nobody holds it, and reports every row that shares the email.
    pub async fn reconcile_row(
        &self,
        user: &User,
        actor: &Actor,
    ) -> Result<RowReconciled, UserError> {
        let Ok(email) = Email::parse(&user.email) else {
            return Ok(RowReconciled::NotAnEmail);
        };
        if self.holds_claim(email.as_str(), user.id).await? {
            return Ok(RowReconciled::AlreadyClaimed);
        }
        let mut rows = self.rows.with_email(&email, None).await?;
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

    async fn owner_of(&self, email: &str) -> Result<Option<Uuid>, UserError> {
        let row = self
            .rows
            .session
            .execute_unpaged(&self.rows.statements.owner_of_email, (email,))
            .await?
            .into_rows_result()?
            .maybe_first_row::<(Option<Uuid>,)>()?;
        Ok(row.and_then(|(id,)| id))
    }

    /// Makes `id` the owner of `email`, or fails with `EmailTaken` when a live user holds it.
    /// Says whether this call made the claim (false: `id` held it already).
    pub async fn claim(&self, email: &Email, id: Uuid) -> Result<bool, UserError> {
        let (session, statements) = (&self.rows.session, &self.rows.statements);
        // Repeating a claim is safe: a claim we already hold answers with our own id (below).
        // The driver does not repeat it by itself, as LWTs are not idempotent in general.
        let claim =
            with_retries(|| session.execute_unpaged(&statements.claim_email, (email.as_str(), id)))
                .await?;
        let (applied, holder) = lwt_outcome(claim, "id")?;
        if applied {
            return Ok(true);
        }
        let Some(holder) = holder else {
            return Err(UserError::EmailTaken);
        };
        if holder == id {
            return Ok(false); // a retry of our own claim, or another request for the same id
        }
        if self.holder_still_uses(holder, email).await?
            || !self.claim_is_stale(email, holder).await?
        {
            return Err(UserError::EmailTaken);
        }
        tracing::info!(email = email.as_str(), %holder, "taking over a stale email claim");
        let takeover = session
            .execute_unpaged(&statements.take_over_claim, (id, email.as_str(), holder))
            .await?;
        match lwt_outcome(takeover, "id")? {
            (true, _) => Ok(true),
            (false, _) => Err(UserError::EmailTaken), // someone else took it first
        }
    }

    /// Whether the user holding a claim still has that email (else the claim is left over).
    pub async fn holder_still_uses(&self, holder: Uuid, email: &Email) -> Result<bool, UserError> {
        match self.rows.get(holder).await {
            Ok(user) => Ok(email.matches(&user.email)),
            Err(UserError::NotFound) => Ok(false),
            Err(other) => Err(other),
        }
    }

    async fn claim_is_stale(&self, email: &Email, holder: Uuid) -> Result<bool, UserError> {
        let row = self
            .rows
            .session
            .execute_unpaged(&self.rows.statements.claim_written_at, (email.as_str(),))
            .await?
            .into_rows_result()?
            .maybe_first_row::<ClaimWritten>()?;
        let Some(ClaimWritten {
            id: Some(current),
            written: Some(written_micros),
        }) = row
        else {
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
    pub async fn release(&self, email: &str, id: Uuid) {
        if let Err(error) = self
            .rows
            .session
            .execute_unpaged(&self.rows.statements.release_email, (email, id))
            .await
        {
            tracing::warn!(email, %id, %error, "could not release an email claim; it will be taken over when claimed again");
        }
    }
}
