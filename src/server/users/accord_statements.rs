//! The CQL of Cassandra 6's Accord transactions on `users` and `users_by_email`, prepared once.
//!
//! A transaction's `SELECT` returns what it read, before its writes; the condition is evaluated
//! again from those values to tell whether the writes applied. Accord tables refuse the LOCAL_*
//! consistency levels, so every statement on these tables runs at QUORUM (and SERIAL).
//!
//! A condition on a column that holds NULL must say `IS NULL` (a bound NULL is refused), so the
//! statements that compare stored values come in one variant per shape of the stored row,
//! all prepared at start-up.

use super::error::UserError;
use super::rows::UserRow;
use super::search_terms::terms;
use crate::server::cassandra::statements::{lwt, use_accord_levels};
use crate::server::cassandra::StorageError;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::response::query_result::QueryResult;
use scylla::statement::prepared::PreparedStatement;
use scylla::statement::{Consistency, SerialConsistency};
use scylla::value::CqlValue;
use uuid::Uuid;

/// How the stored row looks, which decides the statement variant.
#[derive(Clone, Copy)]
pub struct Shape {
    pub name_is_null: bool,
    pub email_is_null: bool,
    /// Whether the row holds the claim on its current email, to be deleted with the change.
    pub releases_old_claim: bool,
}

impl Shape {
    /// The shape of `row`; `releases_old_claim`: whether the row holds the claim on its email.
    pub fn of(row: &UserRow, releases_old_claim: bool) -> Shape {
        Shape {
            name_is_null: row.name.is_none(),
            email_is_null: row.email.is_none(),
            releases_old_claim,
        }
    }

    fn index(self) -> usize {
        usize::from(self.name_is_null)
            | usize::from(self.email_is_null) << 1
            | usize::from(self.releases_old_claim) << 2
    }

    fn all() -> impl Iterator<Item = Shape> {
        (0..8).map(|bits| Shape {
            name_is_null: bits & 1 != 0,
            email_is_null: bits & 2 != 0,
            releases_old_claim: bits & 4 != 0,
        })
    }
}

/// `cur.name = ?` or `cur.name IS NULL`.
fn equals(column: &str, is_null: bool) -> String {
    if is_null {
        format!("cur.{column} IS NULL")
    } else {
        format!("cur.{column} = ?")
    }
}

pub struct AccordStatements {
    create: PreparedStatement,
    /// By `Shape::index`.
    change_email: Vec<PreparedStatement>,
    /// By `Shape::index`.
    delete: Vec<PreparedStatement>,
}

/// What a transaction read, to tell whether it applied.
pub struct Read {
    pub current: Option<(Option<String>, Option<String>)>,
    pub claim_holder: Option<Uuid>,
    pub old_claim_holder: Option<Uuid>,
}

impl AccordStatements {
    /// Prepares the transactions if both tables take part in Accord; `None` (and a log line
    /// saying why) if they do not, for instance because they were created before Accord was on.
    pub async fn if_tables_are_transactional(
        session: &Session,
        keyspace: &Keyspace,
    ) -> Result<Option<Self>, ExecutionError> {
        let ks = keyspace.as_str();
        let probe = format!(
            "BEGIN TRANSACTION
               LET u = (SELECT id FROM {ks}.users WHERE id = 00000000-0000-0000-0000-000000000000);
               LET c = (SELECT id FROM {ks}.users_by_email WHERE email = 'probe@example.invalid');
               SELECT u.id, c.id;
             COMMIT TRANSACTION"
        );
        let mut statement = scylla::statement::unprepared::Statement::new(probe);
        statement.set_consistency(Consistency::Quorum);
        statement.set_serial_consistency(Some(SerialConsistency::Serial));
        if let Err(error) = session.query_unpaged(statement, ()).await {
            tracing::warn!(
                "Accord is on, but {ks}.users and {ks}.users_by_email do not take part in \
                 transactions ({error}); changes use ordered steps. Tables created by this app on \
                 a node with Accord have transactional_mode = 'full'."
            );
            return Ok(None);
        }
        Self::prepare(session, keyspace).await.map(Some)
    }

    async fn prepare(session: &Session, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let create = format!(
            "BEGIN TRANSACTION
               LET claim = (SELECT id FROM {ks}.users_by_email WHERE email = ?);
               SELECT claim.id;
               IF claim IS NULL THEN
                 INSERT INTO {ks}.users (id, name, email, search_terms) VALUES (?, ?, ?, ?);
                 INSERT INTO {ks}.users_by_email (email, id) VALUES (?, ?);
               END IF
             COMMIT TRANSACTION"
        );
        let mut change_email = Vec::new();
        let mut delete = Vec::new();
        for shape in Shape::all() {
            let (old_let, old_select, old_condition, old_delete) = if shape.releases_old_claim {
                (
                    format!("LET old = (SELECT id FROM {ks}.users_by_email WHERE email = ?);"),
                    ", old.id",
                    " AND old.id = ?",
                    format!("DELETE FROM {ks}.users_by_email WHERE email = ?;"),
                )
            } else {
                (String::new(), "", "", String::new())
            };
            let (name, email) = (
                equals("name", shape.name_is_null),
                equals("email", shape.email_is_null),
            );
            change_email.push(
                prepare(
                    session,
                    format!(
                        "BEGIN TRANSACTION
                           LET cur = (SELECT id, name, email FROM {ks}.users WHERE id = ?);
                           LET taken = (SELECT id FROM {ks}.users_by_email WHERE email = ?);
                           {old_let}
                           SELECT cur.id, cur.name, cur.email, taken.id{old_select};
                           IF cur IS NOT NULL AND {name} AND {email} AND taken IS NULL{old_condition} THEN
                             UPDATE {ks}.users SET name = ?, email = ?, search_terms = ? WHERE id = ?;
                             INSERT INTO {ks}.users_by_email (email, id) VALUES (?, ?);
                             {old_delete}
                           END IF
                         COMMIT TRANSACTION"
                    ),
                )
                .await?,
            );
            delete.push(
                prepare(
                    session,
                    format!(
                        "BEGIN TRANSACTION
                           LET cur = (SELECT id, name, email FROM {ks}.users WHERE id = ?);
                           {old_let}
                           SELECT cur.id, cur.name, cur.email{old_select};
                           IF cur IS NOT NULL AND {name} AND {email}{old_condition} THEN
                             DELETE FROM {ks}.users WHERE id = ?;
                             {old_delete}
                           END IF
                         COMMIT TRANSACTION"
                    ),
                )
                .await?,
            );
        }
        Ok(AccordStatements {
            create: prepare(session, create).await?,
            change_email,
            delete,
        })
    }

