//! Create, email change and delete on Cassandra 6 with Accord: each changes `users` and
//! `users_by_email` in one `BEGIN TRANSACTION … COMMIT TRANSACTION`, so a user and the claim on
//! its email can never be seen apart.
//!
//! Used when the node runs Accord and both tables were created with `transactional_mode = 'full'`
//! (the app creates them so on such a node). A change of the name alone touches one table and
//! takes the ordered-steps path (`cassandra5_steps`).

use super::accord_statements::{claim_holder, AccordStatements, Read, Shape};
use super::claims::Claims;
use super::conflicts::refuse;
use super::error::UserError;
use super::rows::UserRow;
use crate::model::User;
use crate::server::audit::{Actor, Event};
use crate::server::cassandra::retries::with_retries;
use crate::validate::Email;

pub struct AccordTransactions {
    pub claims: Claims,
    pub statements: AccordStatements,
}

impl AccordTransactions {
    /// The user and its claim in one transaction.
    pub async fn create(
        &self,
        created: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<(), UserError> {
        self.create_row_and_claim(created, email).await?;
        self.claims
            .audit
            .record_applied(actor, Event::user_created(created))
            .await;
        Ok(())
    }

    /// The name, email and both claims in one transaction, if the row still has `stored`, which
    /// the person saw (`shown`).
    pub async fn update(
        &self,
        stored: &UserRow,
        shown: &User,
        updated: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<User, UserError> {
        let claims = &self.claims;
        claims
            .refuse_if_rows_elsewhere_have(email, stored.id, actor)
            .await?;
        match self.change_email(stored, updated, email).await {
            Ok(()) => {
                let current = User::from(stored.clone());
                claims
                    .audit
                    .record_applied(actor, Event::user_updated(&current, updated))
                    .await;
                Ok(updated.clone())
            }
            Err(UserError::Conflict(now)) => {
                Err(refuse(&claims.audit, shown, Some(updated), now, actor).await)
            }
            Err(other) => Err(other),
        }
    }

    /// The user and (if it holds it) its claim in one transaction, if the row still has
    /// `stored`, which the person saw (`shown`).
    pub async fn delete(
        &self,
        stored: &UserRow,
        shown: &User,
        actor: &Actor,
    ) -> Result<(), UserError> {
        let claims = &self.claims;
        match self.delete_row_and_claim(stored).await {
            Ok(()) => {}
            Err(UserError::Conflict(now)) => {
                return Err(refuse(&claims.audit, shown, None, now, actor).await)
            }
            Err(other) => return Err(other),
        }
        claims
            .audit
            .record_applied(actor, Event::user_deleted(&User::from(stored.clone())))
            .await;
        Ok(())
    }

    /// A claim whose holder does not have the email (left by the ordered steps, or by another
    /// client's edit) is released and the transaction tried again.
    async fn create_row_and_claim(&self, created: &User, email: &Email) -> Result<(), UserError> {
        let (claims, session) = (&self.claims, &self.claims.rows.session);
        for _ in 0..2 {
            // Safe to repeat: the id is new, so a claim held by it is our own earlier attempt.
            let result = with_retries(|| {
                self.statements
                    .create(session, created.id, &created.name, &created.email)
            })
            .await?;
            match claim_holder(result)? {
                None => return Ok(()),
                Some(holder) if holder == created.id => return Ok(()),
                Some(holder) if claims.holder_still_uses(holder, email).await? => {
                    return Err(UserError::EmailTaken)
                }
                Some(stale) => claims.release(email.as_str(), stale).await,
            }
        }
        Err(UserError::EmailTaken)
    }

    async fn change_email(
        &self,
        stored: &UserRow,
        updated: &User,
        email: &Email,
    ) -> Result<(), UserError> {
        let (claims, session) = (&self.claims, &self.claims.rows.session);
        let old_claim = stored.claim_key();
        let mut releases_old_claim = claims.holds_claim(&old_claim, stored.id).await?;
        for _ in 0..3 {
            let read = self
                .statements
                .change_email(
                    session,
                    Shape::of(stored, releases_old_claim),
                    stored.id,
                    (&stored.name, &stored.email),
                    &old_claim,
                    (&updated.name, &updated.email),
                )
                .await?;
            unless_changed(stored, &read)?;
            match read.claim_holder {
                Some(holder) if claims.holder_still_uses(holder, email).await? => {
                    return Err(UserError::EmailTaken)
                }
                Some(stale) => {
                    claims.release(email.as_str(), stale).await;
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
        Err(UserError::ClaimsKeptChanging)
    }

    async fn delete_row_and_claim(&self, stored: &UserRow) -> Result<(), UserError> {
        let (claims, session) = (&self.claims, &self.claims.rows.session);
        let claim = stored.claim_key();
        let mut releases_old_claim = claims.holds_claim(&claim, stored.id).await?;
        for _ in 0..2 {
            let read = self
                .statements
                .delete(
                    session,
                    Shape::of(stored, releases_old_claim),
                    stored.id,
                    (&stored.name, &stored.email),
                    &claim,
                )
                .await?;
            match unless_changed(stored, &read) {
                Err(UserError::NotFound) => return Ok(()), // deleted already: the wish holds
                other => other?,
            }
            if releases_old_claim && read.old_claim_holder != Some(stored.id) {
                releases_old_claim = false;
                continue;
            }
            return Ok(());
        }
        Err(UserError::ClaimsKeptChanging)
    }
}

/// `NotFound` or `Conflict` (with the values the transaction read) if it found the row changed.
fn unless_changed(stored: &UserRow, read: &Read) -> Result<(), UserError> {
    match &read.current {
        None => Err(UserError::NotFound),
        Some((name, email)) if *name == stored.name && *email == stored.email => Ok(()),
        Some((name, email)) => Err(UserError::Conflict(User::from(UserRow {
            id: stored.id,
            name: name.clone(),
            email: email.clone(),
        }))),
    }
}
