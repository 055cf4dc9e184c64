//! `GET /api/users/export.csv`: every user as CSV, for an API token or a signed-in session
//! (viewers too: they can read every user anyway).

use super::csv_download::csv_download;
use super::errors::error_response;
use super::request::with_role;
use crate::error::AppError;
use crate::model::{Operator, Role};
use crate::server::audit::Actor;
use crate::server::csv_files::export::users_as_csv;
use crate::server::stores::Database;
use axum::extract::Extension;
use axum::response::Response;
use time::OffsetDateTime;

pub const EXPORT_PATH: &str = "/api/users/export.csv";

pub async fn export_users(
    Extension(database): Extension<Database>,
    operator: Option<Extension<Operator>>,
) -> Response {
    let export = async {
        let operator = with_role(operator.map(|Extension(operator)| operator), Role::Viewer)?;
        let stores = database.stores()?;
        let actor = Actor::Operator(operator.username);
        Ok::<_, AppError>(users_as_csv(&stores.users, stores.audit.clone(), actor).await?)
    };
    match export.await {
        Ok(pieces) => {
            let today = OffsetDateTime::now_utc().date();
            csv_download(&format!("users-{today}.csv"), pieces)
        }
        Err(error) => error_response(&error),
    }
}
