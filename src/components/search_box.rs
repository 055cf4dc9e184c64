//! The Search box of the users page: a GET form (`/?q=…`), so a search is a bookmarkable link
//! that works with JavaScript off. With JavaScript, "/" anywhere on the page focuses it.

use crate::validate::SEARCH_MAX_CHARS;
use leptos::prelude::*;

#[component]
pub fn SearchBox(q: Option<String>) -> impl IntoView {
    view! {
        <form method="get" action="/" role="search" class="search" aria-label="Users">
            <label for="search">"Search"</label>
            <div class="search-row">
                <input id="search" name="q" type="search" autocomplete="off" spellcheck="false"
                    aria-describedby="search-hint" value=q.unwrap_or_default()/>
                <button type="submit">"Search"</button>
            </div>
            <p class="hint" id="search-hint">
                {format!("The start of any word of a name, or of an email; up to {SEARCH_MAX_CHARS} characters. Press / to come here.")}
            </p>
            <SlashFocusesSearch/>
        </form>
    }
}

/// "/" focuses the search box, unless the person is typing in a field.
#[island]
fn SlashFocusesSearch() -> impl IntoView {
    let handle = window_event_listener(leptos::ev::keydown, |event| {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{Element, HtmlElement};
        if event.key() != "/" || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let typing = event
            .target()
            .and_then(|target| target.dyn_into::<Element>().ok())
            .is_some_and(|element| {
                matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || element.has_attribute("contenteditable")
            });
        if typing {
            return;
        }
        let search = document()
            .get_element_by_id("search")
            .and_then(|element| element.dyn_into::<HtmlElement>().ok());
        if let Some(search) = search {
            event.prevent_default();
            let _ = search.focus();
        }
    });
    on_cleanup(move || handle.remove());
}
