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

/// Shown instead of a page the signed-in operator's role does not reach (answered with 403).
#[component]
pub fn NeedsRole(needed: crate::model::Role) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    view! {
        <p class="banner banner-error" role="alert">
            {format!("This page needs the {needed} role. Ask an admin if you need it.")}
        </p>
    }
}

/// The whole of an error in one line, for a banner: field messages included.
pub fn error_text(error: &AppError) -> String {
    let fields = error.field_errors();
    if fields.is_empty() {
        error.to_string()
    } else {
        fields.messages().join(" ")
    }
}
