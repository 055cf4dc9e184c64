//! Creates, updates and deletes on Cassandra 5, which has no atomic write across two tables: each
//! is an ordered sequence of steps that is safe to retry and never leaves a user without the
//! claim on their email.
//! - `create_user`: claim the email (LWT) → write the user, its audit event and its entry in name
//!   order in one logged batch → on failure, undo the claim;
//! - `update_user`: claim the new email → update the user if unchanged (LWT) → move its entry in
//!   name order → release the old email;
//! - `delete_user`: delete the user if unchanged (LWT) → remove its entry → release the email.
//!
//! A conditional write cannot share a batch with other tables, so updates and deletes write
//! their audit event right after they apply. On Cassandra 6, changes of the name alone take
//! this path too: they touch one table.

use super::{create_user, delete_user, update_user};
use crate::model::User;
use crate::server::audit::Actor;
use crate::server::users::claims::Claims;
use crate::server::users::error::UserError;
use crate::server::users::name_order::user_entries::UserEntries;
use crate::server::users::rows::UserRow;
use crate::server::users::writes::user_writes::UserWrites;
use crate::validate::Email;
use async_trait::async_trait;
use scylla::statement::batch::Batch;
use std::sync::Arc;

pub struct OrderedSteps {
    pub claims: Claims,
    /// A new user together with its audit event (see `AuditLog::batch_with`) and its entry in
    /// name order.
    pub insert_user_audited: Batch,
    pub names: Arc<UserEntries>,
}

#[async_trait]
impl UserWrites for OrderedSteps {
    fn runs_transactions(&self) -> bool {
        false
    }

    async fn create_user(
        &self,
        created: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<(), UserError> {
        create_user::run(
            &self.claims,
            &self.names,
            &self.insert_user_audited,
            created,
            email,
            actor,
        )
        .await
    }

    async fn update_user(
        &self,
        stored: &UserRow,
        shown: &User,
        updated: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<User, UserError> {
        update_user::run(
            &self.claims,
            &self.names,
            stored,
            shown,
            updated,
            email,
            actor,
        )
        .await
    }

    async fn delete_user(
        &self,
        stored: &UserRow,
        shown: &User,
        actor: &Actor,
    ) -> Result<(), UserError> {
        delete_user::run(&self.claims, &self.names, stored, shown, actor).await
    }
}
