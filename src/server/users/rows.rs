//! Rows of `users` as stored, and the reads of them that every change starts from.

use super::error::UserError;
use super::statements::Statements;
use crate::model::User;
use crate::server::cassandra::retries::with_retries;
use crate::validate::Email;
use scylla::client::session::Session;
use scylla::{DeserializeRow, SerializeRow};
use std::sync::Arc;
use uuid::Uuid;

/// A row as stored: a column another client left empty is `None`, not "".
#[derive(Clone, Debug, DeserializeRow, SerializeRow)]
pub struct UserRow {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl UserRow {
    /// The key of this row's email in `users_by_email` ("" when it has none).
    pub fn claim_key(&self) -> String {
        self.email
            .as_deref()
            .map(Email::normalise)
            .unwrap_or_default()
    }
}

/// A row as the app writes it.
#[derive(SerializeRow)]
pub struct NewUserRow<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub email: &'a str,
}

impl<'a> From<&'a User> for NewUserRow<'a> {
    fn from(user: &'a User) -> Self {
        NewUserRow {
            id: user.id,
            name: &user.name,
            email: &user.email,
        }
    }
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            name: row.name.unwrap_or_default(),
            email: row.email.unwrap_or_default(),
        }
    }
}

/// A row found through the email index, with when its email was written.
#[derive(DeserializeRow)]
struct EmailMatch {
    id: Uuid,
    name: Option<String>,
    email: Option<String>,
    written: Option<i64>,
}

/// Reads of `users` by id and by email.
#[derive(Clone)]
pub struct Rows {
    pub session: Arc<Session>,
    pub statements: Arc<Statements>,
}

impl Rows {
    /// The row as stored.
    pub async fn stored(&self, id: Uuid) -> Result<UserRow, UserError> {
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.user_by_id, (id,))
        })
        .await?
        .into_rows_result()?
        .maybe_first_row::<UserRow>()?
        .ok_or(UserError::NotFound)
    }

    pub async fn get(&self, id: Uuid) -> Result<User, UserError> {
        self.stored(id).await.map(User::from)
    }

    /// The rows whose email is this one, however its case was written, oldest first, found
    /// through the email index; `except` leaves out one user.
    pub async fn with_email(
        &self,
        email: &Email,
        except: Option<Uuid>,
    ) -> Result<Vec<User>, UserError> {
        let mut rows: Vec<(Option<i64>, User)> = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.users_with_email, (email.as_str(),))
        })
        .await?
        .into_rows_result()?
        .rows::<EmailMatch>()?
        .map(|row| {
            row.map(|row| {
                let user = User::from(UserRow {
                    id: row.id,
                    name: row.name,
                    email: row.email,
                });
                (row.written, user)
            })
        })
        .collect::<Result<_, _>>()?;
        rows.retain(|(_, user)| email.matches(&user.email) && Some(user.id) != except);
        // Oldest write first; rows without a write time last; the id breaks ties.
        rows.sort_by_key(|(written, user)| (written.unwrap_or(i64::MAX), user.id));
        Ok(rows.into_iter().map(|(_, user)| user).collect())
    }
}
