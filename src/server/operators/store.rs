//! Operators: the people and scripts allowed in, with their role. In the app's keyspace, so
//! every app server sees the same ones.

use super::error::OperatorError;
use super::passwords;
use crate::model::{Operator, OperatorSummary, Role};
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::{lwt, plain};
use crate::server::config::Keyspace;
use crate::validate::{NewOperator, Password, Username};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use scylla::{DeserializeRow, SerializeRow};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;

/// An operator as stored, with what sign-in needs.
#[derive(Clone, Debug)]
pub struct OperatorRecord {
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub password_hash: String,
}

impl OperatorRecord {
    pub fn operator(&self) -> Operator {
        Operator {
            username: self.username.clone(),
            role: self.role,
        }
    }
}

#[derive(DeserializeRow)]
struct OperatorRow {
    username: String,
    role: Option<String>,
    disabled: Option<bool>,
    password_hash: Option<String>,
}

#[derive(DeserializeRow)]
struct SummaryRow {
    username: String,
    role: Option<String>,
    disabled: Option<bool>,
}

#[derive(SerializeRow)]
struct NewOperatorRow<'a> {
    username: &'a str,
    password_hash: &'a str,
    role: &'a str,
    created_at: OffsetDateTime,
}

/// A role this version does not know grants the least.
fn role_of(stored: Option<String>) -> Role {
    stored.and_then(|r| r.parse().ok()).unwrap_or(Role::Viewer)
}

struct Statements {
    any_operator: PreparedStatement,
    operator: PreparedStatement,
    all_operators: PreparedStatement,
    insert_operator: PreparedStatement,
    insert_operator_without_password: PreparedStatement,
    claim_first_admin: PreparedStatement,
    set_role: PreparedStatement,
    set_disabled: PreparedStatement,
    set_password: PreparedStatement,
}

/// Admin tables are small (people and their scripts), so listing them reads at most this many.
pub const ADMIN_LIST_LIMIT: i32 = 10_000;

pub struct Operators {
    session: Arc<Session>,
    statements: Statements,
    audit: Arc<AuditLog>,
    /// Once an operator exists, one always does (there is no operator delete): no need to ask.
    setup_done: AtomicBool,
}

