//! The audit trail: one user's history, and everyone's activity.

use crate::error::AppError;
use crate::model::AuditPage;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::web::request::{require, stores},
};

/// One user's events, newest first. `before` is the previous page's `next`.
#[server(prefix = "/api", endpoint = "users/history")]
pub async fn user_history(id: Uuid, before: Option<String>) -> Result<AuditPage, AppError> {
    require(Role::Viewer)?;
    let before = parse_time_cursor(before)?;
    Ok(stores()?.audit.history(id, before).await?)
}

/// Every event, newest first, a page at a time. `before` is the previous page's `next`.
#[server(prefix = "/api", endpoint = "activity")]
pub async fn list_activity(before: Option<String>) -> Result<AuditPage, AppError> {
    require(Role::Viewer)?;
    let before = parse_time_cursor(before)?;
    Ok(stores()?.audit.activity(before).await?)
}

/// The `before` cursor of an audit page: an event's id, a time-based (version 1) UUID.
#[cfg(feature = "ssr")]
fn parse_time_cursor(before: Option<String>) -> Result<Option<Uuid>, AppError> {
    let Some(text) = before.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    Uuid::try_parse(text)
        .ok()
        .filter(|id| id.get_version_num() == 1)
        .map(Some)
        .ok_or_else(|| AppError::BadRequest {
            detail: format!(
                "'{text}' is not a position in the history (an event id was expected)."
            ),
        })
}
