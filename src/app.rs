//! The HTML shell, the app's routes, and the frame around every page.

use crate::api::cassandra_version;
use crate::pages::{edit_user::EditUserPage, not_found::NotFoundPage, users::UsersPage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, SsrMode,
};

/// The document the server sends; the app hydrates inside `<body>`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/cassandra-users.css"/>
        <Link rel="icon" href="/favicon.svg"/>
        <Meta name="description" content="Manage the users stored in Cassandra"/>
        <Title text="Users"/>
        <Router>
            <header class="site-header">
                <A href="/" attr:class="brand">"Users"</A>
            </header>
            <main>
                // Async: the server waits for the data and sends finished HTML, so every page
                // works without JavaScript (streamed placeholders need JS to be filled in).
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/users/:id") view=EditUserPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <SiteFooter/>
        </Router>
    }
}

/// Shows which Cassandra the server talks to: the whole path browser → server function →
/// prepared statement → node, on every page.
#[component]
fn SiteFooter() -> impl IntoView {
    let version = Resource::new(|| (), |_| cassandra_version());
    view! {
        <footer class="site-footer">
            <Transition fallback=|| view! { <span>"Connecting to Cassandra…"</span> }>
                {move || Suspend::new(async move {
                    match version.await {
                        Ok(version) => view! { <span>"Connected to Cassandra " {version}</span> }.into_any(),
                        Err(_) => view! { <span class="offline">"Cassandra is not reachable right now"</span> }.into_any(),
                    }
                })}
            </Transition>
        </footer>
    }
}
