//! `UserWrites`: the changes of users, as every write path makes them.
//!
//! The store has read the row and checked it against what the person saw before it calls one of
//! these; each leaves `users`, the claim on each email in `users_by_email` and the audit trail in
//! step, and refuses with `UserError::Conflict` when the row changed in between. Two paths
//! implement it: `cassandra5_steps` (ordered steps, each safe to retry) and `cassandra6_accord`
//! (one Accord transaction per change that touches both tables).

use crate::model::User;
use crate::server::audit::Actor;
use crate::server::users::error::UserError;
use crate::server::users::rows::UserRow;
use crate::validate::Email;
use async_trait::async_trait;

#[async_trait]
pub trait UserWrites: Send + Sync {
    /// Whether the changes that touch both tables run as one transaction (Cassandra 6 with
    /// Accord) rather than as ordered steps.
    fn runs_transactions(&self) -> bool;

    /// Writes the new user `created` and claims `email`, its address as validated. Writing the
    /// same user again (a retry) changes nothing.
    async fn create_user(
        &self,
        created: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<(), UserError>;

    /// Saves `updated` (whose address as validated is `email`) over `stored`, which the person
    /// saw (`shown`), if the row still has it.
    async fn update_user(
        &self,
        stored: &UserRow,
        shown: &User,
        updated: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<User, UserError>;

    /// Deletes `stored`, which the person saw (`shown`), if the row still has it, and releases
    /// its email.
    async fn delete_user(
        &self,
        stored: &UserRow,
        shown: &User,
        actor: &Actor,
    ) -> Result<(), UserError>;
}
