//! `/sign-in`: username and password, and "Sign in with {provider}" when single sign-on is
//! configured (a link: the provider's page is reached by GET). Works without JavaScript.

use crate::api::{single_sign_on, SignIn};
use crate::components::form::{server_field_errors, Field};
use crate::components::notice::ErrorBanner;
use crate::model::{SsoButton, SsoRefusal};
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
    let refusal = query
        .read_untracked()
        .get("sso_error")
        .map(|code| SsoRefusal::from_code(&code).unwrap_or(SsoRefusal::NotVerified));
    let sso = Resource::new(|| (), |_| single_sign_on());
    let sign_in = ServerAction::<SignIn>::new();
    let errors = server_field_errors(sign_in.value().get_untracked());
    let server_error = Signal::derive(move || sign_in.value().get().and_then(Result::err));
    let start = format!(
        "/auth/oidc/start?next={}",
        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        <section class="card narrow">
            <ErrorBanner error=server_error/>
            <Transition fallback=|| ()>
                {move || {
                    let start = start.clone();
                    Suspend::new(async move {
                        sso.await.ok().flatten().map(|button| view! {
                            <SingleSignOn button refusal start/>
                        })
                    })
                }}
            </Transition>
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

/// Why the last sign-in through the provider failed, if it did, and the way to it.
#[component]
fn SingleSignOn(button: SsoButton, refusal: Option<SsoRefusal>, start: String) -> impl IntoView {
    let name = button.provider_name;
    let why = refusal.map(|refusal| {
        view! { <p class="banner banner-error" role="alert">{refusal.message(&name)}</p> }
    });
    let way = if button.available {
        view! {
            <p><a class="button-link sso" href=start>{format!("Sign in with {name}")}</a></p>
        }
        .into_any()
    } else {
        // Not a button: there is nothing to press until the provider answers.
        view! {
            <p class="sso-unavailable">
                <span class="button-link" aria-disabled="true">{format!("Sign in with {name}")}</span>
                " "<span class="hint">{format!("{name} cannot be reached right now.")}</span>
            </p>
        }
        .into_any()
    };
    view! { {why} {way} }
}
