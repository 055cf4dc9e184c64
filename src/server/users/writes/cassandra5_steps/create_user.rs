//! Creating a user on Cassandra 5: claim the email, then write the user with its audit event and
//! its entry in name order in one logged batch; undo the claim if the batch fails.

use crate::model::User;
use crate::server::audit::{Actor, Event, Recorded};
use crate::server::cassandra::retries::with_retries;
use crate::server::users::claims::Claims;
use crate::server::users::error::UserError;
use crate::server::users::name_order::user_entries::{log_if_not_kept, UserEntries};
use crate::server::users::rows::NewUserRow;
use crate::validate::Email;
use scylla::statement::batch::Batch;

/// `insert_user_audited`: the batch of the row, its audit event (`AuditLog::batch_with`) and its
/// entry in name order.
pub async fn run(
    claims: &Claims,
    names: &UserEntries,
    insert_user_audited: &Batch,
    created: &User,
    email: &Email,
    actor: &Actor,
) -> Result<(), UserError> {
    let entries = names.name_rows(created).await?;
    claims.claim(email, created.id).await?;
    let event = Recorded::now(actor, Event::user_created(created));
    let row = NewUserRow::from(created);
    // The batch writes fixed values under a fixed event time, so repeating it is safe.
    let (by_slot, slot, day) = event.activity();
    let values = (&row, event.by_user(), by_slot, slot, day, &entries.in_batch);
    let write = with_retries(|| claims.rows.session.batch(insert_user_audited, &values)).await;
    if let Err(error) = write {
        claims.release(email.as_str(), created.id).await;
        return Err(error.into());
    }
    // Search finds the user once these are written too; reconcile writes them if this fails.
    log_if_not_kept(names.after_create(created, entries).await, created.id);
    Ok(())
}
