//! Banners: an error the person should know about, or the outcome of what they just did.

use crate::error::AppError;
use leptos::prelude::*;

/// An error that is not about one form field (the database is down, the user is gone…).
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().filter(|e| !e.is_about_fields()).map(|error| {
            view! { <p class="banner banner-error" role="alert">{error.to_string()}</p> }
        })
    }
}

/// The outcome of a successful action, read by screen readers when it appears.
#[component]
pub fn StatusBanner(#[prop(into)] message: Signal<Option<&'static str>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <p class="banner banner-ok" role="status">{message}</p> })
    }
}
