//! `/`: the user list with its pager, the create form, find by email, and delete confirmation.
//!
//! Everything that selects what is shown lives in the query string, so every state is a link
//! that works with JavaScript off and survives Back and reload:
//! `after` (page cursor), `email` (find), `delete` (confirm), `added` / `saved` / `deleted`,
//! and `draft_name` / `draft_email` (what was typed before a failed post without JavaScript).

use crate::api::{find_user, get_user, list_users, CreateUser, DeleteUser};
use crate::components::form::{server_field_errors, CheckedForm, FormRules};
use crate::components::notice::{ErrorAlert, ErrorBanner, StatusBanner};
use crate::components::user_fields::UserFields;
use crate::context::may;
use crate::error::AppError;
use crate::model::{Role, User, UserPage};
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
    let after = param("after");

    view! {
        <h1>"Users"</h1>
        <StatusBanner message=outcome/>
        {id_param("delete").filter(|_| editor).map(|id| view! { <ConfirmDelete id after=after.clone()/> })}
        <div class="forms">
            {editor.then(|| view! { <CreateUserForm draft_name=param("draft_name") draft_email=param("draft_email")/> })}
            <FindByEmail email=param("email")/>
        </div>
        <UserList after highlighted editor/>
    }
}

/// `draft_*`: what the person typed before a failed post without JavaScript (see `finish_form_post`).
#[component]
fn CreateUserForm(draft_name: Option<String>, draft_email: Option<String>) -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let errors = server_field_errors(create.value().get_untracked());
    let server_error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <section class="card" aria-labelledby="create-heading">
            <h2 id="create-heading">"Add a user"</h2>
            <ErrorBanner error=server_error/>
            <CheckedForm rules=FormRules::User>
                <ActionForm action=create attr:novalidate=true>
                    <UserFields id_prefix="create" name=draft_name.unwrap_or_default() email=draft_email.unwrap_or_default() errors/>
                    <button type="submit">"Add user"</button>
                </ActionForm>
            </CheckedForm>
        </section>
    }
}

#[component]
fn FindByEmail(email: Option<String>) -> impl IntoView {
    let search = email.clone().map(|email| {
        let found = Resource::new(move || email.clone(), find_user);
        view! {
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let answer = found.await;
                    view! { <FindResult answer/> }
                })}
            </Transition>
        }
    });
    view! {
        <section class="card" aria-labelledby="find-heading">
            <h2 id="find-heading">"Find a user"</h2>
            <form method="get" action="">
                <div class="field">
                    <label for="find-email">"Find by email"</label>
                    <input id="find-email" name="email" type="search" autocomplete="off"
                        value=email.unwrap_or_default()/>
                </div>
                <button type="submit">"Find"</button>
            </form>
            {search}
        </section>
    }
}

#[component]
fn FindResult(answer: Result<User, AppError>) -> impl IntoView {
    match answer {
        Ok(user) => {
            let (href, name) = (format!("/users/{}", user.id), user.display_name());
            view! {
                <div class="find-result" role="status" aria-label="Search result">
                    <a href=href>{name}</a>
                    " — " {user.email}
                </div>
            }
            .into_any()
        }
        Err(AppError::NotFound) => {
            view! { <p class="find-result" role="status">"No user with that email"</p> }.into_any()
        }
        Err(error) => {
            let message = error
                .field_message("email")
                .unwrap_or_else(|| error.to_string());
            view! { <p class="find-result banner-error" role="alert">{message}</p> }.into_any()
        }
    }
}

#[component]
fn UserList(after: Option<String>, highlighted: Option<Uuid>, editor: bool) -> impl IntoView {
    let current = after.clone();
    let page = Resource::new(move || after.clone(), list_users);
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
    view! {
        <section aria-labelledby="list-heading">
            <h2 id="list-heading">"All users"</h2>
            <p class="hint">"Listed in Cassandra's storage (token) order, not alphabetically."</p>
            <Transition fallback=|| view! { <p>"Loading users…"</p> }>
                {move || {
                    let current = current.clone();
                    Suspend::new(async move {
                        let pinned = pinned.await;
                        users_table(page.await, pinned, editor, current)
                    })
                }}
            </Transition>
        </section>
    }
}

