//! Changing a user's email on Cassandra 6: the new name and email, the claim on the new email and
//! (when the row holds it) the release of the old claim, in one transaction, applied only if
//! the row still has the values the person saw and nobody holds the new email.

use super::read::{add_expected, execute, NamedValues, Read};
use super::shape::{ByShape, OldClaim, Shape};
use crate::model::User;
use crate::server::users::claims::Claims;
use crate::server::users::error::UserError;
use crate::server::users::rows::UserRow;
use crate::validate::Email;
use scylla::value::CqlValue;
use scylla::DeserializeRow;
use uuid::Uuid;

pub fn cql(ks: &str, shape: Shape) -> String {
    let (name, email) = (shape.name_condition(), shape.email_condition());
    let OldClaim {
        read: old_read,
        selected: old_selected,
        condition: old_condition,
        delete: old_delete,
    } = shape.old_claim(ks);
    format!(
        "BEGIN TRANSACTION
           LET cur = (SELECT id, name, email FROM {ks}.users WHERE id = :id);
           LET taken = (SELECT id FROM {ks}.users_by_email WHERE email = :claim_key);
           {old_read}
           SELECT cur.id, cur.name, cur.email, taken.id{old_selected};
           IF cur IS NOT NULL AND {name} AND {email} AND taken IS NULL{old_condition} THEN
             UPDATE {ks}.users SET name = :name, email = :email WHERE id = :id;
             INSERT INTO {ks}.users_by_email (email, id) VALUES (:claim_key, :id);
             {old_delete}
           END IF
         COMMIT TRANSACTION"
    )
}

/// `SELECT cur.id, cur.name, cur.email, taken.id`.
#[derive(DeserializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct Selected {
    id: Option<Uuid>,
    name: Option<String>,
    email: Option<String>,
    new_claim_holder: Option<Uuid>,
}

/// `SELECT cur.id, cur.name, cur.email, taken.id, old.id`.
#[derive(DeserializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct SelectedReleasing {
    id: Option<Uuid>,
    name: Option<String>,
    email: Option<String>,
    new_claim_holder: Option<Uuid>,
    old_claim_holder: Option<Uuid>,
}

/// `statements`: the transaction of `cql` for every shape, prepared. Tried again (up to three
/// times) only when a claim it read was stale or changed hands; a failed request is an error.
pub async fn run(
    claims: &Claims,
    statements: &ByShape,
    stored: &UserRow,
    updated: &User,
    email: &Email,
) -> Result<(), UserError> {
    let old_claim = stored.claim_key();
    let mut releases_old_claim = claims.holds_claim(&old_claim, stored.id).await?;
    for _ in 0..3 {
        let shape = Shape::of(stored, releases_old_claim);
        let mut values = NamedValues::from([
            ("id", CqlValue::Uuid(stored.id)),
            ("name", CqlValue::Text(updated.name.clone())),
            ("email", CqlValue::Text(updated.email.clone())),
            ("claim_key", CqlValue::Text(email.as_str().to_owned())),
        ]);
        add_expected(&mut values, stored);
        if releases_old_claim {
            values.insert("old_claim_key", CqlValue::Text(old_claim.clone()));
        }
        let (session, statement) = (&claims.rows.session, statements.of(shape));
        let read =
            execute::<Selected, SelectedReleasing>(session, statement, &values, shape).await?;
        read.unless_changed(stored)?;
        match read.new_claim_holder {
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

impl From<Selected> for Read {
    fn from(row: Selected) -> Read {
        Read {
            current: row.id.map(|_| (row.name, row.email)),
            new_claim_holder: row.new_claim_holder,
            old_claim_holder: None,
        }
    }
}

impl From<SelectedReleasing> for Read {
    fn from(row: SelectedReleasing) -> Read {
        Read {
            current: row.id.map(|_| (row.name, row.email)),
            new_claim_holder: row.new_claim_holder,
            old_claim_holder: row.old_claim_holder,
        }
    }
}
