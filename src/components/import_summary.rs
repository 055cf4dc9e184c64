//! An import job as the page shows it: where it is, what the preview found, how far it got, and
//! the rows it could not take. While a server works on it, the figures follow its progress each
//! second (JavaScript on; the page reloads once the job moves on to another state, which changes
//! its buttons), or a Refresh link shows it (off).

use crate::model::{ImportJob, ImportMode, ImportProblem, ImportState};
use leptos::prelude::*;

/// Where the job is, in a few words.
pub fn state_text(job: &ImportJob) -> String {
    match job.state {
        ImportState::Checking => format!("Checking: {} of {} rows", job.checked, job.rows),
        ImportState::Previewed => "Preview: nothing written yet".into(),
        ImportState::Running => format!("Importing: {} of {} rows", job.done, job.rows),
        ImportState::Cancelling => "Cancelling after the rows under way".into(),
        ImportState::Cancelled => "Cancelled".into(),
        ImportState::Done => "Done".into(),
        ImportState::Failed => "Failed".into(),
    }
}

/// "2026-12-01T22:30:05.123Z" → "2026-12-01 22:30:05 UTC".
pub fn shown_time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(start) => format!("{} UTC", start.replace('T', " ")),
        None => rfc3339.to_owned(),
    }
}

/// The job's figures, kept up to date while a server works on it.
#[island]
pub fn JobSummary(job: ImportJob) -> impl IntoView {
    let current = RwSignal::new(job.clone());
    #[cfg(feature = "hydrate")]
    if job.state.is_worked_on() {
        follow(job.id, job.state, current);
    }
    view! { {move || view! { <JobFigures job=current.get()/> }} }
}

/// Asks for the job's status each second; reloads the page once its state is another.
#[cfg(feature = "hydrate")]
fn follow(id: uuid::Uuid, shown: ImportState, current: RwSignal<ImportJob>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let url = format!("/api/imports/status?job={id}");
    let asking = Arc::new(AtomicBool::new(false));
    let _ = set_interval_with_handle(
        move || {
            if asking.swap(true, Ordering::SeqCst) {
                return; // the last answer has not come yet
            }
            let (url, asking) = (url.clone(), asking.clone());
            leptos::task::spawn_local(async move {
                if let Some(job) = fetch_job(&url).await {
                    if job.state == shown {
                        current.set(job);
                    } else {
                        let _ = window().location().reload();
                    }
                }
                asking.store(false, Ordering::SeqCst);
            });
        },
        std::time::Duration::from_secs(1),
    );
}

#[cfg(feature = "hydrate")]
async fn fetch_job(url: &str) -> Option<ImportJob> {
    use leptos::wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let response = JsFuture::from(window().fetch_with_str(url)).await.ok()?;
    let response: web_sys::Response = response.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    let text = JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    let preview: crate::model::ImportPreview = serde_json::from_str(&text).ok()?;
    Some(preview.job)
}

#[component]
fn JobFigures(job: ImportJob) -> impl IntoView {
    let existing_label = match job.mode {
        ImportMode::Skip => "Emails or ids already there (to skip)",
        ImportMode::UpdateName => "Emails already there (their names to update)",
    };
    let busy = job.state.is_worked_on();
    let pace = match (job.rows_per_second, job.seconds_left) {
        (Some(rate), Some(left)) => Some(format!(
            "{rate:.0} rows/s, about {} left",
            duration_text(left)
        )),
        (Some(rate), None) => Some(format!("{rate:.0} rows/s")),
        _ => None,
    };
    let started = job.started_at.is_some();
    let (rows, done) = (job.rows, job.done);
    view! {
        <p role="status" class="import-state">{state_text(&job)}</p>
        {job.message.clone().map(|message| view! { <p class="banner">{message}</p> })}
        <dl class="details">
            <dt>"File"</dt><dd>{job.file_name.clone()}</dd>
            <dt>"Uploaded"</dt><dd>{job.uploaded_at.as_deref().map(shown_time)}" by "{job.operator.clone()}</dd>
            <dt>"Rows in the file"</dt><dd>{job.rows}</dd>
            <dt>"New users"</dt><dd>{job.new_rows}</dd>
            <dt>{existing_label}</dt><dd>{job.existing_rows}</dd>
            <dt>"Rows that cannot be imported"</dt><dd>{job.invalid_rows}</dd>
        </dl>
        {started.then(|| view! {
            <h2>"Progress"</h2>
            <label for="import-progress">{format!("{done} of {rows} rows")}</label>
            <progress id="import-progress" max=rows.max(1) value=done></progress>
            <dl class="details">
                <dt>"Created"</dt><dd>{job.created}</dd>
                <dt>"Updated"</dt><dd>{job.updated}</dd>
                <dt>"Skipped"</dt><dd>{job.skipped}</dd>
                <dt>"Failed"</dt><dd>{job.failed}</dd>
                {pace.map(|pace| view! { <dt>"Pace"</dt><dd>{pace}</dd> })}
            </dl>
        })}
        {busy.then(|| view! { <p><a href="" rel="external">"Refresh"</a></p> })}
    }
}

/// The rows the job could not take (the first ones), with a link to all of them as CSV.
#[component]
pub fn ProblemList(job: ImportJob, problems: Vec<ImportProblem>) -> impl IntoView {
    let total = job.invalid_rows.max(job.failed);
    if total == 0 && problems.is_empty() {
        return ().into_any();
    }
    let download = format!("/api/imports/errors.csv?job={}", job.id);
    let shown = problems.len();
    view! {
        <section aria-labelledby="problems-heading">
            <h2 id="problems-heading">"Rows that cannot be imported"</h2>
            <p>{format!("{total} in all; the first {shown} by line. ")}
                <a href=download download>"Download them all (CSV)"</a></p>
            <table class="problems">
                <thead><tr><th scope="col">"Line"</th><th scope="col">"Email"</th><th scope="col">"Problem"</th></tr></thead>
                <tbody>
                    {problems.into_iter().map(|problem| view! {
                        <tr><td>{problem.line}</td><td>{problem.email}</td><td>{problem.message}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// "3 min 20 s", "45 s".
fn duration_text(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
    }
}
