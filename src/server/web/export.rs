//! `GET /api/users/export.csv`: every user as CSV, or with `?q=…` what that search finds, for an
//! API token or a signed-in session (viewers too: they can read every user anyway).

use super::csv_download::csv_download;
use super::errors::error_response;
use super::request::with_role;
use crate::error::AppError;
use crate::model::{Operator, Role};
use crate::server::audit::Actor;
use crate::server::csv_files::export::users_as_csv;
use crate::server::stores::Database;
use crate::validate::{FieldErrors, SearchQuery};
use axum::extract::{Extension, RawQuery};
use axum::response::Response;
use time::OffsetDateTime;

pub const EXPORT_PATH: &str = "/api/users/export.csv";

pub async fn export_users(
    Extension(database): Extension<Database>,
    operator: Option<Extension<Operator>>,
    RawQuery(query): RawQuery,
) -> Response {
    let q = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "q")
        .map(|(_, q)| q.into_owned());
    let export = async {
        let operator = with_role(operator.map(|Extension(operator)| operator), Role::Viewer)?;
        let searched = q
            .filter(|q| !q.trim().is_empty())
            .map(|q| SearchQuery::parse(&q).map_err(|message| FieldErrors::one("q", message)))
            .transpose()?;
        let stores = database.stores()?;
        let actor = Actor::Operator(operator.username);
        let audit = stores.audit.clone();
        Ok::<_, AppError>(users_as_csv(&stores.users, searched, audit, actor).await?)
    };
    match export.await {
        Ok(pieces) => {
            let today = OffsetDateTime::now_utc().date();
            csv_download(&format!("users-{today}.csv"), pieces)
        }
        Err(error) => error_response(&error),
    }
}
