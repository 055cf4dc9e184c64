//! `/users/:id`: one user — an edit form for editors, the values for viewers — and their History.

use crate::api::{get_user, user_history, UpdateUser};
use crate::app::may;
use crate::components::form::{check_before_submit, field_errors, form_value};
use crate::components::history::EventTable;
use crate::components::notice::ErrorBanner;
use crate::components::user_fields::{user_rules, UserFields};
use crate::error::AppError;
use crate::model::{Role, User};
use crate::pages::users::display_name;
use leptos::prelude::*;
use leptos_router::{
    components::{Form, A},
    hooks::{use_navigate, use_params_map, use_query_map},
};
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
        <p><A href="/">"← All users"</A></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Err(error) => view! {
                        <h1>"User"</h1>
                        <p class="banner banner-error" role="alert">{error.to_string()}</p>
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
    let checked_in_browser = RwSignal::new(None);
    let errors = field_errors(checked_in_browser, move || update.value().get());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(user)) = update.value().get() {
            navigate(&format!("/?saved={}", user.id), Default::default());
        }
    });
    let theirs = Signal::derive(move || match update.value().get() {
        Some(Err(AppError::Conflict { current })) => Some(current),
        _ => None,
    });
    let server_error = Signal::derive(move || {
        update
            .value()
            .get()
            .and_then(Result::err)
            .filter(|error| !matches!(error, AppError::Conflict { .. }))
    });
    // What was typed at the last submit, for the conflict panel (with JavaScript on).
    let typed = RwSignal::new(None::<(String, String)>);
    let check = check_before_submit(checked_in_browser, user_rules);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        typed.set(form_value(&event, "name").zip(form_value(&event, "email")));
        check(event);
    };
    let yours = move || {
        typed.get().unwrap_or_else(|| {
            (
                draft("name").unwrap_or_default(),
                draft("email").unwrap_or_default(),
            )
        })
    };
    let shown = {
        let user = user.clone();
        move || theirs.get().unwrap_or_else(|| user.clone())
    };
    let expected_name = {
        let shown = shown.clone();
        move || shown().name
    };
    let expected_email = move || shown().email;
    let start_again = format!("/users/{}", user.id);
    view! {
        <h1>"Edit " {display_name(&user)}</h1>
        <section class="card">
            <ErrorBanner error=server_error/>
            <ActionForm action=update attr:novalidate=true on:submit:capture=on_submit>
                <input type="hidden" name="id" value=user.id.to_string()/>
                <input type="hidden" name="expected_name" value=expected_name/>
                <input type="hidden" name="expected_email" value=expected_email/>
                <UserFields id_prefix="edit" name=draft("name").unwrap_or(user.name.clone()) email=draft("email").unwrap_or(user.email.clone()) errors/>
                {move || theirs.get().map(|theirs| view! {
                    <ConflictPanel theirs yours=yours() start_again=start_again.clone()/>
                })}
                <button type="submit" disabled=move || update.pending().get()>"Save"</button>
                <A href="/" attr:class="button-link">"Cancel"</A>
            </ActionForm>
        </section>
        <Form method="GET" action="/">
            <input type="hidden" name="delete" value=user.id.to_string()/>
            <button type="submit" class="danger">"Delete"</button>
        </Form>
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
        <h1>{display_name(&user)}</h1>
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
                            Err(error) => view! { <p class="banner banner-error" role="alert">{error.to_string()}</p> }.into_any(),
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
