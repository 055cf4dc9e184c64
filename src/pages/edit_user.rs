//! `/users/:id`: one user — an edit form for editors, the values for viewers — and their History.

use crate::api::{get_user, user_history, UpdateUser};
use crate::components::form::{server_field_errors, CheckedForm, FormRules};
use crate::components::history::EventTable;
use crate::components::notice::{ErrorAlert, ErrorBanner};
use crate::components::user_fields::UserFields;
use crate::context::may;
use crate::error::AppError;
use crate::model::{Role, User};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

#[component]
pub fn EditUserPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::try_parse(&id).ok())
    };
    let user = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_user(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <p><a href="/">"← All users"</a></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Err(error) => view! {
                        <h1>"User"</h1>
                        <ErrorAlert error/>
                    }.into_any(),
                    Ok(user) if may(Role::Editor) => view! { <EditForm user/> }.into_any(),
                    Ok(user) => view! { <ReadOnly user/> }.into_any(),
                }
            })}
        </Transition>
        {move || id().map(|id| view! { <History id/> })}
    }
}

/// The edit form carries the values it showed (`expected_*`): the server saves only if the user
/// still has them. When someone else saved first, the answer is a conflict with their values,
/// shown beside what the person typed, who may then overwrite theirs or start again from them.
#[component]
fn EditForm(user: User) -> impl IntoView {
    let query = use_query_map();
    // What the person typed before a failed post without JavaScript (see `finish_form_post`).
    let draft = move |field: &str| query.read_untracked().get(&format!("draft_{field}"));
    let update = ServerAction::<UpdateUser>::new();
    let answer = update.value().get_untracked();
    let errors = server_field_errors(answer.clone());
    let theirs = match &answer {
        Some(Err(AppError::Conflict { current })) => Some(current.clone()),
        _ => None,
    };
    let server_error = answer
        .and_then(Result::err)
        .filter(|error| !matches!(error, AppError::Conflict { .. }));
    // After a refused post the form shows what was typed, and expects what is saved now.
    let typed_name = draft("name").unwrap_or_else(|| user.name.clone());
    let typed_email = draft("email").unwrap_or_else(|| user.email.clone());
    let shown = theirs.clone().unwrap_or_else(|| user.clone());
    let start_again = format!("/users/{}", user.id);
    view! {
        <h1>"Edit " {user.display_name()}</h1>
        <section class="card">
            <ErrorBanner error=Signal::stored(server_error)/>
            <CheckedForm rules=FormRules::User>
                <ActionForm action=update attr:novalidate=true>
                    <input type="hidden" name="id" value=user.id.to_string()/>
                    <input type="hidden" name="expected_name" value=shown.name/>
                    <input type="hidden" name="expected_email" value=shown.email/>
                    <UserFields id_prefix="edit" name=typed_name.clone() email=typed_email.clone() errors/>
                    {theirs.map(|theirs| view! {
                        <ConflictPanel theirs yours=(typed_name, typed_email) start_again/>
                    })}
                    <button type="submit">"Save"</button>
                    <a href="/" class="button-link">"Cancel"</a>
                </ActionForm>
            </CheckedForm>
        </section>
        <form method="get" action="/">
            <input type="hidden" name="delete" value=user.id.to_string()/>
            <button type="submit" class="danger">"Delete"</button>
        </form>
    }
}

/// "Someone changed this user since you opened it": their saved values beside what the person
/// typed (still in the form above), and the two ways on.
#[component]
fn ConflictPanel(theirs: User, yours: (String, String), start_again: String) -> impl IntoView {
    let (your_name, your_email) = yours;
    view! {
        <div class="conflict" role="alert" aria-labelledby="conflict-heading">
            <h2 id="conflict-heading">"Someone changed this user since you opened it"</h2>
            <p>"Nothing you typed is lost: it is still in the form. Their values are the ones saved now."</p>
            <table aria-label="Their values and yours">
                <thead>
                    <tr><th scope="col">""</th><th scope="col">"Theirs (saved)"</th><th scope="col">"Yours (typed)"</th></tr>
                </thead>
                <tbody>
                    <tr><th scope="row">"Name"</th><td>{theirs.name}</td><td>{your_name}</td></tr>
                    <tr><th scope="row">"Email"</th><td>{theirs.email}</td><td>{your_email}</td></tr>
                </tbody>
            </table>
            <div class="conflict-choices">
                <button type="submit">"Overwrite with mine"</button>
                // A full page load, so the form starts again from what is saved now.
                <a href=start_again rel="external" class="button-link">"Start again from theirs"</a>
            </div>
        </div>
    }
}

#[component]
fn ReadOnly(user: User) -> impl IntoView {
    view! {
        <h1>{user.display_name()}</h1>
        <dl class="card details">
            <dt>"Name"</dt><dd>{user.name}</dd>
            <dt>"Email"</dt><dd>{user.email}</dd>
            <dt>"Id"</dt><dd><code>{user.id.to_string()}</code></dd>
        </dl>
    }
}

/// The user's events, newest first; `history_before` in the URL pages back.
#[component]
fn History(id: Uuid) -> impl IntoView {
    let query = use_query_map();
    let before = move || query.read().get("history_before");
    let page = Resource::new(before, move |before| user_history(id, before));
    let newest = format!("/users/{id}");
    view! {
        <section aria-labelledby="history-heading" class="history">
            <h2 id="history-heading">"History"</h2>
            <p class="hint">"Changes made outside this app are not recorded."</p>
            <Transition fallback=|| view! { <p>"Loading history…"</p> }>
                {move || {
                    let newest = newest.clone();
                    Suspend::new(async move {
                        match page.await {
                            Err(error) => view! { <ErrorAlert error/> }.into_any(),
                            Ok(page) if page.events.is_empty() => view! { <p class="empty">"No recorded changes."</p> }.into_any(),
                            Ok(page) => view! {
                                <EventTable page newest_href=newest.clone() on_first_page=before().is_none()
                                    older_href=|cursor| format!("?history_before={cursor}")/>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
