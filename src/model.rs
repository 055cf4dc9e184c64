//! The data that travels between the browser and the server.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// A row of the `users` table. Rows written by other clients may lack a name or an email;
/// those read as empty strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// One page of the user list, in Cassandra token order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<User>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// A position in the user list: "the rows after this id, in token order".
///
/// It travels in the URL as the plain id (`/?after=<uuid>`), so a page is bookmarkable. Reading the
/// page after it costs one `WHERE token(id) > token(?) LIMIT n` query, whatever the table size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub Uuid);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for Cursor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s.trim())
            .map(Cursor)
            .map_err(|_| format!("'{s}' is not a page position (a user id was expected)."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cursor_survives_the_url(bytes in any::<[u8; 16]>()) {
            let cursor = Cursor(Uuid::from_bytes(bytes));
            prop_assert_eq!(cursor.to_string().parse::<Cursor>(), Ok(cursor));
        }
    }

    #[test]
    fn malformed_cursor_is_an_error_with_a_message() {
        let err = "not-a-uuid".parse::<Cursor>().unwrap_err();
        assert!(err.contains("not a page position"), "{err}");
    }
}
