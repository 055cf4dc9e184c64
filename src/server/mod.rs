//! Everything that runs only on the server: configuration, the Cassandra session and store, and
//! the HTTP router around the Leptos app.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod email_index;
pub mod forms;
pub mod http;
pub mod operators;
pub mod passwords;
pub mod reconcile;
pub mod sessions;
pub mod store;
pub mod transactions;

use crate::error::AppError;
use crate::model::DatabaseInfo;
use audit::AuditLog;
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::{provide_context, use_context};
use leptos::server_fn::error::ServerFnUrlError;
use leptos_axum::ResponseOptions;
use operators::OperatorStore;
use sessions::SessionTable;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use store::{StoreError, UserStore};

/// Everything the app keeps in Cassandra, each with its statements prepared.
pub struct Stores {
    /// The node's release version as found on connecting.
    node_version: String,
    pub users: UserStore,
    pub operators: OperatorStore,
    pub audit: Arc<AuditLog>,
    pub sessions: SessionTable,
    pub reconcile: reconcile::Reconciler,
}

impl Stores {
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
/// background, so until then requests get `AppError::Unavailable` instead of the process failing.
/// After the first connection the driver reconnects by itself.
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
    pub fn connected(store: Arc<Stores>) -> Self {
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
            // One line per problem, not one per attempt: the same problem is said again only
            // when it changes.
            let mut last_problem = String::new();
            loop {
                match connect(&config).await {
                    Ok(store) => {
                        tracing::info!(
                            "connected to Cassandra; schema ready in keyspace {}",
                            config.keyspace.as_str()
                        );
                        let _ = slot.set(Arc::new(store));
                        return;
                    }
                    Err(error) => {
                        let problem = error.explain(&config);
                        if problem != last_problem {
                            tracing::warn!("{problem}; retrying until it works");
                            last_problem = problem;
                        }
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        database
    }

    pub fn stores(&self) -> Result<Arc<Stores>, AppError> {
        self.0.get().cloned().ok_or(AppError::Unavailable)
    }

    pub fn provide(&self) {
        provide_context(self.clone());
    }
}

/// Session → schema → prepared statements. On a node with Accord (Cassandra 6), changes to users
/// run as transactions.
pub async fn connect(config: &config::Config) -> Result<Stores, db::ConnectError> {
    let session = Arc::new(db::open_session(config).await?);
    let release = db::release_version(&session).await?;
    let accord = transactions::accord_enabled(&session, &release).await;
    db::ensure_schema(&session, config, accord).await?;
    let keyspace = &config.keyspace;
    let transactions = if accord {
        transactions::Transactions::if_tables_are_transactional(&session, keyspace).await?
    } else {
        None
    };
    email_index::ensure(&session, keyspace, transactions.is_some()).await?;
    let audit = Arc::new(AuditLog::new(session.clone(), keyspace, config.page_size).await?);
    let accord_tables = transactions.is_some();
    Ok(Stores {
        node_version: release,
        users: UserStore::new(
            session.clone(),
            keyspace,
            audit.clone(),
            transactions,
            config.page_size,
        )
        .await?,
        operators: OperatorStore::new(session.clone(), keyspace, audit.clone()).await?,
        reconcile: reconcile::Reconciler::new(session.clone(), keyspace, accord_tables).await?,
        sessions: SessionTable::new(session, keyspace).await?,
        audit,
    })
}

/// The stores for the current request, from the context the router provides.
pub fn stores() -> Result<Arc<Stores>, AppError> {
    let database = use_context::<Database>().ok_or_else(|| {
        tracing::error!("no Database in the request context");
        AppError::Internal
    })?;
    database.stores()
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::EmailTaken => AppError::EmailTaken,
            StoreError::UsernameTaken => AppError::UsernameTaken,
            StoreError::SetupDone => AppError::SetupDone,
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(current) => AppError::Conflict { current },
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

/// An error as the JSON answer scripts get, with its status:
/// `{"error":"email_taken","message":"That email is already in use"}`.
pub fn error_response(error: &AppError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    (status, content_type, error_body(error)).into_response()
}

/// The error as JSON, plus its human-readable `message`.
pub fn error_body(error: &AppError) -> String {
    let mut json =
        serde_json::to_value(error).unwrap_or_else(|_| serde_json::json!({ "error": "internal" }));
    if let Some(object) = json.as_object_mut() {
        object.insert("message".into(), error.to_string().into());
    }
    json.to_string()
}

/// Finishes a server function that a form posts to. For a plain HTML form post (JavaScript off)
/// the browser is sent on: to `success_location` after success, or back to the form after an
/// error, with the error and what the person typed (`draft`, as `draft_<field>` query
/// parameters) so the form can show both. The hydrated app and scripts get the result as JSON.
pub fn finish_form_post<T>(
    result: Result<T, AppError>,
    server_fn_path: &str,
    draft: &[(&str, &str)],
    success_location: impl FnOnce(&T) -> String,
) -> Result<T, AppError> {
    let Some(response) = plain_form_post_response() else {
        return result;
    };
    let location = match &result {
        Ok(value) => Some(success_location(value)),
        Err(error) => back_to_form_with_draft(server_fn_path, error, draft),
    };
    if let Some(location) = location {
        if let Ok(location) = HeaderValue::from_str(&location) {
            let status = if result.is_ok() {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::FOUND
            };
            response.set_status(status);
            response.insert_header(header::LOCATION, location);
        }
    }
    result
}

/// Whether the current request is a plain HTML form post (JavaScript off).
pub fn is_plain_form_post() -> bool {
    plain_form_post_response().is_some()
}

/// The response of the current request, if it is a plain HTML form post.
fn plain_form_post_response() -> Option<ResponseOptions> {
    let parts = use_context::<Parts>()?;
    let accepts_html = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    accepts_html.then(use_context::<ResponseOptions>).flatten()
}

/// The Referer with `__path`/`__err` (how Leptos carries a server function's error to the page)
/// and the draft in its query string.
fn back_to_form_with_draft(
    server_fn_path: &str,
    error: &AppError,
    draft: &[(&str, &str)],
) -> Option<String> {
    let parts = use_context::<Parts>()?;
    let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
    let mut url = url::Url::parse(referer).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| !key.starts_with("__") && !key.starts_with("draft_"))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(
            draft
                .iter()
                .map(|(field, value)| (format!("draft_{field}"), *value)),
        );
    let url = ServerFnUrlError::new(server_fn_path, error.clone())
        .to_url(url.as_str())
        .ok()?;
    Some(url.to_string())
}
