//! The document, the app's routes, and the frame around every page: the header with the
//! sections this operator may use, and the footer that says which Cassandra the server talks to.

use crate::context::{connected_database, signed_in, stylesheet};
use crate::model::{Operator, Role};
use crate::pages::{
    activity::ActivityPage,
    bulk_delete::{DeleteSelectedPage, DeletedPage},
    edit_user::EditUserPage,
    import::ImportPage,
    import_job::ImportJobPage,
    new_user::NewUserPage,
    not_found::NotFoundPage,
    operators::OperatorsPage,
    reconcile::ReconcilePage,
    second_step::SecondFactorPage,
    security::SecurityPage,
    setup::SetupPage,
    sign_in::SignInPage,
    tokens::TokensPage,
    users::UsersPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_location,
    path, SsrMode,
};

/// The document the server sends. Pages are plain HTML; the islands in them come alive once
/// the WebAssembly bundle has loaded.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <link id="leptos" rel="stylesheet" href=stylesheet()/>
                <HydrationScripts options islands=true/>
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
    let operator = signed_in();
    view! {
        <Link rel="icon" href="/favicon.svg"/>
        <Meta name="description" content="Manage the users stored in Cassandra"/>
        <Title text="Users"/>
        <Router>
            <SiteHeader operator=operator.clone()/>
            <main>
                // Async: the server waits for the data and sends finished HTML, so every page
                // works without JavaScript (streamed placeholders need JS to be filled in).
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/users/new") view=NewUserPage ssr=SsrMode::Async/>
                    <Route path=path!("/users/:id") view=EditUserPage ssr=SsrMode::Async/>
                    <Route path=path!("/delete-selected") view=DeleteSelectedPage ssr=SsrMode::Async/>
                    <Route path=path!("/deleted") view=DeletedPage ssr=SsrMode::Async/>
                    <Route path=path!("/activity") view=ActivityPage ssr=SsrMode::Async/>
                    <Route path=path!("/import") view=ImportPage ssr=SsrMode::Async/>
                    <Route path=path!("/import/:id") view=ImportJobPage ssr=SsrMode::Async/>
                    <Route path=path!("/operators") view=OperatorsPage ssr=SsrMode::Async/>
                    <Route path=path!("/tokens") view=TokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/reconcile") view=ReconcilePage ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in/code") view=SecondFactorPage ssr=SsrMode::Async/>
                    <Route path=path!("/security") view=SecurityPage ssr=SsrMode::Async/>
                    <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            {operator.is_some().then(|| view! { <SiteFooter/> })}
        </Router>
    }
}

/// The app's name, the pages this operator may use, who they are and "Sign out".
#[component]
fn SiteHeader(operator: Option<Operator>) -> impl IntoView {
    let Some(operator) = operator else {
        return view! {
            <header class="site-header"><span class="brand">"Users"</span></header>
        }
        .into_any();
    };
    let admin = operator.role.allows(Role::Admin);
    let editor = operator.role.allows(Role::Editor);
    // Pages render once, on the server, so the links are plain: no router link per entry.
    let here = use_location().pathname.get_untracked();
    let current =
        |href: &str| (here == href || here.starts_with(&format!("{href}/"))).then_some("page");
    let link = |href: &'static str, text: &'static str| {
        view! { <a href=href aria-current=current(href)>{text}</a> }
    };
    view! {
        <header class="site-header">
            <a href="/" class="brand" aria-current=current("/")>"Users"</a>
            <nav aria-label="Sections" class="site-nav">
                {link("/activity", "Activity")}
                {editor.then(|| link("/import", "Import"))}
                {admin.then(|| view! {
                    {link("/operators", "Operators")}
                    {link("/tokens", "API tokens")}
                    {link("/reconcile", "Reconcile")}
                })}
                {link("/security", "Security")}
            </nav>
            <div class="whoami">
                <span>"Signed in as " <strong>{operator.username}</strong> " (" {operator.role.as_str()} ")"</span>
                // A plain form: signing out reloads the page, so nothing of the session stays.
                <form method="post" action="/api/auth/sign-out">
                    <button type="submit" class="link-button">"Sign out"</button>
                </form>
            </div>
        </header>
    }
    .into_any()
}

/// Shows which Cassandra the server talks to and how it writes, on every page. It is what the
/// server found when it connected, so a page costs no query for it.
#[component]
fn SiteFooter() -> impl IntoView {
    let text = match connected_database() {
        Some(info) => {
            let writes = if info.transactions {
                "changes run as Accord transactions"
            } else {
                "changes run as ordered steps with lightweight transactions"
            };
            format!("Connected to Cassandra {} · {writes}", info.version)
        }
        None => "Cassandra is not reachable right now".to_owned(),
    };
    view! { <footer class="site-footer"><span>{text}</span></footer> }
}
