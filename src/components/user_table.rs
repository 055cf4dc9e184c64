//! A page of users as a table, with its pager: the list and the search results both show one.
//! For editors the table is a form: a checkbox per row ("Select NAME") for "Delete selected", and
//! each row's own buttons. Every button is a submit of that one form (HTML has no nested forms),
//! so all of it works with JavaScript off.

use crate::components::list_position::ListPosition;
use crate::model::User;
use leptos::prelude::*;
use uuid::Uuid;

/// Which rows are checked when the page renders.
#[derive(Clone, Debug, Default)]
pub enum Selected {
    #[default]
    None,
    /// "Select all on this page" was pressed without JavaScript.
    All,
    /// The rows that were checked before the page was reloaded (a row's Delete, without JS).
    These(Vec<Uuid>),
}

impl Selected {
    fn contains(&self, id: Uuid) -> bool {
        match self {
            Selected::None => false,
            Selected::All => true,
            Selected::These(ids) => ids.contains(&id),
        }
    }
}

/// The rows, then the pager (`previous` and `next`: the cursors of the pages around this one). `pinned` goes first, marked (a user just added or saved).
pub fn users_table(
    users: Vec<User>,
    pinned: Option<User>,
    (previous, next): (Option<String>, Option<String>),
    position: ListPosition,
    editor: bool,
    selected: Selected,
) -> AnyView {
    let pinned = pinned.filter(|user| !users.iter().any(|u| u.id == user.id));
    let pager = view! { <Pager previous next position=position.clone()/> };
    if users.is_empty() && pinned.is_none() {
        return view! { {pager} }.into_any();
    }
    let rows = pinned
        .map(|user| (user, true))
        .into_iter()
        .chain(users.into_iter().map(|user| (user, false)))
        .map(|(user, highlighted)| {
            let checked = selected.contains(user.id);
            user_row(user, highlighted, editor, checked)
        })
        .collect_view();
    let table = view! {
        <table class="users">
            <thead>
                <tr>
                    {editor.then(|| view! { <th scope="col" class="select"><span class="visually-hidden">"Selected"</span></th> })}
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    };
    if !editor {
        return view! { {table} {pager} }.into_any();
    }
    // The position goes along, so Cancel and the report lead back to this page.
    let kept = position
        .params()
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
        .collect_view();
    view! {
        <form method="get" action="/delete-selected" class="bulk" aria-label="Selected users">
            {kept}
            <div class="bulk-actions">
                <SelectAllOnPage/>
                <button type="submit" class="danger">"Delete selected"</button>
            </div>
            {table}
        </form>
        {pager}
    }
    .into_any()
}

/// One row: a plain function rather than a component, since a page renders fifty of them.
fn user_row(user: User, highlighted: bool, editor: bool, checked: bool) -> impl IntoView {
    let edit = format!("/users/{}", user.id);
    let name = user.display_name();
    let select = editor.then(|| {
        let label = format!("Select {name}");
        view! {
            <td class="select">
                <input type="checkbox" name="id" value=user.id.to_string() aria-label=label checked=checked/>
            </td>
        }
    });
    let actions = editor.then(|| {
        view! {
            <a href=edit.clone() class="button-link">"Edit"</a>
            // Asks first: the same page with the dialog (`delete=ID`), keeping the position.
            <button type="submit" formaction="/" name="delete" value=user.id.to_string() class="danger">"Delete"</button>
        }
    });
    view! {
        <tr class:highlighted=highlighted>
            {select}
            <td><a href=edit>{name}</a></td>
            <td class="email">{email_with_breaks(&user.email)}</td>
            <td class="actions">{actions}</td>
        </tr>
    }
}

/// An email that may wrap on a narrow screen after its `@` and before its dots, never inside a
/// word.
fn email_with_breaks(email: &str) -> impl IntoView {
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    for c in email.chars() {
        if c == '.' && !current.is_empty() {
            parts.push((std::mem::take(&mut current), true));
        }
        current.push(c);
        if c == '@' {
            parts.push((std::mem::take(&mut current), true));
        }
    }
    parts.push((current, false));
    parts
        .into_iter()
        .map(|(text, breaks)| view! { {text} {breaks.then(|| view! { <wbr/> })} })
        .collect_view()
}

#[component]
fn Pager(previous: Option<String>, next: Option<String>, position: ListPosition) -> impl IntoView {
    let first = (position.after.is_some() || position.before.is_some())
        .then(|| position.first_page().href());
    let previous = previous.map(|cursor| position.before(cursor).href());
    let next = next.map(|cursor| position.after(cursor).href());
    view! {
        <nav class="pager" aria-label="Pages">
            {first.map(|href| view! { <a href=href>"First page"</a> })}
            {previous.map(|href| view! { <a href=href>"Previous page"</a> })}
            {next.map(|href| view! { <a href=href>"Next page"</a> })}
        </nav>
    }
}

/// "Select all on this page": with JavaScript it checks every row (or, when all are, none) in
/// place; without, it is a submit that reloads the page with every row checked.
#[island]
fn SelectAllOnPage() -> impl IntoView {
    let toggle = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        toggle_all_rows(&event);
    };
    view! {
        <button type="submit" formaction="/" name="select" value="all" class="link-button" on:click=toggle>
            "Select all on this page"
        </button>
    }
}

/// Checks every row checkbox of the button's form, or clears them when all are checked.
fn toggle_all_rows(event: &leptos::ev::MouseEvent) {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlInputElement};
    let Some(form) = event
        .target()
        .and_then(|target| target.dyn_into::<Element>().ok())
        .and_then(|button| button.closest("form").ok().flatten())
    else {
        return;
    };
    let Ok(boxes) = form.query_selector_all("input[type=checkbox][name=id]") else {
        return;
    };
    let boxes: Vec<HtmlInputElement> = (0..boxes.length())
        .filter_map(|i| boxes.item(i)?.dyn_into::<HtmlInputElement>().ok())
        .collect();
    let all_checked = boxes.iter().all(HtmlInputElement::checked);
    for checkbox in boxes {
        checkbox.set_checked(!all_checked);
    }
}