    /// Inserts the user and its claim if nobody holds the claim; `claim_holder` reads who did.
    pub async fn create(
        &self,
        session: &Session,
        id: Uuid,
        name: &str,
        email: &str,
    ) -> Result<QueryResult, ExecutionError> {
        let search_terms = terms(name, email);
        session
            .execute_unpaged(
                &self.create,
                (email, id, name, email, &search_terms, email, id),
            )
            .await
    }

    /// Changes name and email, claims the new email and (per `shape`) deletes the old claim, if
    /// the row still has `stored` and nobody holds the new email.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_email(
        &self,
        session: &Session,
        shape: Shape,
        id: Uuid,
        stored: (&Option<String>, &Option<String>),
        old_claim: &str,
        new: (&str, &str),
    ) -> Result<Read, UserError> {
        let (name, email) = new;
        let mut values = vec![CqlValue::Uuid(id), text(email)];
        if shape.releases_old_claim {
            values.push(text(old_claim));
        }
        push_stored(&mut values, stored);
        if shape.releases_old_claim {
            values.push(CqlValue::Uuid(id));
        }
        let search_terms = terms(name, email).into_iter().map(CqlValue::Text).collect();
        values.extend([
            text(name),
            text(email),
            CqlValue::Set(search_terms),
            CqlValue::Uuid(id),
            text(email),
            CqlValue::Uuid(id),
        ]);
        if shape.releases_old_claim {
            values.push(text(old_claim));
        }
        let result = session
            .execute_unpaged(&self.change_email[shape.index()], values)
            .await?;
        Read::from(result, true, shape.releases_old_claim)
    }

    /// Deletes the user and its claim if the row still has `stored` and holds the claim.
    pub async fn delete(
        &self,
        session: &Session,
        shape: Shape,
        id: Uuid,
        stored: (&Option<String>, &Option<String>),
        claim: &str,
    ) -> Result<Read, UserError> {
        let mut values = vec![CqlValue::Uuid(id)];
        if shape.releases_old_claim {
            values.push(text(claim));
        }
        push_stored(&mut values, stored);
        if shape.releases_old_claim {
            values.push(CqlValue::Uuid(id));
        }
        values.push(CqlValue::Uuid(id));
        if shape.releases_old_claim {
            values.push(text(claim));
        }
        let result = session
            .execute_unpaged(&self.delete[shape.index()], values)
            .await?;
        Read::from(result, false, shape.releases_old_claim)
    }
}

fn text(value: &str) -> CqlValue {
    CqlValue::Text(value.to_owned())
}

/// The stored values the condition compares with, leaving out the NULLs (`IS NULL` in the CQL).
fn push_stored(values: &mut Vec<CqlValue>, (name, email): (&Option<String>, &Option<String>)) {
    values.extend(name.iter().map(|name| text(name)));
    values.extend(email.iter().map(|email| text(email)));
}

/// Who held the claim when `create` ran (`None`: nobody, so the user was written).
pub fn claim_holder(result: QueryResult) -> Result<Option<Uuid>, StorageError> {
    let row = result
        .into_rows_result()?
        .maybe_first_row::<(Option<Uuid>,)>()?;
    Ok(row.and_then(|(holder,)| holder))
}

impl Read {
    /// Reads `SELECT cur.id, cur.name, cur.email[, taken.id][, old.id]`.
    fn from(result: QueryResult, with_taken: bool, with_old: bool) -> Result<Read, UserError> {
        let rows = result.into_rows_result()?;
        let Some(row) = rows.maybe_first_row::<scylla::value::Row>()? else {
            return Ok(Read {
                current: None,
                claim_holder: None,
                old_claim_holder: None,
            });
        };
        let column = |i: usize| row.columns.get(i).cloned().flatten();
        let as_text = |value: Option<CqlValue>| value.and_then(|v| v.into_string());
        let current = column(0)
            .and_then(|id| id.as_uuid())
            .map(|_| (as_text(column(1)), as_text(column(2))));
        let claim_holder = with_taken
            .then(|| column(3))
            .flatten()
            .and_then(|v| v.as_uuid());
        let old_position = if with_taken { 4 } else { 3 };
        let old_claim_holder = with_old
            .then(|| column(old_position))
            .flatten()
            .and_then(|v| v.as_uuid());
        Ok(Read {
            current,
            claim_holder,
            old_claim_holder,
        })
    }
}

async fn prepare(session: &Session, cql: String) -> Result<PreparedStatement, ExecutionError> {
    // Not idempotent: the driver must not repeat a transaction on its own.
    let mut statement = lwt(session, cql).await?;
    use_accord_levels(&mut statement);
    Ok(statement)
}
