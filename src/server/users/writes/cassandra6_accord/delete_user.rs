//! Deleting a user on Cassandra 6: the row and (when the row holds it) the claim on its email in
//! one transaction, applied only if the row still has the values the person saw.

use super::read::{add_expected, execute, NamedValues, Read};
use super::shape::{ByShape, OldClaim, Shape};
use crate::server::users::claims::Claims;
use crate::server::users::error::UserError;
use crate::server::users::rows::UserRow;
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
           {old_read}
           SELECT cur.id, cur.name, cur.email{old_selected};
           IF cur IS NOT NULL AND {name} AND {email}{old_condition} THEN
             DELETE FROM {ks}.users WHERE id = :id;
             {old_delete}
           END IF
         COMMIT TRANSACTION"
    )
}

/// `SELECT cur.id, cur.name, cur.email`.
#[derive(DeserializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct Selected {
    id: Option<Uuid>,
    name: Option<String>,
    email: Option<String>,
}

/// `SELECT cur.id, cur.name, cur.email, old.id`.
#[derive(DeserializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct SelectedReleasing {
    id: Option<Uuid>,
    name: Option<String>,
    email: Option<String>,
    old_claim_holder: Option<Uuid>,
}

/// `statements`: the transaction of `cql` for every shape, prepared.
pub async fn run(claims: &Claims, statements: &ByShape, stored: &UserRow) -> Result<(), UserError> {
    let claim = stored.claim_key();
    let mut releases_old_claim = claims.holds_claim(&claim, stored.id).await?;
    for _ in 0..2 {
        let shape = Shape::of(stored, releases_old_claim);
        let mut values = NamedValues::from([("id", CqlValue::Uuid(stored.id))]);
        add_expected(&mut values, stored);
        if releases_old_claim {
            values.insert("old_claim_key", CqlValue::Text(claim.clone()));
        }
        let (session, statement) = (&claims.rows.session, statements.of(shape));
        let read =
            execute::<Selected, SelectedReleasing>(session, statement, &values, shape).await?;
        match read.unless_changed(stored) {
            Err(UserError::NotFound) => return Ok(()), // deleted already: the wish holds
            other => other?,
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
            new_claim_holder: None,
            old_claim_holder: None,
        }
    }
}

impl From<SelectedReleasing> for Read {
    fn from(row: SelectedReleasing) -> Read {
        Read {
            current: row.id.map(|_| (row.name, row.email)),
            new_claim_holder: None,
            old_claim_holder: row.old_claim_holder,
        }
    }
}
