//! For admins: reconcile rows that other clients wrote (see `server::reconcile`).

use crate::error::AppError;
use crate::model::ReconcileStatus;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;

#[cfg(feature = "ssr")]
use crate::{
    model::{ReconcileRun, Role},
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
            // The run reports progress once it has recorded itself: the status below shows it.
            let (recorded, has_recorded) = tokio::sync::oneshot::channel();
            let mut recorded = Some(recorded);
            tokio::spawn(async move {
                let run = background
                    .reconcile
                    .run(&background.users, &actor, false, |_: &ReconcileRun| {
                        recorded.take().map(|recorded| recorded.send(()));
                    })
                    .await;
                match run {
                    Ok(run) => tracing::info!(scanned = run.scanned, claimed = run.claimed, duplicate_emails = run.duplicate_emails, "reconcile finished"),
                    Err(error) => tracing::warn!(%error, "reconcile stopped; starting it again continues where it was"),
                }
            });
            // An error (the sender dropped) means the run ended without recording: the status
            // then shows the previous one.
            let _ = has_recorded.await;
        }
        Ok(stores.reconcile.status().await?)
    }
    .await;
    finish_form_post(started, StartReconcile::PATH, &[], |_| "/reconcile".into())
}
