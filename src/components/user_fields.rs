//! The Name and Email inputs, with their messages, shared by the create and edit forms.

use crate::components::form::Field;
use crate::validate::FieldErrors;
use leptos::prelude::*;

#[component]
pub fn UserFields(
    /// Makes element ids unique when several forms are on one page.
    id_prefix: &'static str,
    #[prop(into, optional)] name: String,
    #[prop(into, optional)] email: String,
    /// What the server answered to the last post of this form.
    errors: FieldErrors,
) -> impl IntoView {
    view! {
        <Field id=format!("{id_prefix}-name") label="Name" name="name" value=name
            autocomplete="name" server_error=errors.get("name")/>
        <Field id=format!("{id_prefix}-email") label="Email" name="email" value=email
            autocomplete="email" inputmode="email" server_error=errors.get("email")/>
    }
}
