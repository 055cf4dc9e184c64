//! `/sign-in`: username and password. Works as a plain form post without JavaScript.

use crate::api::SignIn;
use crate::components::form::{server_field_errors, Field};
use crate::components::notice::ErrorBanner;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = query
        .read_untracked()
        .get("next")
        .unwrap_or_else(|| "/".into());
    let username = query
        .read_untracked()
        .get("draft_username")
        .unwrap_or_default();
    let sign_in = ServerAction::<SignIn>::new();
    let errors = server_field_errors(sign_in.value().get_untracked());
    let server_error = Signal::derive(move || sign_in.value().get().and_then(Result::err));
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        <section class="card narrow">
            <ErrorBanner error=server_error/>
            <ActionForm action=sign_in attr:novalidate=true>
                <input type="hidden" name="next" value=next/>
                <Field id="sign-in-username".to_owned() label="Username" name="username"
                    value=username autocomplete="username" server_error=errors.get("username")/>
                <Field id="sign-in-password".to_owned() label="Password" name="password"
                    input_type="password" autocomplete="current-password" server_error=errors.get("password")/>
                <button type="submit">"Sign in"</button>
            </ActionForm>
        </section>
    }
}