/// The page of users as a table with its pager; `pinned` goes first, marked.
fn users_table(
    page: Result<UserPage, AppError>,
    pinned: Option<User>,
    editor: bool,
    after: Option<String>,
) -> AnyView {
    let page = match page {
        Ok(page) => page,
        Err(error) => return view! { <ErrorAlert error/> }.into_any(),
    };
    let on_first_page = after.is_none();
    let pinned = pinned.filter(|user| !page.users.iter().any(|u| u.id == user.id));
    if page.users.is_empty() && pinned.is_none() {
        return view! {
            <p class="empty">"No users yet"</p>
            <Pager next=None on_first_page/>
        }
        .into_any();
    }
    let rows = pinned
        .map(|user| (user, true))
        .into_iter()
        .chain(page.users.into_iter().map(|user| (user, false)))
        .map(|(user, highlighted)| user_row(user, highlighted, editor, after.as_deref()))
        .collect_view();
    view! {
        <table class="users">
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <Pager next=page.next.map(|cursor| cursor.to_string()) on_first_page/>
    }
    .into_any()
}

/// One row: a plain function rather than a component, since a page renders fifty of them.
fn user_row(user: User, highlighted: bool, editor: bool, after: Option<&str>) -> impl IntoView {
    let edit = format!("/users/{}", user.id);
    let name = user.display_name();
    let actions = editor.then(|| {
        let after =
            after.map(|after| view! { <input type="hidden" name="after" value=after.to_owned()/> });
        view! {
            <a href=edit.clone() class="button-link">"Edit"</a>
            // A GET form, so the confirmation step is a page state that also works without JS.
            <form method="get" action="">
                <input type="hidden" name="delete" value=user.id.to_string()/>
                {after}
                <button type="submit" class="danger">"Delete"</button>
            </form>
        }
    });
    view! {
        <tr class:highlighted=highlighted>
            <td><a href=edit>{name}</a></td>
            <td>{user.email}</td>
            <td class="actions">{actions}</td>
        </tr>
    }
}

#[component]
fn Pager(next: Option<String>, on_first_page: bool) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {(!on_first_page).then(|| view! { <a href="/">"First page"</a> })}
            {next.map(|cursor| view! { <a href=format!("/?after={cursor}")>"Next page"</a> })}
        </nav>
    }
}

/// "Really delete?", as a dialog in the page: reached by the row's Delete button, answered by a
/// form post (works without JS) or Cancel.
#[component]
fn ConfirmDelete(id: Uuid, after: Option<String>) -> impl IntoView {
    let user = Resource::new(move || id, get_user);
    let delete = ServerAction::<DeleteUser>::new();
    // Cancel goes back to the page the Delete button was on.
    let cancel = after.map_or_else(|| "/".to_owned(), |after| format!("/?after={after}"));
    view! {
        <dialog open class="confirm" aria-labelledby="confirm-heading">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let cancel = cancel.clone();
                    Suspend::new(async move {
                        match user.await {
                            Ok(user) => view! { <DeleteQuestion user delete cancel/> }.into_any(),
                            Err(error) => view! {
                                <h2 id="confirm-heading">"Cannot delete"</h2>
                                <p role="alert">{error.to_string()}</p>
                                <a href="/">"Back to the list"</a>
                            }
                            .into_any(),
                        }
                    })
                }}
            </Transition>
        </dialog>
    }
}

/// The form carries the values the dialog showed (`expected_*`): the server deletes only if the
/// user still has them. If someone changed it meanwhile, the dialog shows the new values and asks
/// again.
#[component]
fn DeleteQuestion(user: User, delete: ServerAction<DeleteUser>, cancel: String) -> impl IntoView {
    let server_error = Signal::derive(move || delete.value().get().and_then(Result::err));
    let shown = Signal::derive(move || match delete.value().get() {
        Some(Err(AppError::Conflict { current })) => current,
        _ => user.clone(),
    });
    let consequence = move || {
        format!(
            "{} will be removed from Cassandra. This cannot be undone.",
            shown.get().email
        )
    };
    view! {
        <h2 id="confirm-heading">"Delete " {move || shown.get().display_name()} "?"</h2>
        <p>{consequence}</p>
        <ErrorBanner error=server_error/>
        <ActionForm action=delete>
            <input type="hidden" name="id" value=move || shown.get().id.to_string()/>
            <input type="hidden" name="expected_name" value=move || shown.get().name/>
            <input type="hidden" name="expected_email" value=move || shown.get().email/>
            <button type="submit" class="danger" autofocus>"Yes, delete"</button>
            <a href=cancel class="button-link">"Cancel"</a>
        </ActionForm>
    }
}
