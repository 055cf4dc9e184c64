//! Operators of single sign-on. Each is found by the identity provider's issuer and subject
//! (`sub`), never by a name: a provider account called `alice` never becomes the local operator
//! `alice`. The first sign-in makes the operator, under the provider's `preferred_username` (with
//! a suffix when a local name is taken); each sign-in sets the role the provider's groups give.

use super::error::OperatorError;
use super::store::{OperatorRecord, Operators};
use crate::model::Role;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::cassandra::lwt::lwt_applied;
use crate::server::cassandra::statements::{lwt, plain};
use crate::server::config::Keyspace;
use crate::validate::{Username, USERNAME_MAX_CHARS};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use std::sync::Arc;

/// Who the provider says signed in, from a verified ID token.
#[derive(Clone, Debug)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    /// The name the person goes by at the provider, if it says.
    pub preferred_username: Option<String>,
}

struct Statements {
    username_of: PreparedStatement,
    claim_identity: PreparedStatement,
}

pub struct SsoIdentities {
    session: Arc<Session>,
    statements: Statements,
    operators: Arc<Operators>,
    audit: Arc<AuditLog>,
}

/// Names tried as `name`, `name-2`, … `name-9` before a random suffix.
const NUMBERED_NAMES: u32 = 9;

impl SsoIdentities {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        operators: Arc<Operators>,
        audit: Arc<AuditLog>,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let statements = Statements {
            username_of: plain(&session, format!("SELECT username FROM {ks}.sso_identities WHERE issuer = ? AND subject = ?")).await?,
            claim_identity: lwt(&session, format!("INSERT INTO {ks}.sso_identities (issuer, subject, username) VALUES (?, ?, ?) IF NOT EXISTS")).await?,
        };
        Ok(SsoIdentities {
            session,
            statements,
            operators,
            audit,
        })
    }

    /// The operator of `identity`, made at its first sign-in, with `role` (a change audited).
    /// A disabled operator is answered as it is: the caller keeps them out.
    pub async fn operator_for(
        &self,
        identity: &SsoIdentity,
        role: Role,
    ) -> Result<OperatorRecord, OperatorError> {
        let username = match self.username_of(identity).await? {
            Some(username) => username,
            None => self.add(identity, role).await?,
        };
        let mut operator = self
            .operators
            .get(&username)
            .await?
            .ok_or(OperatorError::NotFound)?;
        if operator.role != role && !operator.disabled {
            let name = Username::parse(&username).map_err(|_| OperatorError::NotFound)?;
            let actor = Actor::Operator(username.clone());
            self.operators.set_role(&name, role, &actor).await?;
            operator.role = role;
        }
        Ok(operator)
    }

    async fn username_of(&self, identity: &SsoIdentity) -> Result<Option<String>, OperatorError> {
        let values = (&identity.issuer, &identity.subject);
        Ok(self
            .session
            .execute_unpaged(&self.statements.username_of, values)
            .await?
            .into_rows_result()?
            .maybe_first_row::<(Option<String>,)>()?
            .and_then(|(username,)| username))
    }

    /// Makes the operator of a first sign-in under the first free name, then claims the identity
    /// for it. Two first sign-ins at once each make an operator; the one whose claim loses is
    /// disabled at once (audited), and both sign in as the winner.
    async fn add(&self, identity: &SsoIdentity, role: Role) -> Result<String, OperatorError> {
        let base = username_base(identity.preferred_username.as_deref());
        let mut added = None;
        for candidate in candidates(&base) {
            if self
                .operators
                .add_without_password(&candidate, role)
                .await?
            {
                added = Some(candidate);
                break;
            }
        }
        let username = added.ok_or(OperatorError::UsernameTaken)?;
        let actor = Actor::Operator(username.as_str().to_owned());
        let details = format!(
            "added operator {} as {role} at their first single sign-on ({} at {})",
            username.as_str(),
            identity.subject,
            identity.issuer
        );
        self.audit
            .record(&actor, Event::new(Action::OperatorAdd, details))
            .await?;
        let values = (&identity.issuer, &identity.subject, username.as_str());
        let claim = self
            .session
            .execute_unpaged(&self.statements.claim_identity, values)
            .await?;
        if lwt_applied(claim)? {
            return Ok(username.as_str().to_owned());
        }
        self.operators.set_disabled(&username, true, &actor).await?;
        self.username_of(identity)
            .await?
            .ok_or(OperatorError::NotFound)
    }
}

/// A valid username from what the provider calls the person: lower case, other characters
/// than letters, digits, `.`, `_` and `-` become `-`, short enough for a suffix.
fn username_base(preferred: Option<&str>) -> String {
    let cleaned: String = preferred
        .unwrap_or_default()
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(USERNAME_MAX_CHARS - 8)
        .collect();
    let cleaned = cleaned.trim_matches('-');
    if cleaned.is_empty() {
        "sso".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// `base`, `base-2` … `base-9`, then `base-` and six random hex digits.
fn candidates(base: &str) -> impl Iterator<Item = Username> + '_ {
    let numbered = (1..=NUMBERED_NAMES).map(move |n| match n {
        1 => base.to_owned(),
        n => format!("{base}-{n}"),
    });
    let random = std::iter::once_with(move || format!("{base}-{:06x}", rand::random::<u32>() >> 8));
    numbered
        .chain(random)
        .filter_map(|name| Username::parse(&name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_name_becomes_a_valid_username() {
        assert_eq!(username_base(Some("Alice")), "alice");
        assert_eq!(
            username_base(Some("alice@example.org")),
            "alice-example.org"
        );
        assert_eq!(username_base(Some("Zoë Ångström")), "zo---ngstr-m");
        assert_eq!(username_base(Some("  ")), "sso");
        assert_eq!(username_base(None), "sso");
        let long = "x".repeat(200);
        assert!(Username::parse(&format!("{}-123456", username_base(Some(&long)))).is_ok());
    }

    #[test]
    fn names_are_tried_with_numbers_then_a_random_suffix() {
        let names: Vec<String> = candidates("alice").map(|n| n.as_str().to_owned()).collect();
        assert_eq!(names[0], "alice");
        assert_eq!(names[1], "alice-2");
        assert_eq!(names[8], "alice-9");
        assert_eq!(names.len(), 10);
        assert!(names[9].starts_with("alice-") && names[9].len() == "alice-".len() + 6);
    }
}
