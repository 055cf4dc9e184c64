//! `/sign-in/code`: sign-in's second step, after the password of an operator with a second
//! factor: a code (a plain form post: works without JavaScript), or **Use a passkey** (run by
//! `public/passkeys.js`) when they have one.

use crate::api::{passkey_offered, second_factor_pending, VerifySecondFactor};
use crate::components::form::{server_field_errors, Field};
use crate::components::notice::ErrorBanner;
use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let next = use_query_map()
        .read_untracked()
        .get("next")
        .unwrap_or_else(|| "/".into());
    let pending = Resource::new(|| (), |_| second_factor_pending());
    let passkey = Resource::new(|| (), |_| passkey_offered());
    let verify = ServerAction::<VerifySecondFactor>::new();
    let errors = server_field_errors(verify.value().get_untracked());
    let server_error = Signal::derive(move || verify.value().get().and_then(Result::err));
    view! {
        <Title text="Sign in: code"/>
        <h1>"Sign in: code"</h1>
        <section class="card narrow">
            <Transition fallback=|| ()>
                {move || {
                    let (next, errors) = (next.clone(), errors.clone());
                    Suspend::new(async move {
                        if !pending.await.unwrap_or(false) {
                            return view! {
                                <p>"Sign in with your username and password first; this step is good for five minutes after them."</p>
                                <p><a href="/sign-in">"Sign in"</a></p>
                            }.into_any();
                        }
                        let passkey = passkey.await.unwrap_or(false).then(|| {
                            let next = next.clone();
                            view! {
                                <div data-passkey-sign-in data-next=next hidden=true>
                                    <button type="button" data-passkey-sign-in-button>"Use a passkey"</button>
                                    <p class="banner banner-error" role="alert" data-passkey-problem hidden=true></p>
                                    <p>"Or:"</p>
                                </div>
                                <script src="/passkeys.js" nonce=use_nonce() defer=true></script>
                            }
                        });
                        view! {
                            {passkey}
                            <p>"Type the 6-digit code your authenticator app shows now, or one of your recovery codes."</p>
                            <ErrorBanner error=server_error/>
                            <ActionForm action=verify attr:novalidate=true>
                                <input type="hidden" name="next" value=next/>
                                <Field id="second-factor-code".to_owned() label="Code" name="code"
                                    autocomplete="one-time-code" server_error=errors.get("code")/>
                                <button type="submit">"Verify"</button>
                            </ActionForm>
                            <p><a href="/sign-in">"Start again"</a></p>
                        }.into_any()
                    })
                }}
            </Transition>
        </section>
    }
}
