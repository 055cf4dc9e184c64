//! Something that happened, and who did it, before it is given its time and written.

use super::action::Action;
use crate::model::User;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    Operator(String),
    CommandLine,
}

impl Actor {
    /// The actor whose `name` this is.
    pub fn named(name: &str) -> Actor {
        if name == Actor::CommandLine.name() {
            Actor::CommandLine
        } else {
            Actor::Operator(name.to_owned())
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Actor::Operator(username) => username,
            Actor::CommandLine => "cassandra-users CLI",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub action: Action,
    pub user_id: Option<Uuid>,
    pub details: String,
    pub before: BTreeMap<String, String>,
    pub after: BTreeMap<String, String>,
}

fn user_fields(user: &User) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("name".to_owned(), user.name.clone()),
        ("email".to_owned(), user.email.clone()),
    ])
}

impl Event {
    /// An event that is not about one user (sign-ins, operators, tokens).
    pub fn new(action: Action, details: impl Into<String>) -> Self {
        Event {
            action,
            user_id: None,
            details: details.into(),
            before: BTreeMap::new(),
            after: BTreeMap::new(),
        }
    }

    pub fn user_created(user: &User) -> Self {
        Event {
            action: Action::Create,
            user_id: Some(user.id),
            details: format!("created {} <{}>", user.name, user.email),
            before: BTreeMap::new(),
            after: user_fields(user),
        }
    }

    pub fn user_updated(before: &User, after: &User) -> Self {
        let id = after.id;
        let (before, after) = (user_fields(before), user_fields(after));
        let changed: Vec<&str> = after
            .iter()
            .filter(|(field, value)| before.get(*field) != Some(value))
            .map(|(field, _)| field.as_str())
            .collect();
        Event {
            action: Action::Update,
            user_id: Some(id),
            details: format!("changed {}", changed.join(" and ")),
            before,
            after,
        }
    }

    /// A row written outside the app was given the claim on its email.
    pub fn email_adopted(user: &User) -> Self {
        Event {
            action: Action::Adopt,
            user_id: Some(user.id),
            details: format!(
                "gave {} its email claim (the row was written outside the app)",
                user.email
            ),
            before: BTreeMap::new(),
            after: user_fields(user),
        }
    }

    /// A save or delete refused because the user changed since the person opened it:
    /// `shown` is what they saw, `attempted` what they asked for (nothing for a delete).
    pub fn conflict(shown: &User, attempted: Option<&User>) -> Self {
        let what = if attempted.is_some() {
            "save"
        } else {
            "delete"
        };
        Event {
            action: Action::Conflict,
            user_id: Some(shown.id),
            details: format!("{what} refused: the user had changed since it was opened"),
            before: user_fields(shown),
            after: attempted.map(user_fields).unwrap_or_default(),
        }
    }

    pub fn user_deleted(user: &User) -> Self {
        Event {
            action: Action::Delete,
            user_id: Some(user.id),
            details: format!("deleted {} <{}>", user.name, user.email),
            before: user_fields(user),
            after: BTreeMap::new(),
        }
    }
}
