//! Everything that runs only on the server: configuration, the Cassandra session and store, and
//! the HTTP router around the Leptos app.

pub mod config;
pub mod db;
pub mod http;
pub mod store;

use crate::error::AppError;
use leptos::prelude::{use_context, provide_context};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use store::{StoreError, UserStore};

/// The user store once Cassandra has answered. The server starts before that and connects in the
/// background, so until then requests get `AppError::Unavailable` instead of the process failing.
/// After the first connection the driver reconnects by itself.
#[derive(Clone, Default)]
pub struct Database(Arc<OnceLock<Arc<UserStore>>>);

impl Database {
    pub fn connected(store: Arc<UserStore>) -> Self {
        let database = Database::default();
        let _ = database.0.set(store);
        database
    }

    /// Starts connecting in the background, retrying with backoff until it succeeds.
    pub fn connect_in_background(config: config::Config) -> Self {
        let database = Database::default();
        let slot = database.0.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(500);
            loop {
                match connect(&config).await {
                    Ok(store) => {
                        tracing::info!("connected to Cassandra; schema ready in keyspace {}", config.keyspace.as_str());
                        let _ = slot.set(Arc::new(store));
                        return;
                    }
                    Err(error) => {
                        tracing::warn!("Cassandra not reachable yet ({error}); retrying in {delay:?}");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(10));
                    }
                }
            }
        });
        database
    }

    pub fn store(&self) -> Result<Arc<UserStore>, AppError> {
        self.0.get().cloned().ok_or(AppError::Unavailable)
    }

    pub fn provide(&self) {
        provide_context(self.clone());
    }
}

/// Session → schema → prepared statements.
pub async fn connect(config: &config::Config) -> Result<UserStore, db::ConnectError> {
    let session = db::open_session(config).await?;
    db::ensure_schema(&session, config).await?;
    Ok(UserStore::new(Arc::new(session), &config.keyspace, config.page_size).await?)
}

/// The store for the current request, from the context the router provides.
pub fn database() -> Result<Arc<UserStore>, AppError> {
    let database = use_context::<Database>().ok_or_else(|| {
        tracing::error!("no Database in the request context");
        AppError::Internal
    })?;
    database.store()
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::EmailTaken => AppError::EmailTaken,
            StoreError::NotFound => AppError::NotFound,
            StoreError::Unavailable(detail) => {
                tracing::warn!("database unavailable: {detail}");
                AppError::Unavailable
            }
            StoreError::Internal(detail) => {
                tracing::error!("database error: {detail}");
                AppError::Internal
            }
        }
    }
}

/// After a successful plain HTML form post (JavaScript off), send the browser to `path` instead of
/// back to the form. Requests from the hydrated app or from scripts are left alone: they get JSON.
pub fn redirect_plain_form_post(path: &str) {
    use axum::http::{header, request::Parts, HeaderValue, StatusCode};
    use leptos_axum::ResponseOptions;
    let (Some(parts), Some(response)) = (use_context::<Parts>(), use_context::<ResponseOptions>()) else {
        return;
    };
    let accepts_html = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if let (true, Ok(location)) = (accepts_html, HeaderValue::from_str(path)) {
        response.set_status(StatusCode::SEE_OTHER);
        response.insert_header(header::LOCATION, location);
    }
}
