//! Updating a user on Cassandra 5: claim the new email (if it changes) → update the user if it
//! still has the values read (LWT) → record the event → move its entry in name order → release
//! the old email.

use super::if_unchanged::apply_if_unchanged;
use crate::model::User;
use crate::server::audit::{Actor, Event};
use crate::server::users::claims::Claims;
use crate::server::users::conflicts::refuse;
use crate::server::users::error::UserError;
use crate::server::users::name_order::user_entries::{log_if_not_kept, UserEntries};
use crate::server::users::rows::UserRow;
use crate::validate::Email;
use scylla::SerializeRow;
use uuid::Uuid;

/// The values of `UPDATE users ... IF name = :expected_name AND email = :expected_email`.
#[derive(SerializeRow)]
struct UpdateIfUnchanged<'a> {
    id: Uuid,
    name: &'a str,
    email: &'a str,
    expected_name: Option<&'a str>,
    expected_email: Option<&'a str>,
}

pub async fn run(
    claims: &Claims,
    names: &UserEntries,
    stored: &UserRow,
    shown: &User,
    updated: &User,
    email: &Email,
    actor: &Actor,
) -> Result<User, UserError> {
    let id = stored.id;
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
        expected_name: stored.name.as_deref(),
        expected_email: stored.email.as_deref(),
    };
    let statement = &claims.rows.statements.update_user_if_unchanged;
    let refused = match apply_if_unchanged(&claims.rows.session, statement, &values).await {
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
    let moved = names.relocate(&current, updated);
    log_if_not_kept(moved.await, id);
    if email_changes {
        claims.release(&stored.claim_key(), id).await;
    } else {
        // A row written elsewhere keeps its email: this is the moment to give it its claim.
        claims.adopt(email, updated, actor).await?;
    }
    Ok(updated.clone())
}
