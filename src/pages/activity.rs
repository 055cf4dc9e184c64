//! `/activity`: every recorded event, newest first, a page at a time.

use crate::api::list_activity;
use crate::components::history::EventTable;
use crate::components::notice::ErrorAlert;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || query.read().get("before");
    let page = Resource::new(before, list_activity);
    view! {
        <Title text="Activity"/>
        <h1>"Activity"</h1>
        <p class="hint">"Every change made through this app and every sign-in, newest first. Changes made outside this app are not recorded."</p>
        <Transition fallback=|| view! { <p>"Loading activity…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    Ok(page) if page.events.is_empty() => view! { <p class="empty">"Nothing has happened yet."</p> }.into_any(),
                    Ok(page) => view! {
                        <EventTable page link_users=true newest_href="/activity" on_first_page=before().is_none()
                            older_href=|cursor| format!("/activity?before={cursor}")/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
