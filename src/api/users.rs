//! Users: list, search, count, read, find, create, update, delete.

use crate::error::AppError;
use crate::model::{User, UserCount, UserPage};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn as _;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::{
    model::{Cursor, Role, SortOrder},
    server::users::name_order::{key::NameKey, pages::NameFrom},
    server::web::forms::finish_form_post,
    server::web::request::{acting_as, require, stores},
    validate::{validate_user, Email, FieldErrors, SearchQuery},
};

/// One page of users. `sort` is `name` (by full name, case and accents ignored, ties by email;
/// the default) or `token` (Cassandra's storage order, which shows rows other clients wrote at
/// once). `after` is a page's `next`, `before` a page's `previous` (name order only). Without
/// `sort`, a bare id as `after` means storage order, as before name order existed.
#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(
    sort: Option<String>,
    after: Option<String>,
    before: Option<String>,
) -> Result<UserPage, AppError> {
    require(Role::Viewer)?;
    let (after, before) = (non_blank(after), non_blank(before));
    let order = match non_blank(sort) {
        Some(sort) => SortOrder::parse(&sort).ok_or_else(|| {
            FieldErrors::one(
                "sort",
                "Sort by 'name' or 'token' (storage order).".to_owned(),
            )
        })?,
        None => after
            .as_deref()
            .or(before.as_deref())
            .map(SortOrder::of_position)
            .unwrap_or_default(),
    };
    let users = &stores()?.users;
    match (order, after, before) {
        (_, Some(_), Some(_)) => Err(AppError::BadRequest {
            detail: "send either after or before, not both".into(),
        }),
        (SortOrder::Storage, _, Some(_)) => Err(FieldErrors::one(
            "before",
            "Storage order pages forwards only: Cassandra cannot walk tokens backwards.".to_owned(),
        )
        .into()),
        (SortOrder::Storage, after, None) => Ok(users.list(cursor(after)?).await?),
        (SortOrder::Name, after, before) => {
            let from = match (after, before) {
                (Some(after), _) => NameFrom::After(name_position(&after)?),
                (_, Some(before)) => NameFrom::Before(name_position(&before)?),
                (None, None) => NameFrom::Start,
            };
            Ok(users.list_by_name(from).await?)
        }
    }
}

/// Users with a word of the name that starts with each typed word, or (one word) whose email
/// starts with it, whatever the case and accents; a complete email finds exactly its user. A page
/// at a time by the word that matched, then by name (`sort=name`, the only order of search;
/// anything else is 422). `q` has 2 to 100 characters (422 otherwise); `after` is a page's
/// `next`, `before` a page's `previous`.
#[server(prefix = "/api", endpoint = "users/search")]
pub async fn search_users(
    q: String,
    after: Option<String>,
    before: Option<String>,
    sort: Option<String>,
) -> Result<UserPage, AppError> {
    require(Role::Viewer)?;
    let query = SearchQuery::parse(&q).map_err(|message| FieldErrors::one("q", message))?;
    if let Some(sort) =
        non_blank(sort).filter(|sort| SortOrder::parse(sort) != Some(SortOrder::Name))
    {
        let message = format!("Search results come in name order only (sort=name), not '{sort}'.");
        return Err(FieldErrors::one("sort", message).into());
    }
    let from = match (non_blank(after), non_blank(before)) {
        (Some(_), Some(_)) => {
            return Err(AppError::BadRequest {
                detail: "send either after or before, not both".into(),
            })
        }
        (Some(after), None) => NameFrom::After(name_position(&after)?),
        (None, Some(before)) => NameFrom::Before(name_position(&before)?),
        (None, None) => NameFrom::Start,
    };
    Ok(stores()?.users.search_from(&query, from).await?)
}

/// About how many users there are, from Cassandra's own estimates (never a count of the rows):
/// `{"approximate": N, "as_of": "<RFC 3339 time of the estimate, or null before the first>"}`.
#[server(prefix = "/api", endpoint = "users/count")]
pub async fn count_users() -> Result<UserCount, AppError> {
    require(Role::Viewer)?;
    Ok(stores()?.users.approximate_count().await?)
}

