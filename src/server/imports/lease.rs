//! Who works on a job: a lease, a row with a TTL taken with a lightweight transaction and renewed
//! while the work goes on. A server that dies stops renewing, and `LEASE` later another server
//! (or the same one, restarted) takes the job over.

use super::error::ImportError;
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::statements::lwt;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimeuuid;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a lease lasts unless renewed.
pub const LEASE: Duration = Duration::from_secs(30);
/// Renewed this often: two renewals can fail before it runs out.
const RENEW_EVERY: Duration = Duration::from_secs(10);

struct Statements {
    take: PreparedStatement,
    renew: PreparedStatement,
    give_up: PreparedStatement,
}

#[derive(Clone)]
pub struct Leases {
    session: Arc<Session>,
    statements: Arc<Statements>,
}

/// A lease held: renewed in the background until it is given up or dropped.
pub struct Lease {
    leases: Leases,
    job: Uuid,
    owner: Uuid,
    held: Arc<AtomicBool>,
    renewal: tokio::task::JoinHandle<()>,
}

impl Leases {
    pub async fn new(session: Arc<Session>, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let ttl = LEASE.as_secs();
        let statements = Statements {
            take: lwt(&session, format!("INSERT INTO {ks}.import_leases (job, owner) VALUES (?, ?) IF NOT EXISTS USING TTL {ttl}")).await?,
            renew: lwt(&session, format!("UPDATE {ks}.import_leases USING TTL {ttl} SET owner = ? WHERE job = ? IF owner = ?")).await?,
            give_up: lwt(&session, format!("DELETE FROM {ks}.import_leases WHERE job = ? IF owner = ?")).await?,
        };
        Ok(Leases {
            session,
            statements: Arc::new(statements),
        })
    }

    /// The job's lease for `owner`, if nobody holds it.
    pub async fn take(&self, job: Uuid, owner: Uuid) -> Result<Option<Lease>, ImportError> {
        let result = self
            .session
            .execute_unpaged(&self.statements.take, (CqlTimeuuid::from(job), owner))
            .await?;
        if !lwt_applied(result)? {
            return Ok(None);
        }
        let held = Arc::new(AtomicBool::new(true));
        let renewal = tokio::spawn(self.clone().keep_renewing(job, owner, held.clone()));
        Ok(Some(Lease {
            leases: self.clone(),
            job,
            owner,
            held,
            renewal,
        }))
    }

    async fn keep_renewing(self, job: Uuid, owner: Uuid, held: Arc<AtomicBool>) {
        let mut renewed_at = Instant::now();
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let values = (owner, CqlTimeuuid::from(job), owner);
            let renewed = match self.session.execute_unpaged(&self.statements.renew, values).await {
                Ok(result) => lwt_applied(result).unwrap_or(false),
                // A failed renewal is tried again at the next turn, until the lease runs out.
                Err(error) if renewed_at.elapsed() + RENEW_EVERY < LEASE => {
                    tracing::warn!(%job, %error, "could not renew an import's lease");
                    continue;
                }
                Err(_) => false,
            };
            renewed_at = Instant::now();
            if !renewed {
                tracing::warn!(%job, "lost the lease of an import; another server has it");
                held.store(false, Ordering::SeqCst);
                return;
            }
        }
    }
}

impl Lease {
    /// Whether the lease is still ours (checked between chunks).
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Gives the lease up, so another server need not wait for it to run out.
    pub async fn give_up(self) {
        self.renewal.abort();
        let values = (CqlTimeuuid::from(self.job), self.owner);
        if let Err(error) = self
            .leases
            .session
            .execute_unpaged(&self.leases.statements.give_up, values)
            .await
        {
            tracing::warn!(job = %self.job, %error, "could not give up an import's lease; it runs out by itself");
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}
