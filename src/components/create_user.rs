//! The form of "Add a user" (`/users/new`), checked in the browser first (an island), posted as
//! a plain form either way.

use crate::api::CreateUser;
use crate::components::form::{server_field_errors, CheckedForm, FormRules};
use crate::components::notice::ErrorBanner;
use crate::components::user_fields::UserFields;
use leptos::prelude::*;

/// `draft_*`: what the person typed before a failed post without JavaScript (see `finish_form_post`).
#[component]
pub fn CreateUserForm(draft_name: Option<String>, draft_email: Option<String>) -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let errors = server_field_errors(create.value().get_untracked());
    let server_error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <section class="card" aria-label="New user">
            <ErrorBanner error=server_error/>
            <CheckedForm rules=FormRules::User>
                <ActionForm action=create attr:novalidate=true>
                    <UserFields id_prefix="create" name=draft_name.unwrap_or_default() email=draft_email.unwrap_or_default() errors/>
                    <button type="submit">"Add user"</button>
                </ActionForm>
            </CheckedForm>
        </section>
    }
}
