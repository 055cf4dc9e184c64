//! `/users/new` (editors): the "Add a user" form on a page of its own, so the users page shows the
//! list first. A plain form post either way; without JavaScript a refused post comes back here
//! with what was typed (`draft_name`, `draft_email`), and a user added goes to the list with it
//! at the top.

use crate::components::create_user::CreateUserForm;
use crate::components::notice::RestrictedPage;
use crate::model::Role;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn NewUserPage() -> impl IntoView {
    view! { <RestrictedPage needed=Role::Editor title="Add a user"><NewUser/></RestrictedPage> }
}

#[component]
fn NewUser() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let draft = |key: &str| query.get(key).filter(|value| !value.trim().is_empty());
    view! {
        <CreateUserForm draft_name=draft("draft_name") draft_email=draft("draft_email")/>
        <p><a href="/">"Back to the users"</a></p>
    }
}
