//! `/tokens` (admins): API tokens for scripts. A token's secret is shown once, when it is made.

use crate::api::{list_operators, list_tokens, take_new_token, CreateToken, RevokeToken};
use crate::components::notice::{ErrorAlert, RestrictedPage};
use crate::context::signed_in;
use crate::model::{ApiTokenSummary, NewApiToken, Role};
use leptos::prelude::*;

#[component]
pub fn TokensPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Admin title="API tokens"><Tokens/></RestrictedPage> }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(|| (), |_| list_tokens());
    let operators = Resource::new(|| (), |_| list_operators());
    // A token made by the form post arrives through the session, once.
    let made_by_the_form = Resource::new(|| (), |_| take_new_token());
    let error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| revoke.value().get().and_then(Result::err))
    });
    let me = signed_in()
        .map(|operator| operator.username)
        .unwrap_or_default();
    view! {
        <p class="hint">"A script sends its token as " <code>"Authorization: Bearer <token>"</code>
            " and acts as the token's operator, with that operator's role."</p>
        {move || error.get().map(|error| view! { <ErrorAlert error/> })}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                made_by_the_form.await.ok().flatten().map(|token| view! { <NewToken token/> })
            })}
        </Transition>
        <section class="card" aria-labelledby="create-token-heading">
            <h2 id="create-token-heading">"Create a token"</h2>
            <p class="hint">"Creating a token needs a sign-in with a second factor (an authenticator app or a passkey, on the "
                <a href="/security">"Security"</a>" page, or single sign-on)."</p>
            <ActionForm action=create>
                <div class="field">
                    <label for="token-operator">"Operator"</label>
                    <Transition fallback=|| view! { <select id="token-operator" name="operator"></select> }>
                        {move || {
                            let me = me.clone();
                            Suspend::new(async move {
                                let names: Vec<String> = operators.await.unwrap_or_default().into_iter()
                                    .filter(|operator| !operator.disabled)
                                    .map(|operator| operator.username).collect();
                                view! {
                                    <select id="token-operator" name="operator">
                                        {names.into_iter().map(|name| {
                                            let selected = name == me;
                                            view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                }
                            })
                        }}
                    </Transition>
                </div>
                <div class="field">
                    <label for="token-label">"Label"</label>
                    <input id="token-label" name="label" type="text" autocomplete="off" placeholder="what the token is for"/>
                </div>
                <button type="submit">"Create token"</button>
            </ActionForm>
        </section>
        <Transition fallback=|| view! { <p>"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(tokens) if tokens.is_empty() => view! { <p class="empty">"No API tokens yet."</p> }.into_any(),
                    Ok(tokens) => view! { <TokenTable tokens revoke/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewToken(token: NewApiToken) -> impl IntoView {
    view! {
        <div class="banner banner-ok new-token" role="status">
            <p>{format!("New token \"{}\" for {}. Copy it now: it is not shown again.", token.label, token.operator)}</p>
            <code aria-label="New API token">{token.secret}</code>
        </div>
    }
}

#[component]
fn TokenTable(tokens: Vec<ApiTokenSummary>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <table class="tokens">
            <thead>
                <tr><th scope="col">"Label"</th><th scope="col">"Operator"</th><th scope="col">"Created"</th><th scope="col">"Id"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr>
            </thead>
            <tbody>
                {tokens.into_iter().map(|token| view! {
                    <tr>
                        <td>{token.label.clone()}</td>
                        <td>{token.operator}</td>
                        <td>{token.created}</td>
                        <td><code>{token.id.to_string()}</code></td>
                        <td>
                            <ActionForm action=revoke>
                                <input type="hidden" name="id" value=token.id.to_string()/>
                                <button type="submit" class="danger" aria-label=format!("Revoke {}", token.label)>"Revoke"</button>
                            </ActionForm>
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
