//! Imports of users from CSV (see `server::imports`). The file itself is uploaded to
//! `POST /api/imports` (multipart, `server::web::imports`); these follow and steer the job it
//! makes. Editors start and cancel; viewers may look.

use crate::error::AppError;
use crate::model::{ImportJob, ImportPreview};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::web::forms::finish_form_post,
    server::web::request::{acting_as, require, stores},
};

/// A job, with the first problems of its file (the preview once it is checked), and how far it
/// got.
#[server(prefix = "/api", endpoint = "imports/status")]
pub async fn import_status(job: String) -> Result<ImportPreview, AppError> {
    require(Role::Viewer)?;
    Ok(stores()?.imports.preview(job_id(&job)?).await?)
}

/// `import_status` for a plain GET (`?job=ID`).
#[server(prefix = "/api", endpoint = "imports/status", input = leptos::server_fn::codec::GetUrl)]
pub async fn import_status_get(job: String) -> Result<ImportPreview, AppError> {
    import_status(job).await
}

/// The latest imports (this month's and last month's), newest first.
#[server(prefix = "/api", endpoint = "imports/list")]
pub async fn list_imports() -> Result<Vec<ImportJob>, AppError> {
    require(Role::Viewer)?;
    Ok(stores()?.imports.latest().await?)
}

/// Starts writing a previewed job's rows (409 when it is not previewed).
#[server(prefix = "/api", endpoint = "imports/start")]
pub async fn start_import(job: String) -> Result<ImportJob, AppError> {
    let started = async {
        let actor = acting_as(Role::Editor)?;
        Ok(stores()?.imports.start(job_id(&job)?, &actor).await?)
    }
    .await;
    finish_form_post(started, StartImport::PATH, &[], |job| {
        format!("/import/{}", job.id)
    })
}

/// Cancels a job: at once if it has not started, after the chunk it is on if it runs (409 when
/// it is over).
#[server(prefix = "/api", endpoint = "imports/cancel")]
pub async fn cancel_import(job: String) -> Result<ImportJob, AppError> {
    let cancelled = async {
        let actor = acting_as(Role::Editor)?;
        Ok(stores()?.imports.cancel(job_id(&job)?, &actor).await?)
    }
    .await;
    finish_form_post(cancelled, CancelImport::PATH, &[], |job| {
        format!("/import/{}", job.id)
    })
}

#[cfg(feature = "ssr")]
fn job_id(job: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::try_parse(job.trim()).map_err(|_| AppError::BadRequest {
        detail: format!("'{job}' is not an import's id (a UUID)"),
    })
}
