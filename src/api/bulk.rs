//! Acting on many users at once: delete the selected ones.

use crate::error::AppError;
use crate::model::{BulkDeleteReport, BulkDeleteResults};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;
use uuid::Uuid;

use super::codec::{repeated_fields, Fields, RepeatedFields};

#[cfg(feature = "ssr")]
use crate::{
    model::{Role, User},
    server::web::forms::finish_form_post,
    server::web::request::require,
    server::web::request::{acting_as, request_session, stores},
};

/// The most users one bulk delete takes.
pub const BULK_DELETE_MAX: usize = 500;

/// Session key of the results of a bulk delete posted without JavaScript, shown once by the
/// next page.
pub const BULK_DELETE_RESULTS_KEY: &str = "bulk_delete_results";

/// Deletes each user (`id`, repeated) if it still has the name and email the person saw
/// (`expected_name`, `expected_email`, repeated in the same order), and answers what became of
/// each: `deleted`, `conflict` (changed since: not deleted), `not_found` (gone already), or
/// `unavailable` (the database could not be asked: nothing changed for it). At most
/// `BULK_DELETE_MAX` users a request (422 past that). One audit event per deleted user.
#[server(prefix = "/api", endpoint = "users/delete-many", input = RepeatedFields)]
pub async fn delete_many(
    id: Vec<Uuid>,
    expected_name: Vec<String>,
    expected_email: Vec<String>,
) -> Result<BulkDeleteResults, AppError> {
    let deleted = async {
        let actor = acting_as(Role::Editor)?;
        if id.len() != expected_name.len() || id.len() != expected_email.len() {
            return Err(AppError::BadRequest {
                detail:
                    "send expected_name and expected_email once for every id, in the same order"
                        .into(),
            });
        }
        if id.len() > BULK_DELETE_MAX {
            return Err(AppError::TooMany {
                limit: BULK_DELETE_MAX,
                given: id.len(),
            });
        }
        let shown = id
            .iter()
            .zip(&expected_name)
            .zip(&expected_email)
            .map(|((id, name), email)| User {
                id: *id,
                name: name.clone(),
                email: email.clone(),
            })
            .collect();
        let results = stores()?.users.delete_many(shown, &actor).await;
        let results = BulkDeleteResults { results };
        if crate::server::web::forms::is_plain_form_post() {
            // Without JavaScript the answer is a redirect; the next page shows the results.
            let session = request_session().await?.session;
            session
                .insert(
                    BULK_DELETE_RESULTS_KEY,
                    BulkDeleteReport {
                        results: results.results.clone(),
                        names: expected_name.clone(),
                    },
                )
                .await
                .map_err(|_| AppError::unavailable())?;
        }
        Ok(results)
    }
    .await;
    finish_form_post(deleted, DeleteMany::PATH, &[], |_| "/deleted".into())
}

/// What the bulk delete that a form posted without JavaScript did, once.
#[server(prefix = "/api", endpoint = "users/take-bulk-delete-report")]
pub async fn take_bulk_delete_report() -> Result<Option<BulkDeleteReport>, AppError> {
    require(Role::Editor)?;
    let Ok(auth) = request_session().await else {
        return Ok(None);
    };
    auth.session
        .remove::<BulkDeleteReport>(BULK_DELETE_RESULTS_KEY)
        .await
        .map_err(|_| AppError::unavailable())
}

impl Fields for DeleteMany {
    fn from_fields(fields: Vec<(String, String)>) -> Result<Self, String> {
        let mut arguments = DeleteMany {
            id: Vec::new(),
            expected_name: Vec::new(),
            expected_email: Vec::new(),
        };
        for (name, value) in fields {
            match name.as_str() {
                "id" => arguments.id.push(
                    Uuid::try_parse(value.trim())
                        .map_err(|_| format!("'{value}' is not a user id"))?,
                ),
                "expected_name" => arguments.expected_name.push(value),
                "expected_email" => arguments.expected_email.push(value),
                // A form's buttons and other fields are not arguments.
                _ => {}
            }
        }
        Ok(arguments)
    }

    fn to_fields(&self) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        for ((id, name), email) in self
            .id
            .iter()
            .zip(&self.expected_name)
            .zip(&self.expected_email)
        {
            fields.push(("id".into(), id.to_string()));
            fields.push(("expected_name".into(), name.clone()));
            fields.push(("expected_email".into(), email.clone()));
        }
        fields
    }
}

repeated_fields!(DeleteMany);
