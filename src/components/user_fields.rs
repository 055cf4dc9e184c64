//! The Name and Email inputs, with their messages, shared by the create and edit forms.

use crate::components::form::Field;
use crate::validate::{validate_user, FieldErrors};
use leptos::prelude::*;

#[component]
pub fn UserFields(
    /// Makes element ids unique when several forms are on one page.
    id_prefix: &'static str,
    #[prop(into, optional)] name: String,
    #[prop(into, optional)] email: String,
    #[prop(into)] errors: Signal<FieldErrors>,
) -> impl IntoView {
    view! {
        <Field id=format!("{id_prefix}-name") label="Name" name="name" value=name
            autocomplete="name" errors/>
        <Field id=format!("{id_prefix}-email") label="Email" name="email" value=email
            autocomplete="email" inputmode="email" errors/>
    }
}

/// The shared user rules, for `check_before_submit`.
pub fn user_rules(value: &dyn Fn(&str) -> String) -> Result<(), FieldErrors> {
    validate_user(&value("name"), &value("email")).map(|_| ())
}
