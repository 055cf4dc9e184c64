//! For admins: reconcile rows that other clients wrote (see `server::reconcile`).

use crate::error::AppError;
use crate::model::ReconcileStatus;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{audit::Actor, auth::require, finish_form_post, stores},
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
        let actor = Actor::Operator(require(Role::Admin)?.username);
        let stores = stores()?;
        if !stores.reconcile.is_running() {
            let background = stores.clone();
            tokio::spawn(async move {
                let run = background
                    .reconcile
                    .run(&background.users, &actor, false, |_: &crate::model::ReconcileRun| {})
                    .await;
                match run {
                    Ok(run) => tracing::info!(scanned = run.scanned, claimed = run.claimed, duplicate_emails = run.duplicate_emails, "reconcile finished"),
                    Err(error) => tracing::warn!(%error, "reconcile stopped; starting it again continues where it was"),
                }
            });
            // Let the run record itself, so the status shows it.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(stores.reconcile.status().await?)
    }
    .await;
    finish_form_post(started, StartReconcile::PATH, &[], |_| "/reconcile".into())
}
