//! `/reconcile` (admins): give rows written outside the app their email claims, and resolve the
//! emails that several rows share (each row is a link to its edit page).

use crate::api::{get_reconcile_status, StartReconcile};
use crate::components::notice::{ErrorAlert, RestrictedPage};
use crate::model::{DuplicateEmail, ReconcileRun, ReconcileStatus, Role};
use leptos::prelude::*;

#[component]
pub fn ReconcilePage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Admin title="Reconcile"><Reconcile/></RestrictedPage> }
}

#[component]
fn Reconcile() -> impl IntoView {
    let start = ServerAction::<StartReconcile>::new();
    let status = Resource::new(|| (), |_| get_reconcile_status());
    let error = Signal::derive(move || start.value().get().and_then(Result::err));
    view! {
        <p class="hint">"Rows that other clients (the Python quickstart, cqlsh, another service) write straight into "
            <code>"users"</code>" hold no claim on their email. Reconcile walks the whole table, page by page, gives each such row its claim "
            "(the oldest row, when several share an email) and the search terms that Search finds it by, "
            "and lists the emails that several rows share, for you to resolve. "
            "A run that stopped continues where it was. The same from a terminal: "<code>"cassandra-users reconcile"</code>"."</p>
        {move || error.get().map(|error| view! { <ErrorAlert error/> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(status) => view! { <Status status start/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Status(status: ReconcileStatus, start: ServerAction<StartReconcile>) -> impl IntoView {
    let ReconcileStatus {
        run,
        running,
        duplicates,
        rule_breakers,
    } = status;
    let breaking = run.as_ref().map_or(0, |run| run.breaking_rules);
    let button = match &run {
        Some(run) if !run.finished && !running => "Continue reconcile",
        _ => "Reconcile now",
    };
    view! {
        <section class="card" aria-labelledby="run-heading">
            <h2 id="run-heading">"Latest run"</h2>
            {match run {
                None => view! { <p>"Reconcile has not run yet."</p> }.into_any(),
                Some(run) => view! { <RunSummary run running/> }.into_any(),
            }}
            {if running {
                view! { <p><a href="/reconcile" rel="external">"Refresh"</a></p> }.into_any()
            } else {
                view! {
                    <ActionForm action=start>
                        <button type="submit">{button}</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="duplicates-heading">
            <h2 id="duplicates-heading">"Emails shared by several rows"</h2>
            {if duplicates.is_empty() {
                view! { <p class="empty">"None found."</p> }.into_any()
            } else {
                view! {
                    <p class="hint">"Each email should belong to one user. Open the rows, then change or delete all but one; the oldest holds the claim."</p>
                    {duplicates.into_iter().map(|shared| view! { <SharedEmail shared/> }).collect_view()}
                }.into_any()
            }}
        </section>
        <section aria-labelledby="rules-heading">
            <h2 id="rules-heading">"Rows that break the rules for names and emails"</h2>
            {if rule_breakers.is_empty() {
                view! { <p class="empty">"None found."</p> }.into_any()
            } else {
                let shown = rule_breakers.len();
                view! {
                    <p class="hint">{format!("Rows other clients stored with a name or email that this app (and, on Cassandra 6, the table's constraints) would refuse now: {breaking} in all, the first {shown} here. Open a row to correct it.")}</p>
                    <ul class="rule-breakers">
                        {rule_breakers.into_iter().map(|breaker| {
                            let (href, name) = (format!("/users/{}", breaker.user.id), breaker.user.display_name());
                            view! { <li><a href=href>{name}</a>" — "{breaker.user.email}": "{breaker.problem}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn RunSummary(run: ReconcileRun, running: bool) -> impl IntoView {
    let state = if running {
        format!("Running: {}% of the table", run.progress_percent)
    } else if run.finished {
        "Finished".to_owned()
    } else {
        format!("Stopped at {}% of the table", run.progress_percent)
    };
    let searchable_yet = searchable_yet(&run);
    view! {
        <p role="status">{state}</p>
        <dl class="details">
            <dt>"Started"</dt><dd>{run.started_at}</dd>
            <dt>"Rows scanned"</dt><dd>{run.scanned}</dd>
            <dt>"Rows given their email's claim"</dt><dd>{run.claimed}</dd>
            <dt>"Emails shared by several rows"</dt><dd>{run.duplicate_emails}</dd>
            <dt>"Rows without a valid email"</dt><dd>{run.not_emails}</dd>
            <dt>"Rows made searchable"</dt><dd>{run.searchable}</dd>
            <dt>"Rows that break the rules for names and emails"</dt><dd>{run.breaking_rules}</dd>
        </dl>
        <p class="hint">{searchable_yet}</p>
    }
}

#[component]
fn SharedEmail(shared: DuplicateEmail) -> impl IntoView {
    let heading = format!("{} ({} rows)", shared.email, shared.users.len());
    view! {
        <article class="card shared-email" aria-label=shared.email.clone()>
            <h3>{heading}</h3>
            <ul>
                {shared.users.into_iter().map(|user| {
                    let (href, name, id) = (format!("/users/{}", user.id), user.display_name(), user.id.to_string());
                    view! { <li><a href=href>{name}</a>" — "{user.email}" "<code>{id}</code></li> }
                }).collect_view()}
            </ul>
        </article>
    }
}

/// What Search cannot find yet, as far as reconcile can tell without a scan of its own.
fn searchable_yet(run: &ReconcileRun) -> String {
    if run.finished {
        "Every row this run reached can be found by Search. Rows that other clients write from now on \
         are found once the next run reaches them (rows written through this app are found at once)."
            .to_owned()
    } else {
        format!(
            "Rows not searchable yet: those written by other clients in the {}% of the table this run \
             has not reached. Continue the run to give them their search terms.",
            100 - run.progress_percent
        )
    }
}
