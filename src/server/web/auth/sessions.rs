//! The `SessionStore` that `tower-sessions` calls, over the sessions table. It exists before
//! Cassandra answers (the router is built at start-up), so it reaches the table through the
//! `Database` slot.

use crate::server::operators::OperatorError;
use crate::server::stores::{Database, Stores};
use async_trait::async_trait;
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone, Debug)]
pub struct CassandraSessions(pub Database);

impl CassandraSessions {
    fn stores(&self) -> session_store::Result<Arc<Stores>> {
        self.0
            .stores()
            .map_err(|_| session_store::Error::Backend("the database is unavailable".into()))
    }
}

fn backend(error: OperatorError) -> session_store::Error {
    let error = crate::server::cassandra::error::describe(&error);
    session_store::Error::Backend(error)
}

#[async_trait]
impl SessionStore for CassandraSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.stores()?
            .sessions
            .create(record)
            .await
            .map_err(backend)
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.stores()?.sessions.save(record).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.stores()?.sessions.load(id).await.map_err(backend)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.stores()?.sessions.delete(id).await.map_err(backend)
    }
}
