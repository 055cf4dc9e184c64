//! `/setup`: creating the first administrator, offered only while no operator exists.

use crate::api::{setup_needs_code, CreateFirstAdmin};
use crate::components::form::{server_field_errors, CheckedForm, Field, FormRules};
use crate::components::notice::ErrorBanner;
use crate::validate::PASSWORD_MIN_CHARS;
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
    let errors = server_field_errors(create.value().get_untracked());
    let server_error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <Title text="Create the first administrator"/>
        <h1>"Create the first administrator"</h1>
        <p>"No operator exists yet. The first one is an administrator, who can then add the others."</p>
        <section class="card narrow">
            <ErrorBanner error=server_error/>
            <CheckedForm rules=FormRules::FirstAdmin>
            <ActionForm action=create attr:novalidate=true>
                <Field id="setup-username".to_owned() label="Username" name="username"
                    value=username autocomplete="username" server_error=errors.get("username")/>
                <Field id="setup-password".to_owned() label="Password" name="password"
                    input_type="password" autocomplete="new-password" server_error=errors.get("password")/>
                <Field id="setup-confirm".to_owned() label="Confirm password" name="confirm_password"
                    input_type="password" autocomplete="new-password" server_error=errors.get("confirm_password")/>
                <p class="hint">{format!("At least {PASSWORD_MIN_CHARS} characters: length is what makes a password hard to guess.")}</p>
                <Transition fallback=|| ()>
                    {move || {
                        let code_error = errors.get("setup_code");
                        Suspend::new(async move {
                            // Unless this browser is on the server's own machine, prove access to
                            // the server's log.
                            needs_code.await.unwrap_or(true).then(|| view! {
                                <Field id="setup-code".to_owned() label="Setup code" name="setup_code"
                                    server_error=code_error/>
                                <p class="hint">"The server printed the setup code in its log when it started."</p>
                            })
                        })
                    }}
                </Transition>
                <button type="submit">"Create administrator"</button>
            </ActionForm>
            </CheckedForm>
        </section>
    }
}
