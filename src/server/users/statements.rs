//! Every plain and LWT statement on `users` and `users_by_email`, prepared once at start-up.
//! (The Accord transactions are in `writes::cassandra6_accord`.)

use crate::server::cassandra::statements::{lwt, plain, use_accord_levels};
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;

/// How many rows with one email an index lookup reads: more than a person can resolve anyway.
pub const EMAIL_MATCHES_READ: u32 = 100;
/// Rows a page of a whole-table read (an export) holds: a few hundred KB in memory at a time.
pub const ROWS_PER_EXPORT_PAGE: i32 = 1000;

pub struct Statements {
    pub first_page: PreparedStatement,
    pub page_after: PreparedStatement,
    pub all_users: PreparedStatement,
    pub user_by_id: PreparedStatement,
    pub owner_of_email: PreparedStatement,
    pub claim_written_at: PreparedStatement,
    pub insert_user: PreparedStatement,
    pub update_user_if_unchanged: PreparedStatement,
    pub delete_user_if_unchanged: PreparedStatement,
    pub users_with_email: PreparedStatement,
    pub claim_email: PreparedStatement,
    pub take_over_claim: PreparedStatement,
    pub release_email: PreparedStatement,
}

impl Statements {
    /// Table names are qualified with the keyspace, as Cassandra recommends for prepared
    /// statements. The keyspace is a validated identifier from configuration (CQL cannot bind
    /// identifiers); every value is a bind marker. With `accord`, every statement runs at the
    /// levels Accord tables accept.
    pub async fn prepare(
        session: &Session,
        keyspace: &Keyspace,
        accord: bool,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let mut statements = Statements {
            first_page: plain(session, format!("SELECT id, name, email FROM {ks}.users LIMIT ?")).await?,
            page_after: plain(session, format!("SELECT id, name, email FROM {ks}.users WHERE token(id) > token(?) LIMIT ?")).await?,
            all_users: plain(session, format!("SELECT id, name, email FROM {ks}.users")).await?,
            user_by_id: plain(session, format!("SELECT id, name, email FROM {ks}.users WHERE id = ?")).await?,
            owner_of_email: plain(session, format!("SELECT id FROM {ks}.users_by_email WHERE email = ?")).await?,
            claim_written_at: plain(session, format!("SELECT id, writetime(id) AS written FROM {ks}.users_by_email WHERE email = ?")).await?,
            insert_user: plain(session, format!("INSERT INTO {ks}.users (id, name, email) VALUES (?, ?, ?)")).await?,
            update_user_if_unchanged: lwt(session, format!("UPDATE {ks}.users SET name = :name, email = :email WHERE id = :id IF name = :expected_name AND email = :expected_email")).await?,
            delete_user_if_unchanged: lwt(session, format!("DELETE FROM {ks}.users WHERE id = :id IF name = :expected_name AND email = :expected_email")).await?,
            // Served by the case-insensitive email index; the oldest row first is sorted here.
            users_with_email: plain(session, format!("SELECT id, name, email, writetime(email) AS written FROM {ks}.users WHERE email = ? LIMIT {EMAIL_MATCHES_READ}")).await?,
            claim_email: lwt(session, format!("INSERT INTO {ks}.users_by_email (email, id) VALUES (?, ?) IF NOT EXISTS")).await?,
            take_over_claim: lwt(session, format!("UPDATE {ks}.users_by_email SET id = ? WHERE email = ? IF id = ?")).await?,
            release_email: lwt(session, format!("DELETE FROM {ks}.users_by_email WHERE email = ? IF id = ?")).await?,
        };
        statements.all_users.set_page_size(ROWS_PER_EXPORT_PAGE);
        if accord {
            statements.use_accord_levels();
        }
        Ok(statements)
    }

    fn use_accord_levels(&mut self) {
        for statement in [
            &mut self.first_page,
            &mut self.page_after,
            &mut self.all_users,
            &mut self.user_by_id,
            &mut self.owner_of_email,
            &mut self.claim_written_at,
            &mut self.insert_user,
            &mut self.update_user_if_unchanged,
            &mut self.delete_user_if_unchanged,
            &mut self.users_with_email,
            &mut self.claim_email,
            &mut self.take_over_claim,
            &mut self.release_email,
        ] {
            use_accord_levels(statement);
        }
    }
}
