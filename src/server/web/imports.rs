//! The import endpoints that are not server functions: the upload (`POST /api/imports`,
//! multipart: the file and what to do with an email in use) and a job's problems as CSV
//! (`GET /api/imports/errors.csv?job=ID`). A plain HTML form (JavaScript off) is answered with a
//! redirect to the job's page, or back to the Import page with the problem.

use super::body_limit::BodyLimit;
use super::csv_download::csv_download;
use super::errors::error_response;
use super::forms::{accepts_html, see_other};
use super::request::with_role;
use crate::error::AppError;
use crate::model::{ImportMode, Operator, Role};
use crate::server::audit::Actor;
use crate::server::csv_files::cells::protect;
use crate::server::stores::Database;
use crate::validate::FieldErrors;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{Extension, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{stream, StreamExt};
use serde::Deserialize;
use std::time::Duration;
use uuid::Uuid;

pub const ERRORS_PATH: &str = "/api/imports/errors.csv";
/// How long the upload waits for the check of a file before answering (the page shows how far
/// the check got, and goes on showing it).
const PREVIEW_WAIT: Duration = Duration::from_secs(10);

/// What the form sent.
struct Upload {
    file_name: String,
    bytes: Vec<u8>,
    mode: ImportMode,
}

pub async fn upload(
    Extension(database): Extension<Database>,
    Extension(limit): Extension<BodyLimit>,
    operator: Option<Extension<Operator>>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let answer = async {
        let operator = with_role(operator.map(|Extension(o)| o), Role::Editor)?;
        let upload = read_form(multipart, limit).await?;
        let stores = database.stores()?;
        let actor = Actor::Operator(operator.username);
        let job = stores
            .imports
            .upload(&upload.file_name, &upload.bytes, upload.mode, &actor)
            .await?;
        Ok::<_, AppError>(
            stores
                .imports
                .preview_when_checked(job.id, PREVIEW_WAIT)
                .await?,
        )
    };
    let answer = answer.await;
    if accepts_html(&headers) {
        let location = match &answer {
            Ok(preview) => format!("/import/{}", preview.job.id),
            Err(error) => {
                let problem: String =
                    url::form_urlencoded::byte_serialize(error.to_string().as_bytes()).collect();
                format!("/import?problem={problem}")
            }
        };
        return see_other(&location);
    }
    match answer {
        Ok(preview) => (StatusCode::CREATED, axum::Json(preview)).into_response(),
        Err(error) => error_response(&error),
    }
}

async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
    limit: BodyLimit,
) -> Result<Upload, AppError> {
    let mut multipart = multipart.map_err(|_| AppError::BadRequest {
        detail: "send the file as multipart/form-data, in a field named file".into(),
    })?;
    let mut upload = Upload {
        file_name: String::new(),
        bytes: Vec::new(),
        mode: ImportMode::Skip,
    };
    let mut has_file = false;
    let unreadable = |error: MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge {
                limit_bytes: limit.0,
            }
        } else {
            AppError::BadRequest {
                detail: format!("the form could not be read: {}", error.body_text()),
            }
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                upload.file_name = field.file_name().unwrap_or_default().to_owned();
                upload.bytes = field.bytes().await.map_err(unreadable)?.to_vec();
                // A form sent without choosing a file has the field, with no name and no bytes.
                has_file = !(upload.file_name.is_empty() && upload.bytes.is_empty());
            }
            Some("mode") => {
                let text = field.text().await.map_err(unreadable)?;
                upload.mode = text.parse().map_err(|message: String| AppError::Invalid {
                    fields: FieldErrors::one("mode", message),
                })?;
            }
            // The form's button and anything else are not part of the import.
            _ => {}
        }
    }
    if !has_file {
        return Err(AppError::Invalid {
            fields: FieldErrors::one("file", "Choose a CSV file to import."),
        });
    }
    Ok(upload)
}

#[derive(Deserialize)]
pub struct JobQuery {
    job: Option<String>,
}

/// Every problem of a job as CSV: `line,email,message`.
pub async fn problems(
    Extension(database): Extension<Database>,
    operator: Option<Extension<Operator>>,
    Query(query): Query<JobQuery>,
) -> Response {
    let answer = async {
        with_role(operator.map(|Extension(o)| o), Role::Viewer)?;
        let job = query
            .job
            .as_deref()
            .and_then(|job| Uuid::try_parse(job.trim()).ok())
            .ok_or_else(|| AppError::BadRequest {
                detail: "give the import as ?job=ID (its id, a UUID)".into(),
            })?;
        let problems = database.stores()?.imports.problems(job).await?;
        Ok::<_, AppError>((job, problems))
    };
    match answer.await {
        Ok((job, problems)) => {
            let header = stream::once(async { Ok(b"line,email,message\n".to_vec()) });
            let lines = problems.map(|problem| {
                problem.map(|problem| {
                    let mut writer = csv::Writer::from_writer(Vec::new());
                    let line = problem.line.to_string();
                    let cells = [
                        line.as_str(),
                        &protect(&problem.email),
                        &protect(&problem.message),
                    ];
                    let _ = writer.write_record(cells);
                    writer.into_inner().unwrap_or_default()
                })
            });
            csv_download(&format!("import-{job}-errors.csv"), header.chain(lines))
        }
        Err(error) => error_response(&error),
    }
}
