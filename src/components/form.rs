//! Form building blocks. Pages are plain server-rendered HTML and every form is an ordinary post
//! that works without JavaScript. Two islands (the only parts of the page that ship as
//! WebAssembly) add the browser's half of the shared validation on top:
//! - `CheckedForm` runs the shared rules when its form is submitted and stops the post when they
//!   find problems, so the person sees every message at once without a round trip;
//! - `Field`, a labelled input, shows its message: the browser's check of the last submit
//!   attempt first, else what the server answered to the last post.

use crate::error::AppError;
use crate::validate::{validate_new_operator, validate_user, FieldErrors};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Which of the shared rules a form's fields must pass before the browser sends it. The server
/// checks again either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FormRules {
    /// `name` and `email` of a user.
    User,
    /// `username`, `role`, `password` and `confirm_password` of a new operator.
    NewOperator,
    /// The same for the first administrator, whose role is fixed.
    FirstAdmin,
}

impl FormRules {
    /// Checks a form, given a way to read its fields.
    pub fn check(self, value: &dyn Fn(&str) -> String) -> Result<(), FieldErrors> {
        match self {
            FormRules::User => validate_user(&value("name"), &value("email")).map(|_| ()),
            FormRules::NewOperator => validate_new_operator(
                &value("username"),
                &value("role"),
                &value("password"),
                &value("confirm_password"),
            )
            .map(|_| ()),
            FormRules::FirstAdmin => validate_new_operator(
                &value("username"),
                "admin",
                &value("password"),
                &value("confirm_password"),
            )
            .map(|_| ()),
        }
    }
}

/// The messages of the browser's last check, shared by a `CheckedForm` with its `Field`s.
#[derive(Clone, Copy)]
struct BrowserCheck(RwSignal<Option<FieldErrors>>);

/// Wraps a form (its only child) and checks it against `rules` before it is sent.
#[island]
pub fn CheckedForm(rules: FormRules, children: Children) -> impl IntoView {
    let checked = RwSignal::new(None);
    provide_context(BrowserCheck(checked));
    let check = move |event: SubmitEvent| {
        let value = |field: &str| form_value(&event, field).unwrap_or_default();
        match rules.check(&value) {
            Ok(()) => checked.set(None),
            Err(errors) => {
                event.prevent_default();
                checked.set(Some(errors));
            }
        }
    };
    view! { <div class="checked-form" on:submit:capture=check>{children()}</div> }
}

/// One labelled input and its message. No `required`, `maxlength` or `type="email"`: the browser
/// would block or silently cut what the person typed, where our own rules explain what is wrong
/// instead.
#[component]
pub fn Field(
    id: String,
    label: &'static str,
    /// The form field's name, and the key of its message in `FieldErrors`.
    name: &'static str,
    #[prop(into, optional)] value: String,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(default = "text")] inputmode: &'static str,
    /// What the server answered about this field to the last post, if anything.
    server_error: Option<String>,
) -> impl IntoView {
    view! {
        <LiveField id label=label.into() name=name.into() value input_type=input_type.into()
            autocomplete=autocomplete.into() inputmode=inputmode.into() server_error/>
    }
}

/// `Field` as an island: its props travel to the browser in the page, so they are owned.
#[island]
fn LiveField(
    id: String,
    label: String,
    name: String,
    value: String,
    input_type: String,
    autocomplete: String,
    inputmode: String,
    server_error: Option<String>,
) -> impl IntoView {
    let browser_check = use_context::<BrowserCheck>();
    let error = {
        let name = name.clone();
        Signal::derive(move || {
            match browser_check.and_then(|BrowserCheck(checked)| checked.get()) {
                Some(errors) => errors.get(&name),
                None => server_error.clone(),
            }
        })
    };
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=input_type
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                spellcheck="false"
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// The field messages the server gave for the last post of this form (shown after a plain
/// form post comes back with its error).
pub fn server_field_errors<T: Send + Sync + 'static>(
    answer: Option<Result<T, AppError>>,
) -> FieldErrors {
    match answer {
        Some(Err(error)) => error.field_errors(),
        _ => FieldErrors::default(),
    }
}

/// The current value of one field of the form being submitted.
fn form_value(event: &SubmitEvent, field: &str) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    let form = event
        .target()?
        .dyn_into::<leptos::web_sys::HtmlFormElement>()
        .ok()?;
    let data = leptos::web_sys::FormData::new_with_form(&form).ok()?;
    data.get(field).as_string()
}
