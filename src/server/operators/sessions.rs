//! Sign-in sessions in Cassandra: any number of app servers share them and a restart signs
//! nobody out. (`web::auth::sessions` hands them to `tower-sessions`.)
//!
//! The cookie carries the session id (128 random bits). The table is keyed by the SHA-256 of that
//! id, so a copy of the table lets nobody act as anyone, and every row carries a TTL equal to the
//! session's remaining life, so Cassandra forgets ended sessions by itself. A new session takes
//! another id if a row has its id already, instead of taking over someone's session. That is a
//! read before the write, not a lightweight transaction: the row's later updates are plain
//! writes, and a plain write stamped before an LWT's ballot (another coordinator's clock) would
//! be lost behind it.

use super::error::OperatorError;
use super::passwords::secret_digest;
use crate::server::cassandra::statements::plain;
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::{DeserializeRow, SerializeRow};
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};

/// Ids drawn for a new session before giving up (a second draw already means 128 random bits
/// met twice).
const NEW_ID_TRIES: u32 = 3;

#[derive(SerializeRow)]
struct SessionRow {
    id_hash: String,
    data: String,
    expires_at: OffsetDateTime,
    #[scylla(rename = "[ttl]")]
    ttl: i32,
}

#[derive(DeserializeRow)]
struct StoredSession {
    data: Option<String>,
    expires_at: Option<OffsetDateTime>,
}

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

    /// Writes a new session, under another id if its id is taken.
    pub async fn create(&self, record: &mut Record) -> Result<(), OperatorError> {
        for _ in 0..NEW_ID_TRIES {
            if self.stored(&record.id).await?.is_none() {
                return self.save(record).await;
            }
            record.id = Id::default();
        }
        Err(OperatorError::NoFreeSessionId(NEW_ID_TRIES))
    }

    pub async fn save(&self, record: &Record) -> Result<(), OperatorError> {
        match row_of(record)? {
            Some(row) => {
                self.session.execute_unpaged(&self.save, &row).await?;
                Ok(())
            }
            None => self.delete(&record.id).await,
        }
    }

    /// The row of this id, ended or not.
    async fn stored(&self, id: &Id) -> Result<Option<StoredSession>, OperatorError> {
        let row = self
            .session
            .execute_unpaged(&self.load, (key(id),))
            .await?
            .into_rows_result()?
            .maybe_first_row::<StoredSession>()?;
        Ok(row)
    }

    pub async fn load(&self, id: &Id) -> Result<Option<Record>, OperatorError> {
        let row = self.stored(id).await?;
        let Some(StoredSession {
            data: Some(data),
            expires_at: Some(expiry_date),
        }) = row
        else {
            return Ok(None);
        };
        if expiry_date <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        let data = serde_json::from_str(&data).map_err(OperatorError::SessionData)?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    pub async fn delete(&self, id: &Id) -> Result<(), OperatorError> {
        self.session
            .execute_unpaged(&self.delete, (key(id),))
            .await?;
        Ok(())
    }
}

/// The row of a session, or `None` once it has ended.
fn row_of(record: &Record) -> Result<Option<SessionRow>, OperatorError> {
    let left_ms = (record.expiry_date - OffsetDateTime::now_utc()).whole_milliseconds();
    if left_ms < 1 {
        return Ok(None);
    }
    // Cassandra counts a TTL from the current whole second, so a row can vanish up to a second
    // early: round up and add one. `load` checks `expires_at` itself, so the session does not
    // last any longer for it.
    let ttl = (left_ms + 999) / 1000 + 1;
    Ok(Some(SessionRow {
        id_hash: key(&record.id),
        data: serde_json::to_string(&record.data).map_err(OperatorError::SessionData)?,
        expires_at: record.expiry_date,
        ttl: i32::try_from(ttl).unwrap_or(i32::MAX),
    }))
}

fn key(id: &Id) -> String {
    secret_digest(&id.to_string())
}
