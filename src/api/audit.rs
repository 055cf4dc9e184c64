//! The audit trail: one user's history, and everyone's activity.

use crate::error::AppError;
use crate::model::AuditPage;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::{
    api::parse_time_cursor,
    model::Role,
    server::{auth::require, stores},
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
