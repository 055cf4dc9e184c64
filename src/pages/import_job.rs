//! `/import/ID` (editors): one import job. Its preview (what the check found, the rows that
//! cannot be imported) with **Start import**; while it runs, its progress; and Cancel until it is
//! over. Every app server shows the same, as the job's state is in Cassandra.

use crate::api::{import_status, CancelImport, StartImport};
use crate::components::import_summary::{JobSummary, ProblemList};
use crate::components::notice::{ErrorAlert, RestrictedPage};
use crate::model::{ImportJob, ImportPreview, ImportState, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ImportJobPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Editor title="Import"><ImportJobView/></RestrictedPage> }
}

#[component]
fn ImportJobView() -> impl IntoView {
    let id = use_params_map()
        .get_untracked()
        .get("id")
        .unwrap_or_default();
    let status = Resource::new(move || id.clone(), import_status);
    let start = ServerAction::<StartImport>::new();
    let cancel = ServerAction::<CancelImport>::new();
    let error = Signal::derive(move || {
        start
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| cancel.value().get().and_then(Result::err))
    });
    view! {
        <p><a href="/import">"← All imports"</a></p>
        {move || error.get().map(|error| view! { <ErrorAlert error/> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(ImportPreview { job, problems }) => view! {
                        <JobSummary job=job.clone()/>
                        <JobButtons job=job.clone() start cancel/>
                        <ProblemList job problems/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Start (once previewed) and Cancel (until it is over), as plain forms.
#[component]
fn JobButtons(
    job: ImportJob,
    start: ServerAction<StartImport>,
    cancel: ServerAction<CancelImport>,
) -> impl IntoView {
    let id = job.id.to_string();
    let can_start = job.state == ImportState::Previewed;
    let can_cancel = matches!(
        job.state,
        ImportState::Checking | ImportState::Previewed | ImportState::Running
    );
    let nothing_to_do = can_start && job.new_rows == 0 && job.existing_rows == 0;
    view! {
        <div class="actions">
            {can_start.then(|| {
                let id = id.clone();
                view! {
                    <ActionForm action=start>
                        <input type="hidden" name="job" value=id/>
                        <button type="submit" disabled=nothing_to_do>"Start import"</button>
                    </ActionForm>
                }
            })}
            {can_cancel.then(|| {
                let label = if job.state == ImportState::Running { "Cancel import" } else { "Cancel" };
                view! {
                    <ActionForm action=cancel>
                        <input type="hidden" name="job" value=id/>
                        <button type="submit" class="secondary">{label}</button>
                    </ActionForm>
                }
            })}
        </div>
    }
}
