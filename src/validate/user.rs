//! What a valid user is: a name and an email address.

use super::field_errors::FieldErrors;
use crate::model::User;
use uuid::Uuid;

pub const NAME_MAX_CHARS: usize = 100;
/// The longest address SMTP can carry (RFC 5321, 4.5.3.1.3).
pub const EMAIL_MAX_CHARS: usize = 254;
pub const EMAIL_LOCAL_MAX_CHARS: usize = 64;
pub const EMAIL_LABEL_MAX_CHARS: usize = 63;
/// What an email's local part may hold besides letters, digits and inner dots.
pub const EMAIL_LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

/// A person's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        let length = name.chars().count();
        if length == 0 {
            return Err("Enter a name.".into());
        }
        if length > NAME_MAX_CHARS {
            return Err(format!(
                "The name is {length} characters long; the limit is {NAME_MAX_CHARS}."
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(
                "The name must not contain control characters such as tabs or line breaks.".into(),
            );
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, normalised (trimmed, lower-cased) so that it can serve as a key.
///
/// "Valid" follows practical rules rather than the whole of RFC 5322: one `@`, a local part of
/// 1–64 characters from the unquoted set, and a domain of at least two dot-separated labels of
/// letters, digits and inner hyphens, ending in a letter-only top-level label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = Self::normalise(input);
        let length = email.chars().count();
        if length == 0 {
            return Err("Enter an email address.".into());
        }
        if length > EMAIL_MAX_CHARS {
            return Err(format!(
                "The email address is {length} characters long; the limit is {EMAIL_MAX_CHARS}."
            ));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("An email address needs an @, as in name@example.com.".into());
        };
        if !is_valid_local_part(local) || !is_valid_domain(domain) {
            return Err("That is not a valid email address; use the form name@example.com.".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key form of any stored email, valid or not: trimmed and lower-cased. Rows that other
    /// clients wrote (`Ann@Example.com `) compare equal to ours (`ann@example.com`) this way.
    pub fn normalise(input: &str) -> String {
        input.trim().to_lowercase()
    }

    /// Whether a stored email, however it was written, is this address.
    pub fn matches(&self, stored: &str) -> bool {
        Self::normalise(stored) == self.0
    }
}

fn is_valid_local_part(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX_CHARS
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || EMAIL_LOCAL_SPECIALS.contains(c))
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= EMAIL_LABEL_MAX_CHARS
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let top_level_ok = labels
        .last()
        .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    labels.len() >= 2 && labels.iter().all(label_ok) && top_level_ok
}

/// A name and an email that both passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidUser {
    pub name: Name,
    pub email: Email,
}

impl ValidUser {
    /// The user these values make under `id`.
    pub fn user(&self, id: Uuid) -> User {
        User {
            id,
            name: self.name.as_str().into(),
            email: self.email.as_str().into(),
        }
    }
}

/// Validates both fields at once, so a form can show every problem in one go.
pub fn validate_user(name: &str, email: &str) -> Result<ValidUser, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(name));
    let email = errors.check("email", Email::parse(email));
    match (name, email) {
        (Some(name), Some(email)) => Ok(ValidUser { name, email }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_limited_to_100_characters() {
        assert_eq!(
            Name::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert!(
            Name::parse(&"é".repeat(100)).is_ok(),
            "the limit counts characters, not bytes"
        );
        assert_eq!(
            Name::parse(&"x".repeat(101)).unwrap_err(),
            "The name is 101 characters long; the limit is 100."
        );
        assert_eq!(Name::parse("   ").unwrap_err(), "Enter a name.");
    }

    #[test]
    fn names_reject_control_characters() {
        assert!(Name::parse("Ada\u{0}Lovelace").is_err());
        assert!(Name::parse("Ada\nLovelace").is_err());
        assert!(
            Name::parse("<script>alert(1)</script>").is_ok(),
            "markup is text, not an error"
        );
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn practical_email_rules() {
        for good in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "o'neil@example.ie",
            "x_y-z@a-b.example",
        ] {
            assert!(Email::parse(good).is_ok(), "{good} should be valid");
        }
        for bad in [
            "plainaddress",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "ada@exa mple.com",
            ".ada@example.com",
            "ada.@example.com",
            "a..b@example.com",
            "ada@-example.com",
            "ada@example-.com",
            "ada@example.c",
            "ada@example.123",
            "ada@example..com",
            "ada lovelace@example.com",
            "ada@exämple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be invalid");
        }
    }

    #[test]
    fn emails_longer_than_254_characters_are_rejected_with_their_length() {
        let local = "a".repeat(64);
        let domain = format!(
            "{}.com",
            ["b".repeat(63), "c".repeat(63), "d".repeat(57)].join(".")
        );
        let at_limit = format!("{local}@{domain}");
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{local}@e{domain}");
        assert_eq!(
            Email::parse(&over).unwrap_err(),
            "The email address is 255 characters long; the limit is 254."
        );
    }

    #[test]
    fn validate_user_reports_every_field() {
        let errors = validate_user("", "nope").unwrap_err();
        assert_eq!(errors.get("name").as_deref(), Some("Enter a name."));
        assert!(errors.get("email").is_some());
        assert!(validate_user("Ada", "ada@example.com").is_ok());
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(input in "[ A-Za-z0-9._%+@-]{0,80}") {
            if let Ok(email) = Email::parse(&input) {
                let again = Email::parse(email.as_str()).expect("a normalised email stays valid");
                prop_assert_eq!(again.as_str(), email.as_str());
                prop_assert_eq!(email.as_str(), email.as_str().trim().to_lowercase());
            }
        }

        #[test]
        fn accepted_names_fit_the_limits(input in any::<String>()) {
            if let Ok(name) = Name::parse(&input) {
                let length = name.as_str().chars().count();
                prop_assert!((1..=NAME_MAX_CHARS).contains(&length));
                prop_assert!(!name.as_str().chars().any(char::is_control));
                prop_assert_eq!(name.as_str(), name.as_str().trim());
            }
        }
    }
}
