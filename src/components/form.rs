//! Form building blocks: a labelled input with its message, the messages to show, and the check
//! that runs the shared validation in the browser before anything is sent.

use crate::error::AppError;
use crate::validate::FieldErrors;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

/// One labelled input. No `required`, `maxlength` or `type="email"`: the browser would block or
/// silently cut what the person typed, where our own rules explain what is wrong instead.
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
    #[prop(into)] errors: Signal<FieldErrors>,
) -> impl IntoView {
    let error = Signal::derive(move || errors.get().get(name));
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

/// The field messages to show for a form: the browser's own check of the last submit attempt
/// first, else what the server answered.
pub fn field_errors<T: Send + Sync + 'static>(
    checked_in_browser: RwSignal<Option<FieldErrors>>,
    server_answer: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Signal<FieldErrors> {
    Signal::derive(move || {
        checked_in_browser
            .get()
            .unwrap_or_else(|| match server_answer() {
                Some(Err(error)) => error.field_errors(),
                _ => FieldErrors::default(),
            })
    })
}

/// A submit listener (use with `on:submit:capture`) that runs `validate` (the shared rules,
/// given a way to read the form's fields) in the browser and stops the submission when it finds
/// problems, so the person sees every message at once without a round trip. The server checks
/// again either way.
pub fn check_before_submit(
    checked_in_browser: RwSignal<Option<FieldErrors>>,
    validate: impl Fn(&dyn Fn(&str) -> String) -> Result<(), FieldErrors>,
) -> impl Fn(SubmitEvent) {
    move |event: SubmitEvent| {
        let value = |field: &str| form_value(&event, field).unwrap_or_default();
        match validate(&value) {
            Ok(()) => checked_in_browser.set(None),
            Err(errors) => {
                event.prevent_default();
                event.stop_immediate_propagation();
                checked_in_browser.set(Some(errors));
            }
        }
    }
}

/// The current value of one field of the form being submitted.
pub fn form_value(event: &SubmitEvent, field: &str) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    let form = event
        .target()?
        .dyn_into::<leptos::web_sys::HtmlFormElement>()
        .ok()?;
    let data = leptos::web_sys::FormData::new_with_form(&form).ok()?;
    data.get(field).as_string()
}
