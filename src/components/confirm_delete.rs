//! "Really delete?" for one user, as a dialog in the users page.

use crate::api::{get_user, DeleteUser};
use crate::components::list_position::ListPosition;
use crate::components::notice::ErrorBanner;
use crate::error::AppError;
use crate::model::User;
use leptos::prelude::*;
use uuid::Uuid;

/// "Really delete?", as a dialog in the page: reached by the row's Delete button, answered by a
/// form post (works without JS) or Cancel.
#[component]
pub fn ConfirmDelete(id: Uuid, back: ListPosition) -> impl IntoView {
    let user = Resource::new(move || id, get_user);
    let delete = ServerAction::<DeleteUser>::new();
    // Cancel goes back to the page the Delete button was on.
    let cancel = back.href();
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
