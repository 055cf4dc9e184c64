//! A test's view of the database: the app's stores over its keyspace (see `keyspaces`), and what
//! tests ask of the data as other clients would.

use super::at_quorum;
use super::keyspaces::{
    borrow, config_over, connect, empty, fresh_keyspace_config, make_schema_once, test_config, Loan,
};
use cassandra_users::model::{AuditEvent, Role, User};
use cassandra_users::server::{
    audit::Actor, cassandra::error::describe, cassandra::schema::drop_keyspace, config::Config,
    users::UserStore, Stores,
};
use cassandra_users::validate::validate_new_operator;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A password that passes the rules, for test operators.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestDb {
    pub stores: Arc<Stores>,
    pub config: Config,
    /// Eight hex digits that no other test has: in this test's emails and usernames.
    pub tag: String,
    keyspace: Isolation,
}

/// How a test's keyspace is kept apart from the other tests'.
enum Isolation {
    /// Shared with every test of the node: the test keeps to its own data.
    Shared,
    /// Borrowed from the pool for this test only, emptied first; given back with the loan.
    Borrowed { _loan: Loan },
    /// Made for this test, dropped at its end.
    Fresh,
}

impl TestDb {
    /// This test's stores over the shared keyspace, with this page size.
    pub async fn new(page_size: u16) -> TestDb {
        Self::with(&[("USERS_PAGE_SIZE", page_size.to_string())]).await
    }

    /// Like `new`, with other settings as the app would read them from the environment.
    pub async fn with(overrides: &[(&str, String)]) -> TestDb {
        Self::over(test_config(overrides), Isolation::Shared).await
    }

    /// Like `new`, over a `users` table made before the app's column constraints (as a table
    /// other clients have been writing to would be), so rows that break them can be written.
    pub async fn without_constraints(page_size: u16) -> TestDb {
        Self::with(&unconstrained(page_size)).await
    }

    /// A keyspace to this test alone, with the app's schema and no rows: for a test that needs
    /// a whole table (empty, all of its rows, a sweep over it, its jobs or its activity).
    pub async fn alone(page_size: u16) -> TestDb {
        Self::alone_with(&[("USERS_PAGE_SIZE", page_size.to_string())]).await
    }

    /// Like `alone`, with other settings.
    pub async fn alone_with(overrides: &[(&str, String)]) -> TestDb {
        let (keyspace, loan) = borrow(overrides);
        let db = Self::over(
            config_over(&keyspace, overrides),
            Isolation::Borrowed { _loan: loan },
        )
        .await;
        empty(db.session(), db.keyspace()).await;
        db
    }

    /// Like `alone`, over a `users` table without the column constraints.
    pub async fn alone_without_constraints(page_size: u16) -> TestDb {
        Self::alone_with(&unconstrained(page_size)).await
    }

    /// A keyspace made for this test: for one that changes the schema, or needs a table that no
    /// node has estimated yet.
    pub async fn fresh(page_size: u16) -> TestDb {
        Self::fresh_with(&[("USERS_PAGE_SIZE", page_size.to_string())]).await
    }

    /// Like `fresh`, with other settings.
    pub async fn fresh_with(overrides: &[(&str, String)]) -> TestDb {
        Self::over(fresh_keyspace_config(overrides), Isolation::Fresh).await
    }

    async fn over(config: Config, keyspace: Isolation) -> TestDb {
        make_schema_once(&config).await;
        TestDb {
            stores: Arc::new(connect(&config).await),
            config,
            tag: Uuid::new_v4().simple().to_string()[..8].to_owned(),
            keyspace,
        }
    }

    /// An email in a domain of this test's own: `ada` → `ada@t1a2b3c4d.example.com`. Written
    /// as typed: `db.email("Ada")` is normalised to `db.email("ada")`.
    pub fn email(&self, local: &str) -> String {
        email_tagged(&self.tag, local)
    }

    /// A username of this test's own: `ada` → `ada-1a2b3c4d`.
    pub fn username(&self, base: &str) -> String {
        format!("{base}-{}", self.tag)
    }

    pub fn users(&self) -> &UserStore {
        &self.stores.users
    }

    pub fn session(&self) -> &scylla::client::session::Session {
        self.stores.users.session()
    }

    pub fn keyspace(&self) -> &str {
        self.config.keyspace.as_str()
    }

    /// Every user in the keyspace, page by page as the app lists them: for a keyspace of the
    /// test's own.
    pub async fn all_users(&self) -> Vec<User> {
        assert!(
            !matches!(self.keyspace, Isolation::Shared),
            "the shared keyspace holds other tests' users too"
        );
        let (mut users, mut after) = (Vec::new(), None);
        loop {
            let page = self.users().list(after).await.expect("list users");
            users.extend(page.users);
            match page.next {
                Some(next) => after = Some(next.parse().unwrap()),
                None => return users,
            }
        }
    }

