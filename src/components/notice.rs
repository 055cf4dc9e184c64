//! Banners: an error the person should know about, the outcome of what they just did, or why
//! a page is not theirs to see.

use crate::context::may;
use crate::error::AppError;
use crate::model::Role;
use leptos::prelude::*;
use leptos_meta::Title;

/// The error of an action, when it is not about one form field (the database is down, the
/// user is gone…): field messages show beside their fields instead.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| !e.is_about_fields())
            .map(|error| view! { <ErrorAlert error/> })
    }
}

/// An error in a banner, whatever it is about: with its field messages, when it has any.
#[component]
pub fn ErrorAlert(error: AppError) -> impl IntoView {
    view! { <p class="banner banner-error" role="alert">{error_text(&error)}</p> }
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
fn NeedsRole(needed: Role) -> impl IntoView {
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

/// A page only some roles may see: its title and heading, then what `children` render when the
/// signed-in operator's role includes `needed`, else why not.
#[component]
pub fn RestrictedPage(needed: Role, title: &'static str, children: Children) -> impl IntoView {
    let content = if may(needed) {
        children()
    } else {
        view! { <NeedsRole needed/> }.into_any()
    };
    view! { <Title text=title/> <h1>{title}</h1> {content} }
}

/// The whole of an error in one line, for a banner: field messages included.
fn error_text(error: &AppError) -> String {
    let fields = error.field_errors();
    if fields.is_empty() {
        error.to_string()
    } else {
        fields.messages().join(" ")
    }
}
