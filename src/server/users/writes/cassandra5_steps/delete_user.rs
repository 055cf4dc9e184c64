//! Deleting a user on Cassandra 5: delete the row if it still has the values read (LWT) → record
//! the event → remove its entry in name order → release the email.

use super::if_unchanged::apply_if_unchanged;
use crate::model::User;
use crate::server::audit::{Actor, Event};
use crate::server::users::claims::Claims;
use crate::server::users::conflicts::refuse;
use crate::server::users::error::UserError;
use crate::server::users::name_order::user_entries::{log_if_not_kept, UserEntries};
use crate::server::users::rows::UserRow;
use scylla::SerializeRow;
use uuid::Uuid;

/// The values of `DELETE FROM users ... IF name = :expected_name AND email = :expected_email`.
#[derive(SerializeRow)]
struct DeleteIfUnchanged<'a> {
    id: Uuid,
    expected_name: Option<&'a str>,
    expected_email: Option<&'a str>,
}

pub async fn run(
    claims: &Claims,
    names: &UserEntries,
    stored: &UserRow,
    shown: &User,
    actor: &Actor,
) -> Result<(), UserError> {
    let id = stored.id;
    let values = DeleteIfUnchanged {
        id,
        expected_name: stored.name.as_deref(),
        expected_email: stored.email.as_deref(),
    };
    let statement = &claims.rows.statements.delete_user_if_unchanged;
    if !apply_if_unchanged(&claims.rows.session, statement, &values).await? {
        match claims.rows.get(id).await {
            // Gone: a retry of our own delete, or someone deleted it too. Either way the
            // person's wish holds.
            Err(UserError::NotFound) => {}
            Ok(now) => return Err(refuse(&claims.audit, shown, None, now, actor).await),
            Err(error) => return Err(error),
        }
    }
    let deleted = User::from(stored.clone());
    claims
        .audit
        .record_applied(actor, Event::user_deleted(&deleted))
        .await;
    log_if_not_kept(names.remove(&deleted).await, id);
    claims.release(&stored.claim_key(), id).await;
    Ok(())
}
