//! `/import` (editors): choose a CSV file and what to do with an email that already belongs to a
//! user, then see the preview on the job's page (`import_job`); below, the latest imports. The
//! form is a plain multipart post, so it works with JavaScript off.

use crate::api::list_imports;
use crate::components::import_summary::state_text;
use crate::components::notice::{ErrorAlert, RestrictedPage};
use crate::context::import_limit;
use crate::error::in_units;
use crate::model::{ImportJob, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ImportPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Editor title="Import users"><Import/></RestrictedPage> }
}

#[component]
fn Import() -> impl IntoView {
    // What the upload said when it could not take the file (JavaScript off: it redirects here).
    let problem = use_query_map()
        .get_untracked()
        .get("problem")
        .filter(|problem| !problem.trim().is_empty());
    let limit = import_limit().map(in_units).unwrap_or_default();
    let jobs = Resource::new(|| (), |_| list_imports());
    view! {
        <p class="hint">"A CSV file with a header line naming its columns: "<code>"name"</code>" and "<code>"email"</code>
            ", and "<code>"id"</code>" if the file has ids (a file exported here has, so a restore keeps them). "
            "UTF-8 text, a comma between fields, quotes around a field that holds commas, quotes or line breaks. "
            {format!("At most {limit}. ")}
            "Every row is checked as the form checks a new user; nothing is written before you have seen the preview and started the import."</p>
        {problem.map(|message| view! { <p class="banner banner-error" role="alert">{message}</p> })}
        <form class="card import-form" method="post" action="/api/imports" enctype="multipart/form-data">
            <div class="field">
                <label for="import-file">"CSV file"</label>
                <input id="import-file" type="file" name="file" accept=".csv,text/csv" required/>
            </div>
            <fieldset>
                <legend>"When an email already belongs to a user"</legend>
                <div class="choice">
                    <input id="mode-skip" type="radio" name="mode" value="skip" checked/>
                    <label for="mode-skip">"Skip the row"</label>
                </div>
                <div class="choice">
                    <input id="mode-update" type="radio" name="mode" value="update_name"/>
                    <label for="mode-update">"Update the name"</label>
                </div>
            </fieldset>
            <button type="submit">"Upload and preview"</button>
        </form>
        <section aria-labelledby="imports-heading">
            <h2 id="imports-heading">"Latest imports"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                        Ok(jobs) if jobs.is_empty() => view! { <p class="empty">"No imports yet."</p> }.into_any(),
                        Ok(jobs) => view! { <JobList jobs/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn JobList(jobs: Vec<ImportJob>) -> impl IntoView {
    view! {
        <table class="jobs">
            <thead>
                <tr>
                    <th scope="col">"File"</th>
                    <th scope="col">"Uploaded"</th>
                    <th scope="col">"By"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Rows"</th>
                    <th scope="col">"Outcome"</th>
                </tr>
            </thead>
            <tbody>
                {jobs.into_iter().map(|job| {
                    let href = format!("/import/{}", job.id);
                    let outcome = if job.started_at.is_some() {
                        format!("{} created, {} updated, {} skipped, {} failed", job.created, job.updated, job.skipped, job.failed)
                    } else {
                        String::new()
                    };
                    view! {
                        <tr>
                            <td><a href=href>{job.file_name.clone()}</a></td>
                            <td>{job.uploaded_at.clone().unwrap_or_default()}</td>
                            <td>{job.operator.clone()}</td>
                            <td>{state_text(&job)}</td>
                            <td>{job.rows}</td>
                            <td>{outcome}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
