//! For admins: reconcile rows that other clients wrote (see `server::reconcile`).

use crate::error::AppError;
use crate::model::ReconcileStatus;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::web::forms::finish_form_post,
    server::web::request::{acting_as, require, stores},
};

/// The latest reconcile run, whether one is under way, and the emails it found shared.
#[server(prefix = "/api", endpoint = "reconcile/status")]
pub async fn get_reconcile_status() -> Result<ReconcileStatus, AppError> {
    require(Role::Admin)?;
    Ok(stores()?.reconcile.status().await?)
}

/// Starts a reconcile run in the background (continuing the last one if it did not finish) and
/// answers at once with the status; `reconcile/status` follows it.
#[server(prefix = "/api", endpoint = "reconcile/start")]
pub async fn start_reconcile() -> Result<ReconcileStatus, AppError> {
    let started = async {
        let actor = acting_as(Role::Admin)?;
        Ok(stores()?.reconcile.start(actor).await?)
    }
    .await;
    finish_form_post(started, StartReconcile::PATH, &[], |_| "/reconcile".into())
}
