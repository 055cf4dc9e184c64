//! `/operators` (admins): who may sign in, with which role; add, change role, disable, reset a
//! password. Every form is a plain post too, so the page works without JavaScript.

use crate::api::{
    list_operators, AddOperator, ResetOperatorPassword, ResetOperatorSecondFactor,
    SetOperatorDisabled, SetOperatorRole,
};
use crate::components::form::{server_field_errors, CheckedForm, Field, FormRules};
use crate::components::notice::{ErrorAlert, ErrorBanner, RestrictedPage, StatusBanner};
use crate::model::{OperatorSummary, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn OperatorsPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Admin title="Operators"><Operators/></RestrictedPage> }
}

#[component]
fn Operators() -> impl IntoView {
    let query = use_query_map();
    let add = ServerAction::<AddOperator>::new();
    let set_role = ServerAction::<SetOperatorRole>::new();
    let set_disabled = ServerAction::<SetOperatorDisabled>::new();
    let reset_password = ServerAction::<ResetOperatorPassword>::new();
    let reset_factor = ServerAction::<ResetOperatorSecondFactor>::new();
    let operators = Resource::new(|| (), |_| list_operators());
    let last_error = Signal::derive(move || {
        [
            set_role.value().get().and_then(Result::err),
            set_disabled.value().get().and_then(Result::err),
            reset_password.value().get().and_then(Result::err),
            reset_factor.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    // A plain form post comes back here with what it did in the query string.
    let outcome = Signal::derive(move || {
        (query.read().get("added").is_some() || query.read().get("changed").is_some())
            .then_some("Saved.")
    });
    view! {
        <StatusBanner message=outcome/>
        {move || last_error.get().map(|error| view! { <ErrorAlert error/> })}
        <Transition fallback=|| view! { <p>"Loading operators…"</p> }>
            {move || Suspend::new(async move {
                match operators.await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(operators) => view! {
                        <table class="operators">
                            <thead>
                                <tr><th scope="col">"Username"</th><th scope="col">"Role"</th><th scope="col">"Status"</th><th scope="col">"Password"</th><th scope="col">"Second factor"</th></tr>
                            </thead>
                            <tbody>
                                {operators.into_iter().map(|operator| view! {
                                    <OperatorRow operator set_role set_disabled reset_password reset_factor/>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Transition>
        <AddOperatorForm add/>
    }
}

#[component]
fn OperatorRow(
    operator: OperatorSummary,
    set_role: ServerAction<SetOperatorRole>,
    set_disabled: ServerAction<SetOperatorDisabled>,
    reset_password: ServerAction<ResetOperatorPassword>,
    reset_factor: ServerAction<ResetOperatorSecondFactor>,
) -> impl IntoView {
    let name = operator.username;
    let (status, toggle, toggle_to) = if operator.disabled {
        ("Disabled", "Enable", "false")
    } else {
        ("Active", "Disable", "true")
    };
    // Each form's children are a closure of their own, so each gets its own copy of the name.
    let (for_role, for_toggle, for_password, for_factor) =
        (name.clone(), name.clone(), name.clone(), name.clone());
    let reset_factor_label = format!("Reset the second factor of {name}");
    let role_label = format!("Role of {name}");
    let toggle_label = format!("{toggle} {name}");
    let reset_summary = format!("Reset the password of {name}");
    let (password_id, confirm_id) = (format!("password-{name}"), format!("confirm-{name}"));
    view! {
        <tr>
            <td>{name.clone()}</td>
            <td>
                <ActionForm action=set_role attr:class="inline">
                    <input type="hidden" name="username" value=for_role.clone()/>
                    <RoleSelect id=format!("role-{for_role}") label=role_label selected=operator.role/>
                    <button type="submit">"Change role"</button>
                </ActionForm>
            </td>
            <td>
                {status}
                <ActionForm action=set_disabled attr:class="inline">
                    <input type="hidden" name="username" value=for_toggle/>
                    <input type="hidden" name="disabled" value=toggle_to/>
                    <button type="submit" aria-label=toggle_label>{toggle}</button>
                </ActionForm>
            </td>
            <td>
                <details>
                    <summary>{reset_summary}</summary>
                    <ActionForm action=reset_password>
                        <input type="hidden" name="username" value=for_password/>
                        <div class="field">
                            <label for=password_id.clone()>"New password"</label>
                            <input id=password_id name="password" type="password" autocomplete="new-password"/>
                        </div>
                        <div class="field">
                            <label for=confirm_id.clone()>"Confirm new password"</label>
                            <input id=confirm_id name="confirm_password" type="password" autocomplete="new-password"/>
                        </div>
                        <button type="submit">"Set password"</button>
                    </ActionForm>
                </details>
            </td>
            <td>
                // For a lost phone: removes their authenticator app and recovery codes.
                <ActionForm action=reset_factor attr:class="inline">
                    <input type="hidden" name="username" value=for_factor/>
                    <button type="submit" class="secondary" aria-label=reset_factor_label>"Reset"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
fn RoleSelect(id: String, label: String, selected: Role) -> impl IntoView {
    view! {
        <label for=id.clone() class="visually-hidden">{label}</label>
        <select id=id name="role">
            {Role::ALL.into_iter().map(|role| view! {
                <option value=role.as_str() selected=role == selected>{role.as_str()}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
fn AddOperatorForm(add: ServerAction<AddOperator>) -> impl IntoView {
    let query = use_query_map();
    let draft = query
        .read_untracked()
        .get("draft_username")
        .unwrap_or_default();
    let errors = server_field_errors(add.value().get_untracked());
    let server_error = Signal::derive(move || add.value().get().and_then(Result::err));
    view! {
        <section class="card" aria-labelledby="add-operator-heading">
            <h2 id="add-operator-heading">"Add an operator"</h2>
            <ErrorBanner error=server_error/>
            <CheckedForm rules=FormRules::NewOperator>
            <ActionForm action=add attr:novalidate=true>
                <Field id="new-operator-username".to_owned() label="Username" name="username"
                    value=draft server_error=errors.get("username")/>
                <div class="field">
                    <label for="new-operator-role">"Role"</label>
                    <select id="new-operator-role" name="role">
                        {Role::ALL.into_iter().map(|role| view! {
                            <option value=role.as_str() selected=role == Role::Viewer>{role.as_str()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <Field id="new-operator-password".to_owned() label="Password" name="password"
                    input_type="password" autocomplete="new-password" server_error=errors.get("password")/>
                <Field id="new-operator-confirm".to_owned() label="Confirm password" name="confirm_password"
                    input_type="password" autocomplete="new-password" server_error=errors.get("confirm_password")/>
                <button type="submit">"Add operator"</button>
            </ActionForm>
            </CheckedForm>
        </section>
    }
}
