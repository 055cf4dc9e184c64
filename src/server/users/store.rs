//! The users of the app, in Cassandra: what the rest of the server asks of them. Reads are
//! here; each change checks what the person saw, then takes the path the node allows:
//! `cassandra5_steps` (ordered steps) or `cassandra6_accord` (one Accord transaction).
//!
//! Edits and deletes are conditional on the values the person saw, so a change made since they
//! opened the user is never overwritten silently (`UserError::Conflict`).

use super::accord_statements::AccordStatements;
use super::cassandra5_steps::OrderedSteps;
use super::cassandra6_accord::AccordTransactions;
use super::claims::{Claims, RowReconciled};
use super::conflicts::refuse;
use super::error::UserError;
use super::rows::{Rows, UserRow};
use super::statements::Statements;
use crate::model::{Cursor, User, UserPage};
use crate::server::audit::{Actor, AuditLog};
use crate::server::config::Keyspace;
use crate::validate::{Email, ValidUser};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use std::sync::Arc;
use uuid::Uuid;

pub struct UserStore {
    claims: Claims,
    steps: OrderedSteps,
    /// On Cassandra 6 with Accord: one transaction per create, email change and delete.
    accord: Option<AccordTransactions>,
    page_size: u16,
}

impl UserStore {
    /// Prepares every statement against the tables in `keyspace`. With `accord`, the tables take
    /// part in Accord transactions (see `AccordStatements::if_tables_are_transactional`).
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        audit: Arc<AuditLog>,
        accord: Option<AccordStatements>,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let statements = Statements::prepare(&session, keyspace, accord.is_some()).await?;
        let insert_user_audited = audit.batch_with(&statements.insert_user);
        let rows = Rows {
            session,
            statements: Arc::new(statements),
        };
        let claims = Claims { rows, audit };
        Ok(UserStore {
            steps: OrderedSteps {
                claims: claims.clone(),
                insert_user_audited,
            },
            accord: accord.map(|statements| AccordTransactions {
                claims: claims.clone(),
                statements,
            }),
            claims,
            page_size,
        })
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.claims.rows.session
    }

    /// Whether creates, email changes and deletes run as Accord transactions (Cassandra 6).
    pub fn uses_transactions(&self) -> bool {
        self.accord.is_some()
    }

    /// One page of users in token order, starting after `after` (or at the start).
    /// Reads `page_size + 1` rows to know whether another page follows: O(page size).
    pub async fn list(&self, after: Option<Cursor>) -> Result<UserPage, UserError> {
        let (session, statements) = (self.session(), &self.claims.rows.statements);
        let limit = i32::from(self.page_size) + 1;
        let result = match after {
            None => {
                session
                    .execute_unpaged(&statements.first_page, (limit,))
                    .await?
            }
            Some(Cursor(id)) => {
                session
                    .execute_unpaged(&statements.page_after, (id, limit))
                    .await?
            }
        };
        let mut users: Vec<User> = result
            .into_rows_result()?
            .rows::<UserRow>()?
            .map(|row| row.map(User::from))
            .collect::<Result<_, _>>()?;
        let next = if users.len() > usize::from(self.page_size) {
            users.truncate(usize::from(self.page_size));
            users.last().map(|last| Cursor(last.id))
        } else {
            None
        };
        Ok(UserPage { users, next })
    }

    pub async fn get(&self, id: Uuid) -> Result<User, UserError> {
        self.claims.rows.get(id).await
    }

    /// The user with this email, however another client wrote it.
    pub async fn find_by_email(&self, email: &Email) -> Result<User, UserError> {
        self.claims.find_by_email(email).await
    }

    pub async fn create(&self, user: &ValidUser, actor: &Actor) -> Result<User, UserError> {
        let id = Uuid::new_v4();
        self.claims
            .refuse_if_rows_elsewhere_have(&user.email, id, actor)
            .await?;
        let created = user.user(id);
        match &self.accord {
            Some(accord) => accord.create(&created, &user.email, actor).await?,
            None => self.steps.create(&created, &user.email, actor).await?,
        }
        Ok(created)
    }

    /// Saves a new name and email if the user still has the values the person saw (`shown`;
    /// `None` takes the values read just before). Saving what is stored changes nothing and
    /// records no event.
    pub async fn update(
        &self,
        id: Uuid,
        shown: Option<&User>,
        user: &ValidUser,
        actor: &Actor,
    ) -> Result<User, UserError> {
        let stored = self.claims.rows.stored(id).await?;
        let current = User::from(stored.clone());
        let updated = user.user(id);
        let shown = shown.unwrap_or(&current);
        if *shown != current {
            let audit = &self.claims.audit;
            return Err(refuse(audit, shown, Some(&updated), current.clone(), actor).await);
        }
        if updated == current {
            return Ok(updated);
        }
        let email_changes = !user.email.matches(&current.email);
        match &self.accord {
            Some(accord) if email_changes => {
                accord
                    .update(&stored, shown, &updated, &user.email, actor)
                    .await
            }
            _ => {
                self.steps
                    .update(&stored, shown, &updated, &user.email, actor)
                    .await
            }
        }
    }

    /// Deletes the user if it still has the values the person saw (`shown`; `None` takes the
    /// values read just before).
    pub async fn delete(
        &self,
        id: Uuid,
        shown: Option<&User>,
        actor: &Actor,
    ) -> Result<(), UserError> {
        let stored = self.claims.rows.stored(id).await?;
        let current = User::from(stored.clone());
        let shown = shown.unwrap_or(&current);
        if *shown != current {
            let audit = &self.claims.audit;
            return Err(refuse(audit, shown, None, current.clone(), actor).await);
        }
        match &self.accord {
            Some(accord) => accord.delete(&stored, shown, actor).await,
            None => self.steps.delete(&stored, shown, actor).await,
        }
    }

    /// Reconciles one row written elsewhere (see `reconcile`).
    pub async fn reconcile_row(
        &self,
        user: &User,
        actor: &Actor,
    ) -> Result<RowReconciled, UserError> {
        self.claims.reconcile_row(user, actor).await
    }
}