    /// Writes a row straight into `users` as another client would (the Python quickstart,
    /// cqlsh): no email claim, no audit event. `age` dates the write back, to order rows.
    pub async fn insert_elsewhere(
        &self,
        name: &str,
        email: &str,
        age: std::time::Duration,
    ) -> Uuid {
        let id = Uuid::new_v4();
        let written = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .saturating_sub(age);
        self.session()
            .query_unpaged(
                at_quorum(format!(
                    "INSERT INTO {}.users (id, name, email) VALUES (?, ?, ?) USING TIMESTAMP ?",
                    self.keyspace()
                )),
                (id, name, email, written.as_micros() as i64),
            )
            .await
            .expect("insert a row as another client");
        id
    }

    /// Who holds the claim on this (normalised) email, if anyone.
    pub async fn claim_holder(&self, email: &str) -> Option<Uuid> {
        self.session()
            .query_unpaged(
                at_quorum(format!(
                    "SELECT id FROM {}.users_by_email WHERE email = ?",
                    self.keyspace()
                )),
                (email,),
            )
            .await
            .unwrap()
            .into_rows_result()
            .unwrap()
            .maybe_first_row::<(Option<Uuid>,)>()
            .unwrap()
            .and_then(|(id,)| id)
    }

    /// The ids of every row whose email is `email` in any case, as the app's case-insensitive
    /// index finds them: one index read, whoever wrote the rows.
    pub async fn rows_with_email(&self, email: &str) -> Vec<Uuid> {
        self.session()
            .query_unpaged(
                at_quorum(format!(
                    "SELECT id FROM {}.users WHERE email = ?",
                    self.keyspace()
                )),
                (email,),
            )
            .await
            .unwrap()
            .into_rows_result()
            .unwrap()
            .rows::<(Uuid,)>()
            .unwrap()
            .map(|row| row.unwrap().0)
            .collect()
    }

    /// Of these users, the ones that are still there, as they are now, in the same order.
    pub async fn still_there(&self, users: &[&User]) -> Vec<User> {
        let mut there = Vec::new();
        for user in users {
            if let Ok(now) = self.users().get(user.id).await {
                there.push(now);
            }
        }
        there
    }

    /// The newest event of the activity feed for which `wanted` holds, looked for page by page
    /// back to the start of the feed: in the shared keyspace other tests write events too.
    pub async fn find_activity(&self, wanted: impl Fn(&AuditEvent) -> bool) -> Option<AuditEvent> {
        let mut before = None;
        loop {
            let page = self.stores.audit.activity(before).await.unwrap();
            if let Some(event) = page.events.into_iter().find(|event| wanted(event)) {
                return Some(event);
            }
            before = Some(page.next?);
        }
    }

    /// The usernames of every operator.
    pub async fn operator_names(&self) -> std::collections::HashSet<String> {
        let operators = self.stores.operators.list().await.expect("list operators");
        operators.into_iter().map(|o| o.username).collect()
    }

    /// Adds an operator with this role (password `PASSWORD`), as the CLI would.
    pub async fn operator(&self, username: &str, role: Role) {
        let new = validate_new_operator(username, role.as_str(), PASSWORD, PASSWORD)
            .expect("valid test operator");
        self.stores
            .operators
            .add(&new, &Actor::CommandLine)
            .await
            .expect("add a test operator");
    }

    /// A new operator with this role and an API token that acts as them.
    pub async fn token(&self, role: Role) -> String {
        let username = format!("{}-{}", role, &Uuid::new_v4().simple().to_string()[..8]);
        self.operator(&username, role).await;
        let name = cassandra_users::validate::Username::parse(&username).unwrap();
        self.stores
            .tokens
            .create(&name, "tests", &Actor::CommandLine)
            .await
            .expect("create a test token")
            .secret
    }

    /// The end of the test: its background work (an import worker) stops, a borrowed keyspace
    /// goes back to the pool, a new one is dropped.
    pub async fn drop(self) {
        self.stores
            .stop_background_work(Duration::from_secs(10))
            .await;
        if !matches!(self.keyspace, Isolation::Fresh) {
            return;
        }
        // Cassandra 6.0-alpha2 refuses to drop a keyspace with Accord tables, and dropping the
        // tables one by one waits minutes for Accord. `make test` removes the 6.0 node's data
        // after its run instead.
        if self.users().uses_transactions() {
            return;
        }
        let session = self.stores.users.session();
        match drop_keyspace(session, &self.config.keyspace).await {
            Ok(()) => {}
            // The drop is applied; a node just restarted on two cores can take longer than the
            // driver's 60 s to apply it too (seen after the cluster's node-kill test). Wait
            // longer, within a bound, rather than fail the test or ignore it.
            Err(scylla::errors::ExecutionError::SchemaAgreementError(first)) => {
                for _ in 0..3 {
                    if session.await_schema_agreement().await.is_ok() {
                        return;
                    }
                }
                panic!("dropped the test keyspace, and the nodes did not agree on it within 4 minutes: {first}");
            }
            Err(error) => panic!("drop the test keyspace: {}", describe(&error)),
        }
    }
}

/// The email of `local` in the domain of the test tagged `tag` (`TestDb::email`).
pub fn email_tagged(tag: &str, local: &str) -> String {
    format!("{local}@t{tag}.example.com")
}

fn unconstrained(page_size: u16) -> [(&'static str, String); 2] {
    [
        ("USERS_PAGE_SIZE", page_size.to_string()),
        ("CASSANDRA_CONSTRAINTS", "off".to_owned()),
    ]
}
