//! Who does a piece of work, among several app servers: a lease, a row with a TTL taken with a
//! lightweight transaction and renewed while the work goes on. A server that dies stops renewing,
//! and a lease's length later (`JOB_LEASE`) another server (or the same one, restarted) takes the
//! work over. The table is the domain's (`key PRIMARY KEY, owner uuid`); what the key means is the
//! domain's too.

use super::error::StorageError;
use super::lwt::lwt_applied;
use super::statements::lwt;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::serialize::value::SerializeValue;
use scylla::statement::prepared::PreparedStatement;
use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What a lease can be keyed by: a value of the table's key column that the log can name.
pub trait LeaseKey: SerializeValue + Display + Clone + Send + Sync + 'static {}
impl<K: SerializeValue + Display + Clone + Send + Sync + 'static> LeaseKey for K {}

/// A lease is renewed this many times in its length: two renewals can fail before it runs out.
const RENEWALS_PER_LEASE: u32 = 3;

struct Statements {
    holder: PreparedStatement,
    take: PreparedStatement,
    renew: PreparedStatement,
    give_up: PreparedStatement,
}

/// The leases of one table.
#[derive(Clone)]
pub struct Leases {
    session: Arc<Session>,
    statements: Arc<Statements>,
    length: Duration,
}

/// A lease held: renewed in the background until it is given up or dropped.
pub struct Lease<K: LeaseKey> {
    leases: Leases,
    key: K,
    owner: Uuid,
    held: Arc<AtomicBool>,
    stop_renewing: CancellationToken,
    renewal: tokio::task::JoinHandle<()>,
}

impl Leases {
    /// The leases kept in `table`, whose key column is `key` and whose other column is `owner`;
    /// each lasts `length` unless renewed.
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        table: &str,
        key: &str,
        length: Duration,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let ttl = length.as_secs();
        let statements = Statements {
            holder: super::statements::plain(&session, format!("SELECT owner FROM {ks}.{table} WHERE {key} = ?")).await?,
            take: lwt(&session, format!("INSERT INTO {ks}.{table} ({key}, owner) VALUES (?, ?) IF NOT EXISTS USING TTL {ttl}")).await?,
            renew: lwt(&session, format!("UPDATE {ks}.{table} USING TTL {ttl} SET owner = ? WHERE {key} = ? IF owner = ?")).await?,
            give_up: lwt(&session, format!("DELETE FROM {ks}.{table} WHERE {key} = ? IF owner = ?")).await?,
        };
        Ok(Leases {
            session,
            statements: Arc::new(statements),
            length,
        })
    }

    /// Who holds the lease of `key` now, if anyone.
    pub async fn holder<K: LeaseKey>(&self, key: K) -> Result<Option<Uuid>, StorageError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.holder, (key,))
            .await?;
        let row = result
            .into_rows_result()?
            .maybe_first_row::<(Option<Uuid>,)>()?;
        Ok(row.and_then(|(owner,)| owner))
    }

    /// The lease of `key` for `owner`, if nobody else holds it. One that `owner` left behind (a
    /// `Lease` dropped without `give_up`, when its work's future was dropped) is `owner`'s to
    /// take again rather than to wait out.
    pub async fn take<K: LeaseKey>(
        &self,
        key: K,
        owner: Uuid,
    ) -> Result<Option<Lease<K>>, StorageError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.take, (key.clone(), owner))
            .await?;
        if !lwt_applied(result)? {
            let again = self
                .session
                .execute_unpaged(&self.statements.renew, (owner, key.clone(), owner))
                .await?;
            if !lwt_applied(again)? {
                return Ok(None);
            }
        }
        let held = Arc::new(AtomicBool::new(true));
        let stop_renewing = CancellationToken::new();
        let renewal = tokio::spawn(self.clone().keep_renewing(
            key.clone(),
            owner,
            held.clone(),
            stop_renewing.clone(),
        ));
        Ok(Some(Lease {
            leases: self.clone(),
            key,
            owner,
            held,
            stop_renewing,
            renewal,
        }))
    }

    /// Renews the lease until it is lost or `stop` is cancelled. A renewal already sent is
    /// always waited for: giving the lease up must not race one.
    async fn keep_renewing<K: LeaseKey>(
        self,
        key: K,
        owner: Uuid,
        held: Arc<AtomicBool>,
        stop: CancellationToken,
    ) {
        let renew_every = self.length / RENEWALS_PER_LEASE;
        let mut renewed_at = Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep(renew_every) => {}
                () = stop.cancelled() => return,
            }
            let values = (owner, key.clone(), owner);
            let renewed = match self
                .session
                .execute_unpaged(&self.statements.renew, values)
                .await
            {
                Ok(result) => lwt_applied(result).unwrap_or(false),
                // A failed renewal is tried again at the next turn, until the lease runs out.
                Err(error) if renewed_at.elapsed() + renew_every < self.length => {
                    tracing::warn!(%key, %error, "could not renew a lease");
                    continue;
                }
                Err(_) => false,
            };
            renewed_at = Instant::now();
            if !renewed {
                tracing::warn!(%key, "lost a lease; another server has it");
                held.store(false, Ordering::SeqCst);
                return;
            }
        }
    }
}

impl<K: LeaseKey> Lease<K> {
    /// Whether the lease is still ours (checked between chunks).
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Gives the lease up, so another server need not wait for it to run out. A renewal in
    /// flight is let finish first: sent beside the delete, the two conditional writes on one row
    /// contended, and under load the delete could time out and leave the lease to run out.
    pub async fn give_up(mut self) {
        self.stop_renewing.cancel();
        if let Err(error) = (&mut self.renewal).await {
            tracing::warn!(key = %self.key, %error, "the lease's renewal ended badly");
        }
        self.leases.give_up(self.key.clone(), self.owner).await;
    }
}

/// How often giving a lease up is tried before it is left to run out.
const GIVE_UP_ATTEMPTS: u32 = 3;

impl Leases {
    /// Tried again when Cassandra does not answer: a server stopping under load is when giving
    /// up matters most, and a lease not given up holds its work for its whole length.
    async fn give_up<K: LeaseKey>(&self, key: K, owner: Uuid) {
        for attempt in 1..=GIVE_UP_ATTEMPTS {
            let values = (key.clone(), owner);
            match self
                .session
                .execute_unpaged(&self.statements.give_up, values)
                .await
            {
                Ok(_) => return,
                Err(error) if attempt == GIVE_UP_ATTEMPTS => {
                    tracing::warn!(%key, %error, "could not give up a lease; it runs out by itself")
                }
                Err(error) => {
                    tracing::info!(%key, %error, "could not give up a lease; trying again")
                }
            }
        }
    }
}

impl<K: LeaseKey> Drop for Lease<K> {
    fn drop(&mut self) {
        self.stop_renewing.cancel();
        self.renewal.abort();
    }
}
