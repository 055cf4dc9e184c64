//! Create, update and delete on Cassandra 5, which has no atomic write across two tables: each
//! is an ordered sequence of steps that is safe to retry and never leaves a user without the
//! claim on their email.
//! - create: claim the email (LWT) → write the user and its audit event in one logged batch →
//!   on failure, undo the claim;
//! - update: claim the new email → update the user if unchanged (LWT) → release the old email;
//! - delete: delete the user if unchanged (LWT) → release the email.
//!
//! A conditional write cannot share a batch with other tables, so updates and deletes write
//! their audit event right after they apply. On Cassandra 6, changes of the name alone take
//! this path too: they touch one table.

use super::claims::Claims;
use super::conflicts::refuse;
use super::error::UserError;
use super::rows::{NewUserRow, UserRow};
use super::search_terms::terms;
use crate::model::User;
use crate::server::audit::{Actor, Event, Recorded};
use crate::server::cassandra::lwt::lwt_outcome;
use crate::server::cassandra::retries::with_retries;
use crate::validate::Email;
use scylla::serialize::row::SerializeRow;
use scylla::statement::batch::Batch;
use scylla::statement::prepared::PreparedStatement;
use scylla::SerializeRow;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The values of `UPDATE users ... IF name = :expected_name AND email = :expected_email`.
#[derive(SerializeRow)]
struct UpdateIfUnchanged<'a> {
    id: Uuid,
    name: &'a str,
    email: &'a str,
    search_terms: BTreeSet<String>,
    expected_name: Option<&'a str>,
    expected_email: Option<&'a str>,
}

/// The values of `DELETE FROM users ... IF name = :expected_name AND email = :expected_email`.
#[derive(SerializeRow)]
struct DeleteIfUnchanged<'a> {
    id: Uuid,
    expected_name: Option<&'a str>,
    expected_email: Option<&'a str>,
}

pub struct OrderedSteps {
    pub claims: Claims,
    /// A new user together with its audit event (see `AuditLog::batch_with`).
    pub insert_user_audited: Batch,
}

impl OrderedSteps {
    pub async fn create(
        &self,
        created: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<(), UserError> {
        self.claims.claim(email, created.id).await?;
        let event = Recorded::now(actor, Event::user_created(created));
        let row = NewUserRow::from(created);
        // The batch writes fixed values under a fixed event time, so repeating it is safe.
        let (by_slot, slot, day) = event.activity();
        let values = (&row, event.by_user(), by_slot, slot, day);
        let write = with_retries(|| {
            self.claims
                .rows
                .session
                .batch(&self.insert_user_audited, &values)
        })
        .await;
        if let Err(error) = write {
            self.claims.release(email.as_str(), created.id).await;
            return Err(error.into());
        }
        Ok(())
    }

    /// Saves `updated` over `stored`, which the person saw (`shown`), if the row still has it.
    pub async fn update(
        &self,
        stored: &UserRow,
        shown: &User,
        updated: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<User, UserError> {
        let (claims, id) = (&self.claims, stored.id);
        let current = User::from(stored.clone());
        let email_changes = !email.matches(&current.email);
        if email_changes {
            claims
                .refuse_if_rows_elsewhere_have(email, id, actor)
                .await?;
            claims.claim(email, id).await?;
        }
        // The condition is on the stored values themselves (NULL included), read above.
        let values = UpdateIfUnchanged {
            id,
            name: &updated.name,
            email: &updated.email,
            search_terms: terms(&updated.name, &updated.email),
            expected_name: stored.name.as_deref(),
            expected_email: stored.email.as_deref(),
        };
        let statement = &claims.rows.statements.update_user_if_unchanged;
        let refused = match self.apply_if_unchanged(statement, &values).await {
            Ok(true) => None,
            // A retry of a save that had applied finds our own values: that is success.
            Ok(false) => match claims.rows.get(id).await {
                Ok(now) if now == *updated => None,
                Ok(now) => Some(refuse(&claims.audit, shown, Some(updated), now, actor).await),
                Err(error) => Some(error),
            },
            Err(error) => Some(error),
        };
        if let Some(error) = refused {
            if email_changes {
                claims.release(email.as_str(), id).await;
            }
            return Err(error);
        }
        claims
            .audit
            .record_applied(actor, Event::user_updated(&current, updated))
            .await;
        if email_changes {
            claims.release(&stored.claim_key(), id).await;
        } else {
            // A row written elsewhere keeps its email: this is the moment to give it its claim.
            claims.adopt(email, updated, actor).await?;
        }
        Ok(updated.clone())
    }

    /// Deletes `stored`, which the person saw (`shown`), if the row still has it.
    pub async fn delete(
        &self,
        stored: &UserRow,
        shown: &User,
        actor: &Actor,
    ) -> Result<(), UserError> {
        let (claims, id) = (&self.claims, stored.id);
        let values = DeleteIfUnchanged {
            id,
            expected_name: stored.name.as_deref(),
            expected_email: stored.email.as_deref(),
        };
        let statement = &claims.rows.statements.delete_user_if_unchanged;
        if !self.apply_if_unchanged(statement, &values).await? {
            match claims.rows.get(id).await {
                // Gone: a retry of our own delete, or someone deleted it too. Either way the
                // person's wish holds.
                Err(UserError::NotFound) => {}
                Ok(now) => return Err(refuse(&claims.audit, shown, None, now, actor).await),
                Err(error) => return Err(error),
            }
        }
        claims
            .audit
            .record_applied(actor, Event::user_deleted(&User::from(stored.clone())))
            .await;
        claims.release(&stored.claim_key(), id).await;
        Ok(())
    }

    /// Runs a conditional write (LWT) and says whether it applied. Retried on transient errors:
    /// the callers read the row again when it did not apply, to tell their own earlier attempt
    /// from someone else's change.
    async fn apply_if_unchanged(
        &self,
        statement: &PreparedStatement,
        values: &impl SerializeRow,
    ) -> Result<bool, UserError> {
        let session = &self.claims.rows.session;
        let result = with_retries(|| session.execute_unpaged(statement, values)).await?;
        Ok(lwt_outcome(result, "id")?.0)
    }
}
