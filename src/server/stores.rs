//! Everything the app keeps in Cassandra, each store with its statements prepared, and the
//! `Database` slot that holds them once Cassandra has answered.

use super::audit::{self, AuditLog};
use super::cassandra::node::Node;
use super::cassandra::schema::{add_column_if_missing, await_agreement, ensure_keyspace, run_ddl};
use super::cassandra::session::{open_session, ConnectError};
use super::config::Config;
use super::imports::{self, Importer};
use super::operators::{
    self, ApiTokens, Operators, Passkeys, SecondFactors, SessionTable, SignIns, SsoIdentities,
};
use super::reconcile::{self, Reconciler};
use super::users::writes::cassandra6_accord::statements::AccordStatements;
use super::users::{self, indexes, UserStore};
use crate::error::AppError;
use crate::model::DatabaseInfo;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub struct Stores {
    pub node: Node,
    /// The node's release version as found on connecting.
    node_version: String,
    pub users: Arc<UserStore>,
    pub operators: Arc<Operators>,
    pub tokens: ApiTokens,
    pub sign_ins: SignIns,
    pub second_factors: SecondFactors,
    pub sso_identities: SsoIdentities,
    pub passkeys: Arc<Passkeys>,
    pub sessions: SessionTable,
    pub audit: Arc<AuditLog>,
    pub reconcile: Arc<Reconciler>,
    pub imports: Arc<Importer>,
}

impl Stores {
    /// Session → schema → prepared statements. On a node with Accord (Cassandra 6), changes to
    /// users run as transactions.
    pub async fn connect(config: &Config) -> Result<Stores, ConnectError> {
        let session = Arc::new(open_session(config).await?);
        let node = Node::new(session.clone()).await?;
        let node_version = node.release_version().await?;
        let accord = node.runs_accord(&node_version).await;
        let constraints =
            config.constraints_for_new_tables && users::constraints::supported_by(&node_version);

        let keyspace = &config.keyspace;
        ensure_keyspace(&session, keyspace, &config.replication).await?;
        let tables = [
            users::schema::tables(keyspace, accord, constraints),
            operators::schema::tables(keyspace),
            operators::second_factors::tables(keyspace),
            operators::passkeys::tables(keyspace),
            audit::schema::tables(keyspace),
            reconcile::schema::tables(keyspace),
            imports::schema::tables(keyspace),
        ];
        run_ddl(&session, tables.concat()).await?;
        for (table, column, cql_type) in reconcile::schema::ADDED_COLUMNS {
            add_column_if_missing(&session, keyspace, table, column, cql_type).await?;
        }
        await_agreement(&session).await?;
        let accord = if accord {
            AccordStatements::if_tables_are_transactional(&session, keyspace).await?
        } else {
            None
        };
        indexes::ensure(&session, keyspace, accord.is_some()).await?;

        let audit = Arc::new(AuditLog::new(session.clone(), keyspace, config.page_size).await?);
        let users = Arc::new(
            UserStore::new(
                session.clone(),
                keyspace,
                audit.clone(),
                accord,
                config.page_size,
                config.entries_per_range,
            )
            .await?,
        );
        let operators = Arc::new(Operators::new(session.clone(), keyspace, audit.clone()).await?);
        let imports = Arc::new(
            Importer::new(
                session.clone(),
                keyspace,
                users.clone(),
                audit.clone(),
                config.job_lease,
            )
            .await?,
        );
        let relying_party = config.passkeys.relying_party();
        let passkeys = Arc::new(
            Passkeys::new(
                session.clone(),
                keyspace,
                config.passkeys.clone(),
                relying_party.map_err(ConnectError::Passkeys)?,
                audit.clone(),
            )
            .await?,
        );
        Ok(Stores {
            node,
            node_version,
            tokens: ApiTokens::new(session.clone(), keyspace, operators.clone(), audit.clone())
                .await?,
            sign_ins: SignIns::new(session.clone(), keyspace, operators.clone(), audit.clone())
                .await?,
            second_factors: SecondFactors::new(
                session.clone(),
                keyspace,
                config.secrets_key.clone(),
                passkeys.clone(),
                audit.clone(),
            )
            .await?,
            passkeys: passkeys.clone(),
            sso_identities: SsoIdentities::new(
                session.clone(),
                keyspace,
                operators.clone(),
                audit.clone(),
            )
            .await?,
            reconcile: Arc::new(
                Reconciler::new(session.clone(), keyspace, users.clone(), config.job_lease).await?,
            ),
            sessions: SessionTable::new(session, keyspace).await?,
            users,
            operators,
            audit,
            imports,
        })
    }

    /// Hands the background work back before the server stops: the import worker finishes its
    /// chunk (within `finish_within`, or leaves it to be done again) and gives up its lease, a
    /// reconcile run stops after its page (both saved, so another server or a later start goes
    /// on from there).
    pub async fn stop_background_work(&self, finish_within: Duration) {
        tokio::join!(self.imports.stop(finish_within), self.reconcile.stop());
    }

    /// The node's version as found on connecting, and how changes are written: the footer shows
    /// it on every page without a query.
    pub fn connected_to(&self) -> DatabaseInfo {
        DatabaseInfo {
            version: self.node_version.clone(),
            transactions: self.users.uses_transactions(),
        }
    }
}

/// The stores once Cassandra has answered. The server starts before that and connects in the
/// background (`startup`), so until then requests get `AppError::Unavailable` instead of the
/// process failing. After the first connection the driver reconnects by itself.
#[derive(Clone, Default)]
pub struct Database(Arc<OnceLock<Arc<Stores>>>);

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.0.get().is_some() {
            "connected"
        } else {
            "connecting"
        };
        write!(f, "Database({state})")
    }
}

impl Database {
    pub fn connected(stores: Arc<Stores>) -> Self {
        let database = Database::default();
        database.fill(stores);
        database
    }

    /// Puts the stores in the slot, once.
    pub fn fill(&self, stores: Arc<Stores>) {
        let _ = self.0.set(stores);
    }

    pub fn stores(&self) -> Result<Arc<Stores>, AppError> {
        self.0.get().cloned().ok_or(AppError::unavailable())
    }
}
