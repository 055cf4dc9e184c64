//! Deleting the selected users: `/delete-selected` asks first, naming them ("Delete 3 users?"),
//! and posts the values it showed; `/deleted` says what became of each. Both are pages, so it all
//! works with JavaScript off.

use crate::api::{get_user, take_bulk_delete_report, BULK_DELETE_MAX};
use crate::components::list_position::ListPosition;
use crate::components::notice::{ErrorAlert, RestrictedPage};
use crate::error::AppError;
use crate::model::{BulkDeleteReport, DeleteOutcome, Role, User};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

#[component]
pub fn DeleteSelectedPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Editor title="Delete selected users"><ConfirmSelected/></RestrictedPage> }
}

#[component]
fn ConfirmSelected() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let back =
        ListPosition::from_query(|key| query.get(key).filter(|value| !value.trim().is_empty()));
    let asked = query.get_all("id").unwrap_or_default();
    let mut ids: Vec<Uuid> = Vec::new();
    for id in asked
        .iter()
        .filter_map(|id| Uuid::try_parse(id.trim()).ok())
    {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return view! {
            <p role="status">"No user is selected: tick the box of each user to delete, then Delete selected."</p>
            <p><a href=back.href()>"Back to the users"</a></p>
        }
        .into_any();
    }
    if ids.len() > BULK_DELETE_MAX {
        let error = AppError::TooMany {
            limit: BULK_DELETE_MAX,
            given: ids.len(),
        };
        return view! { <ErrorAlert error/> <p><a href=back.href()>"Back to the users"</a></p> }
            .into_any();
    }
    // What each user holds now: what the question shows, and what the delete is conditional on.
    let users = Resource::new(
        move || ids.clone(),
        |ids| async move {
            let reads = ids
                .into_iter()
                .map(|id| async move { (id, get_user(id).await) });
            futures_util::future::join_all(reads).await
        },
    );
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let back = back.clone();
                Suspend::new(async move { question(users.await, back) })
            }}
        </Transition>
    }
    .into_any()
}

fn question(answers: Vec<(Uuid, Result<User, AppError>)>, back: ListPosition) -> AnyView {
    if let Some((_, Err(error))) = answers
        .iter()
        .find(|(_, answer)| matches!(answer, Err(e) if *e != AppError::NotFound))
    {
        return view! { <ErrorAlert error=error.clone()/> <p><a href=back.href()>"Back to the users"</a></p> }
            .into_any();
    }
    let (found, gone): (Vec<_>, Vec<_>) =
        answers.into_iter().partition(|(_, answer)| answer.is_ok());
    let users: Vec<User> = found
        .into_iter()
        .filter_map(|(_, answer)| answer.ok())
        .collect();
    let count = users.len();
    let noun = if count == 1 { "user" } else { "users" };
    let gone = (!gone.is_empty()).then(|| {
        let text = format!("{} of the selected users are gone already.", gone.len());
        view! { <p class="hint">{text}</p> }
    });
    if users.is_empty() {
        return view! { {gone} <p><a href=back.href()>"Back to the users"</a></p> }.into_any();
    }
    let fields = users
        .iter()
        .map(|user| {
            view! {
                <input type="hidden" name="id" value=user.id.to_string()/>
                <input type="hidden" name="expected_name" value=user.name.clone()/>
                <input type="hidden" name="expected_email" value=user.email.clone()/>
            }
        })
        .collect_view();
    let listed = users
        .iter()
        .map(|user| view! { <li>{user.display_name()} " — " {user.email.clone()}</li> })
        .collect_view();
    view! {
        <div class="card confirm-many" role="group" aria-labelledby="confirm-many-heading">
            <h2 id="confirm-many-heading">{format!("Delete {count} {noun}?")}</h2>
            <p>"They will be removed from Cassandra. This cannot be undone. A user someone changes before you confirm is not deleted."</p>
            <ul class="selected-users">{listed}</ul>
            {gone}
            <form method="post" action="/api/users/delete-many">
                {fields}
                <button type="submit" class="danger">{format!("Yes, delete {count} {noun}")}</button>
                <a href=back.href() class="button-link">"Cancel"</a>
            </form>
        </div>
    }
    .into_any()
}

#[component]
pub fn DeletedPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Editor title="Deleted users"><Report/></RestrictedPage> }
}

#[component]
fn Report() -> impl IntoView {
    let report = Resource::new(|| (), |_| take_bulk_delete_report());
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(None) => view! {
                        <p>"Nothing to report: the results of a bulk delete are shown once, right after it."</p>
                    }.into_any(),
                    Ok(Some(report)) => outcomes(report).into_any(),
                }
            })}
        </Transition>
        <p><a href="/">"Back to the users"</a></p>
    }
}

fn outcomes(report: BulkDeleteReport) -> impl IntoView {
    let deleted = report
        .results
        .iter()
        .filter(|result| result.outcome == DeleteOutcome::Deleted)
        .count();
    let summary = match deleted {
        1 => "Deleted 1 user.".to_owned(),
        n => format!("Deleted {n} users."),
    };
    let rows = report
        .results
        .into_iter()
        .zip(report.names)
        .map(|(result, name)| {
            let name = if name.is_empty() { "(no name)".to_owned() } else { name };
            let what = match result.outcome {
                DeleteOutcome::Deleted => view! { "deleted" }.into_any(),
                DeleteOutcome::Conflict => {
                    let href = format!("/users/{}", result.id);
                    view! { "changed since you saw it: not deleted (" <a href=href>"open it"</a> ")" }.into_any()
                }
                DeleteOutcome::NotFound => view! { "gone already" }.into_any(),
                DeleteOutcome::Unavailable => {
                    view! { "not deleted: the database was unavailable; try again" }.into_any()
                }
            };
            view! { <tr><td>{name}</td><td>{what}</td></tr> }
        })
        .collect_view();
    view! {
        <p class="banner banner-ok" role="status">{summary}</p>
        <table class="outcomes">
            <thead><tr><th scope="col">"User"</th><th scope="col">"Outcome"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
