//! `/users/:id`: edit one user's name and email.

use crate::api::{get_user, UpdateUser};
use crate::components::notice::ErrorBanner;
use crate::components::user_fields::{check_before_submit, field_errors, UserFields};
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
    let query = use_query_map();
    // What the person typed before a failed post without JavaScript (see `finish_form_post`).
    let draft = move |field: &str| query.read_untracked().get(&format!("draft_{field}"));
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::try_parse(&id).ok())
    };
    let user = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_user(id).await,
            None => Err(crate::error::AppError::NotFound),
        }
    });
    let update = ServerAction::<UpdateUser>::new();
    let checked_in_browser = RwSignal::new(None);
    let errors = field_errors(checked_in_browser, move || update.value().get());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(user)) = update.value().get() {
            navigate(&format!("/?saved={}", user.id), Default::default());
        }
    });
    let server_error = Signal::derive(move || update.value().get().and_then(Result::err));

    view! {
        <p><A href="/">"← All users"</A></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Err(error) => view! {
                        <h1>"Edit user"</h1>
                        <p class="banner banner-error" role="alert">{error.to_string()}</p>
                    }.into_any(),
                    Ok(user) => view! {
                        <h1>"Edit " {display_name(&user)}</h1>
                        <section class="card">
                            <ErrorBanner error=server_error/>
                            <ActionForm action=update attr:novalidate=true on:submit:capture=check_before_submit(checked_in_browser)>
                                <input type="hidden" name="id" value=user.id.to_string()/>
                                <UserFields id_prefix="edit" name=draft("name").unwrap_or(user.name.clone()) email=draft("email").unwrap_or(user.email.clone()) errors/>
                                <button type="submit" disabled=move || update.pending().get()>"Save"</button>
                                <A href="/" attr:class="button-link">"Cancel"</A>
                            </ActionForm>
                        </section>
                        <Form method="GET" action="/">
                            <input type="hidden" name="delete" value=user.id.to_string()/>
                            <button type="submit" class="danger">"Delete"</button>
                        </Form>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
