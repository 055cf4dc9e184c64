//! Per-field messages, as a form shows them beside its fields.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per-field messages for a form, keyed by the field's `name`; a field without a message is fine.
/// Serialises as `{"name": "Enter a name.", ...}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// One field's message.
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.0.insert(field.to_owned(), message.into());
        errors
    }

    /// Records the error of one field's check, if it failed, and passes the value on.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.entry(field.to_owned()).or_insert(message);
                None
            }
        }
    }

    /// Adds another form part's messages.
    pub fn extend(&mut self, other: FieldErrors) {
        for (field, message) in other.0 {
            self.0.entry(field).or_insert(message);
        }
    }

    pub fn get(&self, field: &str) -> Option<String> {
        self.0.get(field).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every message, in field order.
    pub fn messages(&self) -> Vec<String> {
        self.0.values().cloned().collect()
    }
}
