//! `/setup`: creating the first administrator, offered only while no operator exists.

use crate::api::{setup_needs_code, CreateFirstAdmin};
use crate::components::form::{check_before_submit, field_errors, Field};
use crate::components::notice::ErrorBanner;
use crate::validate::{validate_new_operator, FieldErrors, PASSWORD_MIN_CHARS};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let username = query
        .read_untracked()
        .get("draft_username")
        .unwrap_or_default();
    let needs_code = Resource::new(|| (), |_| setup_needs_code());
    let create = ServerAction::<CreateFirstAdmin>::new();
    let checked_in_browser = RwSignal::new(None);
    let errors = field_errors(checked_in_browser, move || create.value().get());
    let server_error = Signal::derive(move || create.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            let _ = window().location().set_href("/");
        }
    });
    view! {
        <Title text="Create the first administrator"/>
        <h1>"Create the first administrator"</h1>
        <p>"No operator exists yet. The first one is an administrator, who can then add the others."</p>
        <section class="card narrow">
            <ErrorBanner error=server_error/>
            <ActionForm action=create attr:novalidate=true on:submit:capture=check_before_submit(checked_in_browser, admin_rules)>
                <Field id="setup-username".to_owned() label="Username" name="username" value=username
                    autocomplete="username" errors/>
                <Field id="setup-password".to_owned() label="Password" name="password" input_type="password"
                    autocomplete="new-password" errors/>
                <Field id="setup-confirm".to_owned() label="Confirm password" name="confirm_password"
                    input_type="password" autocomplete="new-password" errors/>
                <p class="hint">{format!("At least {PASSWORD_MIN_CHARS} characters: length is what makes a password hard to guess.")}</p>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        // Unless this browser is on the server's own machine, prove access to
                        // the server's log.
                        needs_code.await.unwrap_or(true).then(|| view! {
                            <Field id="setup-code".to_owned() label="Setup code" name="setup_code"
                                errors/>
                            <p class="hint">"The server printed the setup code in its log when it started."</p>
                        })
                    })}
                </Transition>
                <button type="submit" disabled=move || create.pending().get()>"Create administrator"</button>
            </ActionForm>
        </section>
    }
}

fn admin_rules(value: &dyn Fn(&str) -> String) -> Result<(), FieldErrors> {
    validate_new_operator(
        &value("username"),
        "admin",
        &value("password"),
        &value("confirm_password"),
    )
    .map(|_| ())
}
