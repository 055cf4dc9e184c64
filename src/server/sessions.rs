//! Sign-in sessions in Cassandra, for `tower-sessions`: any number of app servers share them and
//! a restart signs nobody out.
//!
//! The cookie carries the session id (128 random bits). The table is keyed by the SHA-256 of that
//! id, so a copy of the table lets nobody act as anyone, and every row carries a TTL equal to the
//! session's remaining life, so Cassandra forgets ended sessions by itself.

use super::config::Keyspace;
use super::db::plain;
use super::passwords::secret_digest;
use super::store::{decode_error, StoreError};
use super::Database;
use async_trait::async_trait;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The `sessions` table.
pub struct SessionTable {
    session: Arc<Session>,
    save: PreparedStatement,
    load: PreparedStatement,
    delete: PreparedStatement,
}

impl SessionTable {
    pub async fn new(session: Arc<Session>, keyspace: &Keyspace) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        Ok(SessionTable {
            save: plain(&session, format!("INSERT INTO {ks}.sessions (id_hash, data, expires_at) VALUES (?, ?, ?) USING TTL ?")).await?,
            load: plain(&session, format!("SELECT data, expires_at FROM {ks}.sessions WHERE id_hash = ?")).await?,
            delete: plain(&session, format!("DELETE FROM {ks}.sessions WHERE id_hash = ?")).await?,
            session,
        })
    }

    async fn save(&self, record: &Record) -> Result<(), StoreError> {
        let left_ms = (record.expiry_date - OffsetDateTime::now_utc()).whole_milliseconds();
        if left_ms < 1 {
            return self.delete(&record.id).await;
        }
        // Cassandra counts a TTL from the current whole second, so a row can vanish up to a second
        // early: round up and add one. `load` checks `expires_at` itself, so the session does
        // not last any longer for it.
        let ttl = (left_ms + 999) / 1000 + 1;
        let data = serde_json::to_string(&record.data)
            .map_err(|e| StoreError::Internal(format!("session data: {e}")))?;
        self.session
            .execute_unpaged(
                &self.save,
                (
                    key(&record.id),
                    data,
                    record.expiry_date,
                    i32::try_from(ttl).unwrap_or(i32::MAX),
                ),
            )
            .await?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>, StoreError> {
        let result = self.session.execute_unpaged(&self.load, (key(id),)).await?;
        let row = result
            .into_rows_result()
            .map_err(decode_error)?
            .maybe_first_row::<(Option<String>, Option<OffsetDateTime>)>()
            .map_err(decode_error)?;
        let Some((Some(data), Some(expiry_date))) = row else {
            return Ok(None);
        };
        if expiry_date <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        let data = serde_json::from_str(&data).map_err(decode_error)?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<(), StoreError> {
        self.session
            .execute_unpaged(&self.delete, (key(id),))
            .await?;
        Ok(())
    }
}

fn key(id: &Id) -> String {
    secret_digest(&id.to_string())
}

/// The `SessionStore` that `tower-sessions` calls. It exists before Cassandra answers (the
/// router is built at start-up), so it reaches the table through the `Database` slot.
#[derive(Clone, Debug)]
pub struct CassandraSessions(pub Database);

impl CassandraSessions {
    fn table(&self) -> session_store::Result<Arc<super::Stores>> {
        self.0
            .stores()
            .map_err(|_| session_store::Error::Backend("the database is unavailable".into()))
    }
}

fn backend(error: StoreError) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for CassandraSessions {
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.table()?.sessions.save(record).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.table()?.sessions.load(id).await.map_err(backend)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.table()?.sessions.delete(id).await.map_err(backend)
    }
}
