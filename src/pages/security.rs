//! `/security` (every operator): their own second factors. An authenticator app is added in two
//! steps (its secret and QR code, then a first code confirms it) and can be removed; passkeys
//! are added by `public/passkeys.js` (WebAuthn needs a script) and removed by a form; recovery
//! codes are made ten at a time and shown once. Everything but adding a passkey works without
//! JavaScript.

use crate::api::{
    security_overview, take_new_recovery_codes, AddAuthenticator, ConfirmAuthenticator,
    CreateRecoveryCodes, RemoveAuthenticator, RemovePasskey,
};
use crate::components::form::{server_field_errors, Field};
use crate::components::notice::{ErrorAlert, ErrorBanner, RestrictedPage};
use crate::model::{AuthenticatorSetup, Role, SecurityStatus};
use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SecurityPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Viewer title="Security"><Security/></RestrictedPage> }
}

#[component]
fn Security() -> impl IntoView {
    let query = use_query_map();
    let required = query.read_untracked().get("required").is_some();
    let status = Resource::new(|| (), |_| security_overview());
    let new_codes = Resource::new(|| (), |_| take_new_recovery_codes());
    view! {
        {required.then(|| view! {
            <p class="banner banner-error" role="alert">
                "This server requires a second factor for password sign-ins: add an authenticator app or a passkey to go on."
            </p>
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(status) => {
                        let codes = new_codes.await.ok().flatten();
                        view! {
                            <AuthenticatorCard status=status.clone()/>
                            <PasskeysCard status=status.clone()/>
                            <RecoveryCodesCard status codes/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn AuthenticatorCard(status: SecurityStatus) -> impl IntoView {
    let add = ServerAction::<AddAuthenticator>::new();
    let remove = ServerAction::<RemoveAuthenticator>::new();
    let error = Signal::derive(move || {
        add.value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
    });
    let body = match (status.authenticator_added, status.adding) {
        (Some(since), _) => view! {
            <p>{format!("On since {since}: signing in with your password asks for its code.")}</p>
            <ActionForm action=remove>
                <button type="submit" class="danger" aria-label="Remove the authenticator app">"Remove"</button>
            </ActionForm>
        }
        .into_any(),
        (None, Some(setup)) => view! { <ConfirmAuthenticatorForm setup remove/> }.into_any(),
        (None, None) if status.can_add_authenticator => view! {
            <p>"Off. With an authenticator app (Google Authenticator, 1Password, Aegis…), signing in asks for the 6-digit code it shows after your password."</p>
            <ActionForm action=add>
                <button type="submit">"Add an authenticator app"</button>
            </ActionForm>
        }
        .into_any(),
        (None, None) => view! {
            <p class="hint">"Authenticator apps cannot be added on this server: it has no key to seal their secrets with (SECRETS_KEY_FILE; see the README)."</p>
        }
        .into_any(),
    };
    view! {
        <section class="card" id="authenticator" aria-labelledby="authenticator-heading">
            <h2 id="authenticator-heading">"Authenticator app"</h2>
            <ErrorBanner error/>
            {body}
        </section>
    }
}

#[component]
fn ConfirmAuthenticatorForm(
    setup: AuthenticatorSetup,
    remove: ServerAction<RemoveAuthenticator>,
) -> impl IntoView {
    let confirm = ServerAction::<ConfirmAuthenticator>::new();
    let errors = server_field_errors(confirm.value().get_untracked());
    let confirm_error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    // The SVG comes from the server's own renderer (`qrcode`), never from a request.
    let qr_svg = setup
        .qr_svg
        .find("<svg")
        .map(|start| setup.qr_svg[start..].to_owned())
        .unwrap_or_default();
    view! {
        <p>"Scan this code with your authenticator app, or type the secret into it. Then type the code it shows and press Confirm."</p>
        <div class="qr-code" role="img" aria-label="Scan this with your authenticator app" inner_html=qr_svg></div>
        <p><span id="authenticator-secret-label">"Secret"</span>": "
            <code aria-labelledby="authenticator-secret-label">{setup.secret}</code></p>
        <ErrorBanner error=confirm_error/>
        <ActionForm action=confirm attr:novalidate=true>
            <Field id="authenticator-code".to_owned() label="Code" name="code" autocomplete="one-time-code"
                inputmode="numeric" server_error=errors.get("code")/>
            <button type="submit">"Confirm"</button>
        </ActionForm>
        <ActionForm action=remove>
            <button type="submit" class="secondary">"Cancel"</button>
        </ActionForm>
    }
}

#[component]
fn PasskeysCard(status: SecurityStatus) -> impl IntoView {
    let remove = ServerAction::<RemovePasskey>::new();
    let error = Signal::derive(move || remove.value().get().and_then(Result::err));
    let listed = if status.passkeys.is_empty() {
        view! {
            <p>"None yet. A passkey signs you in with your device's screen lock or a security key, and no fake site can use it."</p>
        }
        .into_any()
    } else {
        let items = status.passkeys.into_iter().map(|passkey| {
            let label = format!("Remove the passkey {}", passkey.name);
            view! {
                <li>
                    <span>{passkey.name}</span>" "<span class="hint">{format!("added {}", passkey.added)}</span>
                    <ActionForm action=remove>
                        <input type="hidden" name="id" value=passkey.id/>
                        <button type="submit" class="danger" aria-label=label>"Remove"</button>
                    </ActionForm>
                </li>
            }
        });
        view! { <ul class="passkeys">{items.collect_view()}</ul> }.into_any()
    };
    let adding = match status.passkeys_unavailable {
        Some(why) => view! { <p class="hint">{why}</p> }.into_any(),
        // Shown by the script once it runs: without JavaScript there is no WebAuthn.
        None => view! {
            <div class="passkey-add" data-passkey-add hidden=true>
                <Field id="passkey-name".to_owned() label="Passkey name" name="name" server_error=None/>
                <button type="button" data-passkey-add-button>"Add a passkey"</button>
                <p class="banner banner-error" role="alert" data-passkey-problem hidden=true></p>
            </div>
            <noscript><p class="hint">"Adding a passkey needs JavaScript; the authenticator app works without it."</p></noscript>
            <script src="/passkeys.js" nonce=use_nonce() defer=true></script>
        }
        .into_any(),
    };
    view! {
        <section class="card" id="passkeys" aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading">"Passkeys"</h2>
            <ErrorBanner error/>
            {listed}
            {adding}
        </section>
    }
}

#[component]
fn RecoveryCodesCard(status: SecurityStatus, codes: Option<Vec<String>>) -> impl IntoView {
    let create = ServerAction::<CreateRecoveryCodes>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let shown = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| codes.clone())
    });
    let left = status.recovery_codes_left;
    view! {
        <section class="card">
            <h2 id="recovery-heading">"Recovery codes"</h2>
            <p>{format!("{left} unused. Each one signs you in once in place of an authenticator app's code, for when you do not have your phone. Making new ones ends the old ones.")}</p>
            <ErrorBanner error/>
            {move || shown.get().map(|codes| view! {
                <div class="banner banner-ok" role="status">
                    <p>"Your new recovery codes. Keep them somewhere safe now: they are not shown again."</p>
                    <ul class="recovery-codes" aria-label="New recovery codes">
                        {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                    </ul>
                </div>
            })}
            <ActionForm action=create>
                <button type="submit">"Create recovery codes"</button>
            </ActionForm>
        </section>
    }
}