/// `count_users` for a plain GET.
#[server(prefix = "/api", endpoint = "users/count", input = leptos::server_fn::codec::GetUrl)]
pub async fn count_users_get() -> Result<UserCount, AppError> {
    count_users().await
}

#[cfg(feature = "ssr")]
fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

/// A position in name order, as a page's `next` or `previous` gave it.
#[cfg(feature = "ssr")]
fn name_position(text: &str) -> Result<NameKey, AppError> {
    NameKey::from_cursor(text).map_err(|detail| AppError::BadRequest { detail })
}

/// A page position from a form field: empty means the start.
#[cfg(feature = "ssr")]
fn cursor(after: Option<String>) -> Result<Option<Cursor>, AppError> {
    match after.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<Cursor>()
            .map(Some)
            .map_err(|detail| AppError::BadRequest { detail }),
    }
}

#[server(prefix = "/api", endpoint = "users/get")]
pub async fn get_user(id: Uuid) -> Result<User, AppError> {
    require(Role::Viewer)?;
    Ok(stores()?.users.get(id).await?)
}

/// The user with this email (normalised before the lookup), or 404.
#[server(prefix = "/api", endpoint = "users/find")]
pub async fn find_user(email: String) -> Result<User, AppError> {
    require(Role::Viewer)?;
    let email = Email::parse(&email).map_err(AppError::invalid_email)?;
    Ok(stores()?.users.find_by_email(&email).await?)
}

#[server(prefix = "/api", endpoint = "users/create")]
pub async fn create_user(name: String, email: String) -> Result<User, AppError> {
    let created = async {
        let actor = acting_as(Role::Editor)?;
        let user = validate_user(&name, &email)?;
        Ok(stores()?.users.create(&user, &actor).await?)
    }
    .await;
    let draft = [("name", name.as_str()), ("email", email.as_str())];
    finish_form_post(created, CreateUser::PATH, &draft, |user| {
        format!("/?added={}", user.id)
    })
}

/// Saves a user's name and email. `expected_name` and `expected_email` are the values the
/// person saw when they opened the user (the edit form sends them): the save applies only if the
/// user still has them, and otherwise answers 409 with the user's current values. Without them
/// the save applies over whatever the user holds.
#[server(prefix = "/api", endpoint = "users/update")]
pub async fn update_user(
    id: Uuid,
    name: String,
    email: String,
    expected_name: Option<String>,
    expected_email: Option<String>,
) -> Result<User, AppError> {
    let updated = async {
        let actor = acting_as(Role::Editor)?;
        let user = validate_user(&name, &email)?;
        let shown = shown(id, expected_name, expected_email)?;
        Ok(stores()?
            .users
            .update(id, shown.as_ref(), &user, &actor)
            .await?)
    }
    .await;
    let draft = [("name", name.as_str()), ("email", email.as_str())];
    finish_form_post(updated, UpdateUser::PATH, &draft, |user| {
        format!("/?saved={}", user.id)
    })
}

/// Deletes a user; with `expected_name` and `expected_email` (what the confirmation showed), only
/// if the user still has them, as for `update_user`.
#[server(prefix = "/api", endpoint = "users/delete")]
pub async fn delete_user(
    id: Uuid,
    expected_name: Option<String>,
    expected_email: Option<String>,
) -> Result<(), AppError> {
    let deleted = async {
        let actor = acting_as(Role::Editor)?;
        let shown = shown(id, expected_name, expected_email)?;
        Ok(stores()?.users.delete(id, shown.as_ref(), &actor).await?)
    }
    .await;
    finish_form_post(deleted, DeleteUser::PATH, &[], |_| "/?deleted=1".into())
}

/// The user as the person saw it, from the two `expected_*` fields: both or neither.
#[cfg(feature = "ssr")]
fn shown(
    id: Uuid,
    expected_name: Option<String>,
    expected_email: Option<String>,
) -> Result<Option<User>, AppError> {
    match (expected_name, expected_email) {
        (Some(name), Some(email)) => Ok(Some(User { id, name, email })),
        (None, None) => Ok(None),
        _ => Err(AppError::BadRequest {
            detail: "send both expected_name and expected_email, or neither".into(),
        }),
    }
}
