//! Manage the users of a Cassandra-backed application from a web browser.
//!
//! The same crate is compiled twice: for the server (`ssr`: Axum, the scylla driver) and for the
//! browser (`hydrate`: WebAssembly). `model`, `validate` and `error` are shared by both sides;
//! `server` exists only on the server; `api` is where the two meet. The UI (`app`, `pages`,
//! `components`) reaches the server only through `api` and what `context` carries.

pub mod api;
pub mod app;
pub mod components;
pub mod context;
pub mod error;
pub mod model;
pub mod pages;
pub mod validate;

#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WebAssembly bundle. Pages are server-rendered HTML; only the islands
/// (`#[island]` components) come alive in the browser, which Leptos's loader does right after
/// this returns.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // Tests (and curious people) can tell that the page is interactive from this attribute. The
    // loader hydrates the islands in a chain of promises that starts when this returns; a timer
    // fires only after that chain has run.
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
