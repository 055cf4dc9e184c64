//! A save or delete that finds the user changed since the person opened it: refused, recorded,
//! and answered with the user's current values, so nobody's change is overwritten silently.

use super::error::UserError;
use crate::model::User;
use crate::server::audit::{Actor, AuditLog, Event};

/// Records the refusal in the audit trail and gives the error that carries `current`. `shown` is
/// what the person saw, `attempted` what they asked for (nothing for a delete).
pub async fn refuse(
    audit: &AuditLog,
    shown: &User,
    attempted: Option<&User>,
    current: User,
    actor: &Actor,
) -> UserError {
    audit
        .record_applied(actor, Event::conflict(shown, attempted))
        .await;
    UserError::Conflict(current)
}
