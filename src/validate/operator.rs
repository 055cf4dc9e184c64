//! What a valid operator is: a username, a role and a password.

use super::field_errors::FieldErrors;
use crate::model::Role;
use secrecy::{ExposeSecret, SecretString};

pub const USERNAME_MAX_CHARS: usize = 64;
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 1024;

/// An operator's sign-in name: trimmed, lower-cased, 1 to 64 letters, digits, `.`, `_` or `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, String> {
        let username = input.trim().to_lowercase();
        if username.is_empty() {
            return Err("Enter a username.".into());
        }
        if username.chars().count() > USERNAME_MAX_CHARS {
            return Err(format!(
                "A username has at most {USERNAME_MAX_CHARS} characters."
            ));
        }
        if !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err("Use only letters, digits, '.', '_' and '-' in a username.".into());
        }
        Ok(Self(username))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: at least 12 characters, because length is what makes a password hard to
/// guess; any characters are allowed, and it is never trimmed. `Debug` never shows it.
#[derive(Clone, Debug)]
pub struct Password(SecretString);

impl Password {
    pub fn parse(input: &str) -> Result<Self, String> {
        let length = input.chars().count();
        if length < PASSWORD_MIN_CHARS {
            return Err(format!(
                "The password is {length} characters long; it needs at least {PASSWORD_MIN_CHARS}, because long passwords are the hardest to guess."
            ));
        }
        if length > PASSWORD_MAX_CHARS {
            return Err(format!(
                "A password has at most {PASSWORD_MAX_CHARS} characters."
            ));
        }
        Ok(Self(SecretString::from(input.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The fields of a form that sets a password: the password and its confirmation.
pub fn validate_new_password(password: &str, confirm: &str) -> Result<Password, FieldErrors> {
    let mut errors = FieldErrors::default();
    let password = errors.check("password", Password::parse(password));
    if password.is_some() && password.as_ref().map(Password::as_str) != Some(confirm) {
        errors.check::<()>(
            "confirm_password",
            Err("The two passwords are not the same.".into()),
        );
    }
    match password {
        Some(password) if errors.is_empty() => Ok(password),
        _ => Err(errors),
    }
}

/// A new operator: username, role and password (typed twice).
#[derive(Clone, Debug)]
pub struct NewOperator {
    pub username: Username,
    pub role: Role,
    pub password: Password,
}

pub fn validate_new_operator(
    username: &str,
    role: &str,
    password: &str,
    confirm: &str,
) -> Result<NewOperator, FieldErrors> {
    let mut errors = FieldErrors::default();
    let username = errors.check("username", Username::parse(username));
    let role = errors.check("role", role.parse::<Role>());
    let password = match validate_new_password(password, confirm) {
        Ok(password) => Some(password),
        Err(password_errors) => {
            errors.extend(password_errors);
            None
        }
    };
    match (username, role, password) {
        (Some(username), Some(role), Some(password)) => Ok(NewOperator {
            username,
            role,
            password,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_twelve_characters_and_say_why() {
        let short = Password::parse("elevenchars").unwrap_err();
        assert!(
            short.contains("11 characters") && short.contains("at least 12"),
            "{short}"
        );
        assert!(
            Password::parse("  twelve chr").is_ok(),
            "spaces count and are kept"
        );
        let errors = validate_new_password("a long password", "a long passw0rd").unwrap_err();
        assert_eq!(
            errors.get("confirm_password").as_deref(),
            Some("The two passwords are not the same.")
        );
        assert!(errors.get("password").is_none());
    }

    #[test]
    fn usernames_are_normalised_and_plain() {
        assert_eq!(Username::parse(" Ada.L ").unwrap().as_str(), "ada.l");
        for bad in ["", "ada lovelace", "ada@example.com", &"a".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_new_operator_reports_every_field() {
        let errors = validate_new_operator("", "boss", "short", "short").unwrap_err();
        assert!(errors.get("username").is_some());
        assert!(errors
            .get("role")
            .unwrap()
            .contains("viewer, editor or admin"));
        assert!(errors.get("password").unwrap().contains("at least 12"));
        let ok = validate_new_operator(
            "Grace",
            "Editor",
            "correct horse battery",
            "correct horse battery",
        )
        .unwrap();
        assert_eq!((ok.username.as_str(), ok.role), ("grace", Role::Editor));
    }
}