impl Operators {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        audit: Arc<AuditLog>,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            any_operator: plain(&session, format!("SELECT username FROM {ks}.operators LIMIT 1")).await?,
            operator: plain(&session, format!("SELECT username, role, disabled, password_hash FROM {ks}.operators WHERE username = ?")).await?,
            all_operators: plain(&session, format!("SELECT username, role, disabled FROM {ks}.operators LIMIT {ADMIN_LIST_LIMIT}")).await?,
            insert_operator: lwt(&session, format!("INSERT INTO {ks}.operators (username, password_hash, role, disabled, created_at) VALUES (?, ?, ?, false, ?) IF NOT EXISTS")).await?,
            insert_operator_without_password: lwt(&session, format!("INSERT INTO {ks}.operators (username, role, disabled, created_at) VALUES (?, ?, false, ?) IF NOT EXISTS")).await?,
            claim_first_admin: lwt(&session, format!("INSERT INTO {ks}.first_admin (claim, username) VALUES (0, ?) IF NOT EXISTS")).await?,
            set_role: lwt(&session, format!("UPDATE {ks}.operators SET role = ? WHERE username = ? IF EXISTS")).await?,
            set_disabled: lwt(&session, format!("UPDATE {ks}.operators SET disabled = ? WHERE username = ? IF EXISTS")).await?,
            set_password: lwt(&session, format!("UPDATE {ks}.operators SET password_hash = ? WHERE username = ? IF EXISTS")).await?,
        };
        Ok(Operators {
            session,
            statements,
            audit,
            setup_done: AtomicBool::new(false),
        })
    }

    /// Whether at least one operator exists (until then, the app only offers the setup page).
    pub async fn any_exists(&self) -> Result<bool, OperatorError> {
        if self.setup_done.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let exists = self
            .session
            .execute_unpaged(&self.statements.any_operator, ())
            .await?
            .into_rows_result()?
            .rows_num()
            > 0;
        if exists {
            self.setup_done.store(true, Ordering::Relaxed);
        }
        Ok(exists)
    }

    pub async fn get(&self, username: &str) -> Result<Option<OperatorRecord>, OperatorError> {
        let row = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.operator, (username,))
        })
        .await?
        .into_rows_result()?
        .maybe_first_row::<OperatorRow>()?;
        Ok(row.map(|row| OperatorRecord {
            username: row.username,
            role: role_of(row.role),
            disabled: row.disabled.unwrap_or(false),
            password_hash: row.password_hash.unwrap_or_default(),
        }))
    }

    /// The operator whose username and password these are, if they may sign in.
    pub async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<OperatorRecord>, OperatorError> {
        let record = self.get(username).await?.filter(|record| !record.disabled);
        // An operator of single sign-on has no password: checked against the decoy, as long.
        let stored = record
            .as_ref()
            .map(|record| record.password_hash.clone())
            .filter(|hash| !hash.is_empty());
        let matches = passwords::verify(password.to_owned(), stored).await;
        Ok(record.filter(|_| matches))
    }

    pub async fn list(&self) -> Result<Vec<OperatorSummary>, OperatorError> {
        let mut operators: Vec<OperatorSummary> = self
            .session
            .execute_unpaged(&self.statements.all_operators, ())
            .await?
            .into_rows_result()?
            .rows::<SummaryRow>()?
            .map(|row| {
                row.map(|row| OperatorSummary {
                    username: row.username,
                    role: role_of(row.role),
                    disabled: row.disabled.unwrap_or(false),
                })
            })
            .collect::<Result<_, _>>()?;
        operators.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(operators)
    }

    /// Adds an operator; `UsernameTaken` when the name is in use.
    pub async fn add(&self, new: &NewOperator, actor: &Actor) -> Result<Operator, OperatorError> {
        let hash = passwords::hash(new.password.as_str().to_owned()).await?;
        let row = NewOperatorRow {
            username: new.username.as_str(),
            password_hash: &hash,
            role: new.role.as_str(),
            created_at: OffsetDateTime::now_utc(),
        };
        let result = self
            .session
            .execute_unpaged(&self.statements.insert_operator, &row)
            .await?;
        if !lwt_applied(result)? {
            return Err(OperatorError::UsernameTaken);
        }
        self.setup_done.store(true, Ordering::Relaxed);
        let details = format!("added operator {} as {}", new.username.as_str(), new.role);
        self.audit
            .record(actor, Event::new(Action::OperatorAdd, details))
            .await?;
        Ok(Operator {
            username: new.username.as_str().to_owned(),
            role: new.role,
        })
    }

    /// Adds an operator without a password (one who signs in through the identity provider);
    /// `false` when the name is taken. The caller audits it, saying whose identity it is.
    pub async fn add_without_password(
        &self,
        username: &Username,
        role: Role,
    ) -> Result<bool, OperatorError> {
        let values = (username.as_str(), role.as_str(), OffsetDateTime::now_utc());
        let result = self
            .session
            .execute_unpaged(&self.statements.insert_operator_without_password, values)
            .await?;
        let added = lwt_applied(result)?;
        if added {
            self.setup_done.store(true, Ordering::Relaxed);
        }
        Ok(added)
    }

    /// Adds the first administrator, once: `SetupDone` when any operator exists already or
    /// another first administrator won the race.
    pub async fn add_first_admin(
        &self,
        username: &Username,
        password: &Password,
        actor: &Actor,
    ) -> Result<Operator, OperatorError> {
        if self.any_exists().await? {
            return Err(OperatorError::SetupDone);
        }
        let claim = self
            .session
            .execute_unpaged(&self.statements.claim_first_admin, (username.as_str(),))
            .await?;
        if !lwt_applied(claim)? {
            return Err(OperatorError::SetupDone);
        }
        let new = NewOperator {
            username: username.clone(),
            role: Role::Admin,
            password: password.clone(),
        };
        self.add(&new, actor).await
    }

    pub async fn set_role(
        &self,
        username: &Username,
        role: Role,
        actor: &Actor,
    ) -> Result<(), OperatorError> {
        self.change(
            &self.statements.set_role,
            (role.as_str(), username.as_str()),
        )
        .await?;
        let details = format!("set the role of {} to {role}", username.as_str());
        Ok(self
            .audit
            .record(actor, Event::new(Action::OperatorRole, details))
            .await?)
    }

    /// Disables (or enables again) an operator: a disabled one cannot sign in, their sessions
    /// end at their next request and their API tokens stop working.
    pub async fn set_disabled(
        &self,
        username: &Username,
        disabled: bool,
        actor: &Actor,
    ) -> Result<(), OperatorError> {
        self.change(&self.statements.set_disabled, (disabled, username.as_str()))
            .await?;
        let (action, verb) = if disabled {
            (Action::OperatorDisable, "disabled")
        } else {
            (Action::OperatorEnable, "enabled")
        };
        let details = format!("{verb} operator {}", username.as_str());
        Ok(self
            .audit
            .record(actor, Event::new(action, details))
            .await?)
    }

    /// Sets a new password; the operator's existing sessions end, because each session is bound
    /// to the password hash it was signed in with.
    pub async fn set_password(
        &self,
        username: &Username,
        password: &Password,
        actor: &Actor,
    ) -> Result<(), OperatorError> {
        let hash = passwords::hash(password.as_str().to_owned()).await?;
        self.change(&self.statements.set_password, (&hash, username.as_str()))
            .await?;
        let details = format!("reset the password of {}", username.as_str());
        Ok(self
            .audit
            .record(actor, Event::new(Action::OperatorPassword, details))
            .await?)
    }

    /// Runs an `UPDATE ... IF EXISTS` on one operator: `NotFound` when there is none.
    async fn change(
        &self,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<(), OperatorError> {
        let result = self.session.execute_unpaged(statement, values).await?;
        if lwt_applied(result)? {
            Ok(())
        } else {
            Err(OperatorError::NotFound)
        }
    }
}
