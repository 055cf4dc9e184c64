//! Cassandra 6 column constraints (CEP-42) that say what `validate` says about a user, built from
//! the same limits, so that no client at all (cqlsh, another service) can store a name of 5,000
//! characters or an email without an `@`.
//!
//! Names: 1 to `NAME_MAX_CHARS` characters (counted as the app counts them: code points, which a
//! Java regular expression counts too), not only white space, no control characters. Emails:
//! at most `EMAIL_MAX_CHARS`, and the form `local@domain` with the app's rules for each part, in
//! any case (the app stores them lower-cased; rows of other clients and imports keep theirs).
//! Cassandra checks the whole value against `REGEXP()`. Constraints apply to later writes only.

use crate::server::cassandra::node::major_version;
use crate::validate::{
    EMAIL_LABEL_MAX_CHARS, EMAIL_LOCAL_MAX_CHARS, EMAIL_LOCAL_SPECIALS, EMAIL_MAX_CHARS,
    NAME_MAX_CHARS,
};

/// The release the constraints need.
pub const NEEDS_MAJOR_VERSION: u32 = 6;

/// `CHECK ...` for the `name` column.
pub fn name_check() -> String {
    // (?s): `.` takes line separators too; (?U): `\S` is Unicode's, as Rust's `trim` is.
    let pattern = format!(r"(?sU)(?=.*\S)[^\p{{Cc}}]{{1,{NAME_MAX_CHARS}}}");
    format!("REGEXP() = {}", cql_string(&pattern))
}

/// `CHECK ...` for the `email` column.
pub fn email_check() -> String {
    let atom = format!("[A-Za-z0-9{}]", regex_class_escaped(EMAIL_LOCAL_SPECIALS));
    let label_inner = EMAIL_LABEL_MAX_CHARS - 2;
    let label = format!("[A-Za-z0-9](?:[A-Za-z0-9-]{{0,{label_inner}}}[A-Za-z0-9])?");
    let pattern = format!(
        "(?=[^@]{{1,{EMAIL_LOCAL_MAX_CHARS}}}@){atom}+(?:\\.{atom}+)*@(?:{label}\\.)+[A-Za-z]{{2,{EMAIL_LABEL_MAX_CHARS}}}"
    );
    format!(
        "LENGTH() <= {EMAIL_MAX_CHARS} AND REGEXP() = {}",
        cql_string(&pattern)
    )
}

/// The column definitions of a new `users` table with the constraints.
pub fn checked_columns() -> String {
    format!(
        "name text CHECK {}, email text CHECK {}",
        name_check(),
        email_check()
    )
}

/// The statements that add the constraints to the `users` table of a keyspace.
pub fn alter_statements(keyspace: &str) -> [String; 2] {
    [
        format!(
            "ALTER TABLE {keyspace}.users ALTER name CHECK {}",
            name_check()
        ),
        format!(
            "ALTER TABLE {keyspace}.users ALTER email CHECK {}",
            email_check()
        ),
    ]
}

/// The column whose constraint Cassandra's message is about (it names the column for `LENGTH()`,
/// and quotes the pattern for `REGEXP()`).
pub fn column_refused(message: &str) -> Option<&'static str> {
    let about = |column: &str, check: String| {
        message.contains(&format!("for column '{column}'"))
            || check
                .split('\'')
                .nth(1)
                .is_some_and(|pattern| message.contains(pattern))
    };
    if about("name", name_check()) {
        Some("name")
    } else if about("email", email_check()) {
        Some("email")
    } else {
        None
    }
}

/// Whether a node of this release (`6.0-alpha2`, `5.0.9`) takes constraints.
pub fn supported_by(release_version: &str) -> bool {
    major_version(release_version) >= NEEDS_MAJOR_VERSION
}

/// Characters that mean something inside `[...]` of a Java regular expression, escaped; the
/// apostrophe as `\x27`, because 6.0-alpha2 does not read a doubled quote (`''`) inside a
/// constraint's string (it answers with a syntax error).
fn regex_class_escaped(characters: &str) -> String {
    characters
        .chars()
        .map(|c| match c {
            '\\' | ']' | '[' | '^' | '-' | '&' => format!("\\{c}"),
            '\'' => r"\x27".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// A CQL string literal: quotes doubled.
fn cql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_come_from_the_validation_limits() {
        assert!(name_check().contains("{1,100}"), "{}", name_check());
        let email = email_check();
        assert!(
            email.starts_with("LENGTH() <= 254 AND REGEXP() = '"),
            "{email}"
        );
        assert!(email.contains("{1,64}@"), "{email}");
        assert!(
            email.contains(r"\x27") && !email[1..email.len() - 1].contains("''"),
            "{email}"
        );
        assert!(supported_by("6.0-alpha2") && supported_by("6.1.0"));
        let said = format!(
            "Value does not match regular expression '{}'",
            name_check().split('\'').nth(1).unwrap()
        );
        assert_eq!(column_refused(&said), Some("name"));
        assert_eq!(column_refused("Column value does not satisfy value constraint for column 'email'. It has a length of 300"), Some("email"));
        assert_eq!(column_refused("something else"), None);
        assert!(!supported_by("5.0.9") && !supported_by("unknown"));
    }
}
