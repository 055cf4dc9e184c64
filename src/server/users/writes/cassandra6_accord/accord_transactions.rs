//! Creates, email changes and deletes on Cassandra 6 with Accord: each changes `users` and
//! `users_by_email` in one `BEGIN TRANSACTION … COMMIT TRANSACTION`, so a user and the claim on
//! its email can never be seen apart. The audit event is recorded once the transaction applied,
//! then the user's entry in name order is written (an entry only points at its user, and pages
//! check it against the row, so it need not be in the transaction).
//!
//! Used when the node runs Accord and both tables were created with `transactional_mode = 'full'`
//! (the app creates them so on such a node). A change of the name alone touches one table and
//! takes the ordered steps of Cassandra 5.

use super::statements::AccordStatements;
use super::{change_email, create_user, delete_user};
use crate::model::User;
use crate::server::audit::{Actor, Event};
use crate::server::users::claims::Claims;
use crate::server::users::conflicts::refuse;
use crate::server::users::error::UserError;
use crate::server::users::name_order::user_entries::log_if_not_kept;
use crate::server::users::rows::UserRow;
use crate::server::users::writes::cassandra5_steps::ordered_steps::OrderedSteps;
use crate::server::users::writes::user_writes::UserWrites;
use crate::validate::Email;
use async_trait::async_trait;

pub struct AccordTransactions {
    pub claims: Claims,
    pub statements: AccordStatements,
    /// For changes of the name alone.
    pub steps: OrderedSteps,
}

#[async_trait]
impl UserWrites for AccordTransactions {
    fn runs_transactions(&self) -> bool {
        true
    }

    async fn create_user(
        &self,
        created: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<(), UserError> {
        let statement = &self.statements.create_user;
        create_user::run(&self.claims, statement, created, email).await?;
        self.claims
            .audit
            .record_applied(actor, Event::user_created(created))
            .await;
        let names = &self.steps.names;
        let placed = names.place(created);
        log_if_not_kept(placed.await, created.id);
        Ok(())
    }

    async fn update_user(
        &self,
        stored: &UserRow,
        shown: &User,
        updated: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<User, UserError> {
        let claims = &self.claims;
        let current = User::from(stored.clone());
        if email.matches(&current.email) {
            return self
                .steps
                .update_user(stored, shown, updated, email, actor)
                .await;
        }
        claims
            .refuse_if_rows_elsewhere_have(email, stored.id, actor)
            .await?;
        let statements = &self.statements.change_email;
        match change_email::run(claims, statements, stored, updated, email).await {
            Ok(()) => {
                claims
                    .audit
                    .record_applied(actor, Event::user_updated(&current, updated))
                    .await;
                let moved = self.steps.names.relocate(&current, updated);
                log_if_not_kept(moved.await, stored.id);
                Ok(updated.clone())
            }
            Err(UserError::Conflict(now)) => {
                Err(refuse(&claims.audit, shown, Some(updated), now, actor).await)
            }
            Err(other) => Err(other),
        }
    }

    async fn delete_user(
        &self,
        stored: &UserRow,
        shown: &User,
        actor: &Actor,
    ) -> Result<(), UserError> {
        let claims = &self.claims;
        match delete_user::run(claims, &self.statements.delete_user, stored).await {
            Ok(()) => {}
            Err(UserError::Conflict(now)) => {
                return Err(refuse(&claims.audit, shown, None, now, actor).await)
            }
            Err(other) => return Err(other),
        }
        let deleted = User::from(stored.clone());
        claims
            .audit
            .record_applied(actor, Event::user_deleted(&deleted))
            .await;
        log_if_not_kept(self.steps.names.remove(&deleted).await, stored.id);
        Ok(())
    }
}
