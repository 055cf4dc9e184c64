//! What a reconcile run finds, kept per run: the rows that share an email (for a person to
//! resolve) and the first `RULE_BREAKERS_KEPT` rows that break the rules for names and emails.

use super::error::ReconcileError;
use crate::model::{DuplicateEmail, RuleBreaker, User};
use crate::server::cassandra::retries::with_retries;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use crate::server::users::rows::UserRow;
use futures_util::StreamExt;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use scylla::{DeserializeRow, SerializeRow};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// Rows breaking the rules that a run keeps to show (it counts them all).
pub const RULE_BREAKERS_KEPT: i64 = 100;

#[derive(SerializeRow)]
struct DuplicateRow<'a> {
    run: CqlTimeuuid,
    email: &'a str,
    id: Uuid,
    name: &'a str,
    stored_email: &'a str,
    age_rank: i32,
}

#[derive(DeserializeRow)]
struct StoredDuplicate {
    email: String,
    id: Uuid,
    name: Option<String>,
    stored_email: Option<String>,
    age_rank: Option<i32>,
}

struct Statements {
    duplicate_known: PreparedStatement,
    save_duplicate: PreparedStatement,
    duplicates_of_run: PreparedStatement,
    save_rule_breaker: PreparedStatement,
    rule_breakers_of_run: PreparedStatement,
}

pub struct Findings {
    session: Arc<Session>,
    statements: Statements,
}

impl Findings {
    pub async fn new(session: Arc<Session>, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            duplicate_known: plain(&session, format!("SELECT id FROM {ks}.reconcile_duplicates WHERE run = ? AND email = ? LIMIT 1")).await?,
            save_duplicate: plain(&session, format!("INSERT INTO {ks}.reconcile_duplicates (run, email, id, name, stored_email, age_rank) VALUES (?, ?, ?, ?, ?, ?)")).await?,
            duplicates_of_run: plain(&session, format!("SELECT email, id, name, stored_email, age_rank FROM {ks}.reconcile_duplicates WHERE run = ?")).await?,
            save_rule_breaker: plain(&session, format!("INSERT INTO {ks}.reconcile_rule_breakers (run, id, name, email, problem) VALUES (?, ?, ?, ?, ?)")).await?,
            rule_breakers_of_run: plain(&session, format!("SELECT id, name, email, problem FROM {ks}.reconcile_rule_breakers WHERE run = ? LIMIT {RULE_BREAKERS_KEPT}")).await?,
        };
        Ok(Findings {
            session,
            statements,
        })
    }

    /// Records the rows that share an email; says whether this run had not seen the email yet.
    pub async fn note_duplicates(
        &self,
        run: Uuid,
        email: &str,
        rows: &[User],
    ) -> Result<bool, ReconcileError> {
        let run = CqlTimeuuid::from(run);
        let known = with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.duplicate_known, (run, email))
        })
        .await?
        .into_rows_result()?
        .rows_num()
            > 0;
        for (age_rank, user) in (0i32..).zip(rows) {
            let row = DuplicateRow {
                run,
                email,
                id: user.id,
                name: &user.name,
                stored_email: &user.email,
                age_rank,
            };
            with_retries(|| {
                self.session
                    .execute_unpaged(&self.statements.save_duplicate, &row)
            })
            .await?;
        }
        Ok(!known)
    }

    pub async fn note_rule_breaker(
        &self,
        run: Uuid,
        row: &UserRow,
        problem: &str,
    ) -> Result<(), ReconcileError> {
        let values = (
            CqlTimeuuid::from(run),
            row.id,
            row.name.as_deref(),
            row.email.as_deref(),
            problem,
        );
        with_retries(|| {
            self.session
                .execute_unpaged(&self.statements.save_rule_breaker, &values)
        })
        .await?;
        Ok(())
    }

    pub async fn rule_breakers(&self, run: Uuid) -> Result<Vec<RuleBreaker>, ReconcileError> {
        let rows = with_retries(|| {
            self.session.execute_unpaged(
                &self.statements.rule_breakers_of_run,
                (CqlTimeuuid::from(run),),
            )
        })
        .await?
        .into_rows_result()?;
        let mut breakers = Vec::new();
        for row in rows.rows::<(Uuid, Option<String>, Option<String>, Option<String>)>()? {
            let (id, name, email, problem) = row?;
            breakers.push(RuleBreaker {
                user: User::from(UserRow { id, name, email }),
                problem: problem.unwrap_or_default(),
            });
        }
        Ok(breakers)
    }

    pub async fn duplicates(&self, run: Uuid) -> Result<Vec<DuplicateEmail>, ReconcileError> {
        let mut pager = self
            .session
            .execute_iter(
                self.statements.duplicates_of_run.clone(),
                (CqlTimeuuid::from(run),),
            )
            .await?
            .rows_stream::<StoredDuplicate>()?;
        let mut by_email: BTreeMap<String, Vec<(Option<i32>, User)>> = BTreeMap::new();
        while let Some(row) = pager.next().await {
            let row = row?;
            let user = User::from(UserRow {
                id: row.id,
                name: row.name,
                email: row.stored_email,
            });
            by_email
                .entry(row.email)
                .or_default()
                .push((row.age_rank, user));
        }
        Ok(by_email
            .into_iter()
            .map(|(email, mut users)| {
                users.sort_by_key(|(rank, _)| rank.unwrap_or(i32::MAX));
                let users = users.into_iter().map(|(_, user)| user).collect();
                DuplicateEmail { email, users }
            })
            .collect())
    }
}
