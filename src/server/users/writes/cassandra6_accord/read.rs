//! What a transaction read, before its writes: its `SELECT` answers the values its condition
//! was evaluated on, so the app evaluates the condition again to tell whether the writes applied.

use super::shape::Shape;
use crate::model::User;
use crate::server::users::error::UserError;
use crate::server::users::rows::UserRow;
use scylla::client::session::Session;
use scylla::deserialize::row::DeserializeRow;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlValue;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The row's values when the transaction ran (`None`: no row), and who held the claims it read.
#[derive(Default)]
pub struct Read {
    pub current: Option<(Option<String>, Option<String>)>,
    /// Who held the claim on the new email (`None`: nobody).
    pub new_claim_holder: Option<Uuid>,
    /// Who held the claim on the old email, when the transaction releases it.
    pub old_claim_holder: Option<Uuid>,
}

impl Read {
    /// `NotFound` or `Conflict` (with the values read) if the row is not `stored` any more.
    pub fn unless_changed(&self, stored: &UserRow) -> Result<(), UserError> {
        match &self.current {
            None => Err(UserError::NotFound),
            Some((name, email)) if *name == stored.name && *email == stored.email => Ok(()),
            Some((name, email)) => Err(UserError::Conflict(User::from(UserRow {
                id: stored.id,
                name: name.clone(),
                email: email.clone(),
            }))),
        }
    }
}

/// A transaction's values, bound by the names of its markers (`:id`, `:expected_name`, …): a
/// condition that says `IS NULL` has no marker, so its variant takes one value fewer.
pub type NamedValues = BTreeMap<&'static str, CqlValue>;

/// Adds the stored values that the condition compares (`:expected_name`, `:expected_email`),
/// leaving out the NULLs.
pub fn add_expected(values: &mut NamedValues, stored: &UserRow) {
    if let Some(name) = &stored.name {
        values.insert("expected_name", CqlValue::Text(name.clone()));
    }
    if let Some(email) = &stored.email {
        values.insert("expected_email", CqlValue::Text(email.clone()));
    }
}

/// Runs a transaction and reads what its `SELECT` answered: `Keeping` when the shape leaves the
/// old claim alone, `Releasing` when it also reads the old claim's holder.
pub async fn execute<Keeping, Releasing>(
    session: &Session,
    statement: &PreparedStatement,
    values: &NamedValues,
    shape: Shape,
) -> Result<Read, UserError>
where
    Keeping: for<'frame, 'metadata> DeserializeRow<'frame, 'metadata> + Into<Read>,
    Releasing: for<'frame, 'metadata> DeserializeRow<'frame, 'metadata> + Into<Read>,
{
    let rows = session
        .execute_unpaged(statement, values)
        .await?
        .into_rows_result()?;
    let read = if shape.releases_old_claim {
        rows.maybe_first_row::<Releasing>()?.map(Into::into)
    } else {
        rows.maybe_first_row::<Keeping>()?.map(Into::into)
    };
    Ok(read.unwrap_or_default())
}
