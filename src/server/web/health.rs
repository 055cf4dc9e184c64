//! `/healthz`: 200 when a CQL query succeeds right now, 503 otherwise. No sign-in needed.

use crate::error::AppError;
use crate::server::stores::Database;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub async fn health(database: Database) -> Response {
    let answer = match database.stores() {
        Ok(stores) => stores.node.release_version().await.map_err(AppError::from),
        Err(error) => Err(error),
    };
    match answer {
        Ok(version) => (StatusCode::OK, format!("ok: Cassandra {version}\n")).into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable: {error}\n"),
        )
            .into_response(),
    }
}
