//! Creating a user on Cassandra 6: the row and the claim on its email in one transaction, written
//! only if nobody holds the claim. A claim whose holder does not have the email (left by the
//! ordered steps, or by another client's edit) is released and the transaction tried again.

use crate::model::User;
use crate::server::cassandra::retries::with_retries;
use crate::server::users::claims::Claims;
use crate::server::users::error::UserError;
use crate::server::users::rows::NewUserRow;
use crate::validate::Email;
use scylla::statement::prepared::PreparedStatement;
use scylla::{DeserializeRow, SerializeRow};
use uuid::Uuid;

pub fn cql(ks: &str) -> String {
    format!(
        "BEGIN TRANSACTION
           LET claim = (SELECT id FROM {ks}.users_by_email WHERE email = :claim_key);
           SELECT claim.id;
           IF claim IS NULL THEN
             INSERT INTO {ks}.users (id, name, email) VALUES (:id, :name, :email);
             INSERT INTO {ks}.users_by_email (email, id) VALUES (:claim_key, :id);
           END IF
         COMMIT TRANSACTION"
    )
}

#[derive(SerializeRow)]
struct Values<'a> {
    /// The email as written (an import keeps the case of a file's emails).
    #[scylla(flatten)]
    row: NewUserRow<'a>,
    /// The email as validated: the key of its claim.
    claim_key: &'a str,
}

/// `SELECT claim.id`: who held the claim (`None`: nobody, so the user was written).
#[derive(DeserializeRow)]
#[scylla(flavor = "enforce_order", skip_name_checks)]
struct Read {
    claim_holder: Option<Uuid>,
}

/// `statement`: the transaction of `cql`, prepared.
pub async fn run(
    claims: &Claims,
    statement: &PreparedStatement,
    created: &User,
    email: &Email,
) -> Result<(), UserError> {
    let session = &claims.rows.session;
    let values = Values {
        row: NewUserRow::from(created),
        claim_key: email.as_str(),
    };
    for _ in 0..2 {
        // Safe to repeat: the id is new, so a claim held by it is our own earlier attempt.
        let result = with_retries(|| session.execute_unpaged(statement, &values)).await?;
        let holder = result
            .into_rows_result()?
            .maybe_first_row::<Read>()?
            .and_then(|read| read.claim_holder);
        match holder {
            None => return Ok(()),
            Some(holder) if holder == created.id => return Ok(()),
            Some(holder) if claims.holder_still_uses(holder, email).await? => {
                return Err(UserError::EmailTaken)
            }
            Some(stale) => claims.release(email.as_str(), stale).await,
        }
    }
    Err(UserError::EmailTaken)
}
