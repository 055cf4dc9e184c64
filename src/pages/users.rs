//! `/`: the users, their count and the Search box above them, a link to "Add a user"
//! (`/users/new`), and the delete confirmation. With `q`, the table shows what the search finds
//! instead of every user.
//!
//! Everything that selects what is shown lives in the query string, so every state is a link
//! that works with JavaScript off and survives Back and reload: `q` (search), `sort` (`name` or
//! `token`), `after` / `before` (page cursors), `delete` (confirm), `id` and `select` (rows
//! checked), `added` / `saved` / `deleted`.

use crate::api::{get_user, list_users, search_users};
use crate::components::confirm_delete::ConfirmDelete;
use crate::components::list_position::ListPosition;
use crate::components::notice::{ErrorAlert, StatusBanner};
use crate::components::search_box::SearchBox;
use crate::components::user_count::UserCountLine;
use crate::components::user_table::{users_table, Selected};
use crate::context::may;
use crate::error::AppError;
use crate::model::{Role, SortOrder, User, UserPage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

#[component]
pub fn UsersPage() -> impl IntoView {
    // Pages render once, on the server: the query is read once, not tracked.
    let query = use_query_map().get_untracked();
    let param = |key: &str| query.get(key).filter(|value| !value.trim().is_empty());
    let id_param = |key: &str| param(key).and_then(|value| Uuid::try_parse(value.trim()).ok());

    let outcome = if param("added").is_some() {
        Some("User added.")
    } else if param("saved").is_some() {
        Some("Changes saved.")
    } else if param("deleted").is_some() {
        Some("User deleted.")
    } else {
        None
    };
    let highlighted = id_param("added").or_else(|| id_param("saved"));
    // Viewers see no way to change anything (the server refuses them anyway).
    let editor = may(Role::Editor);
    let position = ListPosition::from_query(param);
    let selected = if param("select").as_deref() == Some("all") {
        Selected::All
    } else {
        let ids = query.get_all("id").unwrap_or_default();
        Selected::These(
            ids.iter()
                .filter_map(|id| Uuid::try_parse(id).ok())
                .collect(),
        )
    };

    view! {
        <h1>"Users"</h1>
        <StatusBanner message=outcome/>
        {id_param("delete").filter(|_| editor).map(|id| view! { <ConfirmDelete id back=position.clone()/> })}
        <div class="toolbar">
            <UserCountLine/>
            <SearchBox q=position.q.clone()/>
        </div>
        {position.q.is_none().then(|| view! { <SortChoice sort=position.sort/> })}
        <p class="transfer">
            {editor.then(|| view! { <a href="/users/new" class="button-link">"Add a user"</a> })}
            // A plain download: the browser saves the file as it streams in.
            {export_link(position.q.as_deref())}
            {editor.then(|| view! { <a href="/import">"Import CSV"</a> })}
        </p>
        <UserList position highlighted editor selected/>
    }
}

/// Every user, or what the search finds, a page at a time.
#[component]
fn UserList(
    position: ListPosition,
    highlighted: Option<Uuid>,
    editor: bool,
    selected: Selected,
) -> impl IntoView {
    let searching = position.q.clone();
    let page = {
        let position = position.clone();
        Resource::new(
            move || position.clone(),
            |position| async move {
                let sort = Some(position.sort.param().to_owned());
                match position.q {
                    Some(q) => search_users(q, position.after, position.before, None).await,
                    None => list_users(sort, position.after, position.before).await,
                }
            },
        )
    };
    // A user just added or saved is shown at the top even when token order puts it elsewhere.
    let pinned = Resource::new(
        move || highlighted,
        |id| async move {
            match id {
                Some(id) => get_user(id).await.ok(),
                None => None,
            }
        },
    );
    let (heading, hint) = match (&searching, position.sort) {
        (Some(q), _) => (
            format!("Users matching “{q}”"),
            "By the word that matched, then by name, like a phone book: \u{201c}mart\u{201d} lists \
             Martin Lee (filed under martin) before Ana Martínez (filed under martinez).",
        ),
        (None, SortOrder::Name) => (
            "All users".to_owned(),
            "By name, without regard to case or accents; the same name by email.",
        ),
        (None, SortOrder::Storage) => (
            "All users".to_owned(),
            "Listed in Cassandra's storage (token) order, not alphabetically: every row, whoever \
             wrote it, shows here at once.",
        ),
    };
    let other_clients_note = (searching.is_none() && position.sort == SortOrder::Name).then(|| {
        view! {
            <p class="hint">
                "Rows that other clients write join this order once reconcile gives them their place, or once they are edited here; "
                <a href="/?sort=token">"Storage order"</a>" lists every row at once."
            </p>
        }
    });
    view! {
        <section aria-labelledby="list-heading">
            <h2 id="list-heading">{heading}</h2>
            <Transition fallback=|| view! { <p>"Loading users…"</p> }>
                {move || {
                    let (position, selected, searching) = (position.clone(), selected.clone(), searching.clone());
                    Suspend::new(async move {
                        let pinned = pinned.await;
                        shown(page.await, pinned, position, editor, selected, searching.is_some())
                    })
                }}
            </Transition>
            // After the table: on a phone the first users come before any explanation.
            <p class="hint">{hint}</p>
            {other_clients_note}
        </section>
    }
}

fn shown(
    page: Result<UserPage, AppError>,
    pinned: Option<User>,
    position: ListPosition,
    editor: bool,
    selected: Selected,
    searching: bool,
) -> AnyView {
    let page = match page {
        Ok(page) => page,
        Err(error) => return view! { <ErrorAlert error/> }.into_any(),
    };
    let empty = page.users.is_empty() && pinned.is_none() && !page.partial;
    let partial = page.partial.then(|| {
        view! {
            <p class="hint" role="status">
                "This search is broad: this page stopped after looking through as many entries as one page may. \
                 Next page looks further; more letters of a word narrow it."
            </p>
        }
    });
    let table = users_table(
        page.users,
        pinned,
        (page.previous, page.next),
        position,
        editor,
        selected,
    );
    let empty = empty.then(|| {
        let text = if searching {
            "No users match."
        } else {
            "No users yet"
        };
        view! { <p class="empty" role="status">{text}</p> }
    });
    view! { {partial} {empty} {table} }.into_any()
}

/// "Export CSV": every user, or (while searching) what the search finds.
fn export_link(q: Option<&str>) -> impl IntoView {
    let (href, text) = match q {
        Some(q) => {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("q", q)
                .finish();
            (
                format!("/api/users/export.csv?{query}"),
                "Export these results (CSV)",
            )
        }
        None => ("/api/users/export.csv".to_owned(), "Export CSV"),
    };
    view! { <a href=href download>{text}</a> }
}

/// "Sort by": a GET form, so the order is a bookmarkable link that works with JavaScript off.
#[component]
fn SortChoice(sort: SortOrder) -> impl IntoView {
    let options = [SortOrder::Name, SortOrder::Storage]
        .into_iter()
        .map(|order| {
            view! { <option value=order.param() selected=order == sort>{order.label()}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action="/" class="sort" aria-label="Order">
            <label for="sort">"Sort by"</label>
            <select id="sort" name="sort">{options}</select>
            <button type="submit">"Sort"</button>
        </form>
    }
}
