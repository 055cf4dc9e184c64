//! The audit trail as a table, shared by a user's History and the Activity page.

use crate::model::{AuditEvent, AuditPage, FieldChange};
use leptos::prelude::*;

/// One page of events, newest first, with links to older ones. `older_href` builds the link to
/// the page after a cursor; `newest_href` is the first page.
#[component]
pub fn EventTable(
    page: AuditPage,
    /// Show a link to each event's user (the Activity page).
    #[prop(default = false)]
    link_users: bool,
    #[prop(into)] newest_href: String,
    on_first_page: bool,
    older_href: fn(&str) -> String,
) -> impl IntoView {
    let older = page.next.map(|cursor| older_href(&cursor.to_string()));
    let rows = page
        .events
        .into_iter()
        .map(|event| view! { <EventRow event link_users/> })
        .collect_view();
    view! {
        <table class="events">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"Details"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <nav class="pager" aria-label="Event pages">
            {(!on_first_page).then(|| view! { <a href=newest_href>"Newest events"</a> })}
            {older.map(|href| view! { <a href=href>"Older events"</a> })}
        </nav>
    }
}

#[component]
fn EventRow(event: AuditEvent, link_users: bool) -> impl IntoView {
    let user_link = event
        .user_id
        .filter(|_| link_users)
        .map(|id| view! { " " <a href=format!("/users/{id}")>"(user)"</a> });
    let changes = event
        .changes
        .iter()
        .map(|change| view! { <li>{describe(change)}</li> })
        .collect_view();
    view! {
        <tr>
            <td><time>{event.at}</time></td>
            <td>{event.operator}</td>
            <td>{event.action}</td>
            <td>
                {event.details} {user_link}
                <ul class="changes">{changes}</ul>
            </td>
        </tr>
    }
}

/// "name: Ada → Ada King", "email: ada@example.com" (created) or "… (removed)".
fn describe(change: &FieldChange) -> String {
    match (&change.before, &change.after) {
        (Some(before), Some(after)) if before != after => {
            format!("{}: {before} → {after}", change.field)
        }
        (Some(_), Some(after)) => format!("{}: {after} (unchanged)", change.field),
        (None, Some(after)) => format!("{}: {after}", change.field),
        (Some(before), None) => format!("{}: {before} (removed)", change.field),
        (None, None) => change.field.clone(),
    }
}
