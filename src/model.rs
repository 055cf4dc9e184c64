//! The data that travels between the browser and the server.

mod imports;
mod single_sign_on;

pub use imports::*;
use serde::{Deserialize, Serialize};
pub use single_sign_on::*;
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

impl User {
    /// Rows written by other clients may have no name; they still need something to click.
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            "(no name)".into()
        } else {
            self.name.clone()
        }
    }
}

/// One page of the user list (in name or storage order) or of a search's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<User>,
    /// Where the next page starts (its `after`); `None` on the last page.
    pub next: Option<String>,
    /// Where the page before this one ends (its `before`); `None` on the first page, and always
    /// in storage order (Cassandra cannot walk tokens backwards).
    pub previous: Option<String>,
    /// A search too broad to fill this page within the entries one page may examine: the page
    /// is short, and `next` goes on. Only in the JSON when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// The order of the user list: the `sort` parameter of the page and the API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortOrder {
    /// By full name, case and accents ignored, ties by email: `sort=name`, the default.
    #[default]
    Name,
    /// Cassandra's storage (token) order: `sort=token`. Every row shows at once, whoever wrote it.
    Storage,
}

impl SortOrder {
    pub fn param(self) -> &'static str {
        match self {
            SortOrder::Name => "name",
            SortOrder::Storage => "token",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Name => "Name",
            SortOrder::Storage => "Storage order",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "name" => Some(SortOrder::Name),
            "token" => Some(SortOrder::Storage),
            _ => None,
        }
    }

    /// The order a page position was given in, when no `sort` says it: a bare id is a position
    /// in storage order (every bookmark made before name order existed), anything else in name
    /// order.
    pub fn of_position(position: &str) -> Self {
        if position.trim().parse::<Cursor>().is_ok() {
            SortOrder::Storage
        } else {
            SortOrder::Name
        }
    }
}

/// About how many users there are, from Cassandra's own estimates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCount {
    pub approximate: u64,
    /// When the estimate was made (RFC 3339, UTC); `None` when Cassandra has none yet.
    pub as_of: Option<String>,
}

/// What became of one user that a bulk delete was asked to delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeleteOutcome {
    Deleted,
    /// Changed since the person saw it: not deleted.
    Conflict,
    /// Gone already.
    NotFound,
    /// The database could not be asked; nothing was changed for this user. Try again.
    Unavailable,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDeleteResult {
    pub id: Uuid,
    pub outcome: DeleteOutcome,
}

/// A bulk delete's answer: one result per user asked for, in the order asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDeleteResults {
    pub results: Vec<BulkDeleteResult>,
}

/// A bulk delete's results with the names the person confirmed, for the page that reports them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDeleteReport {
    pub results: Vec<BulkDeleteResult>,
    pub names: Vec<String>,
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

/// What an operator may do. Each role includes everything the ones before it may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// List, find, read history.
    Viewer,
    /// Viewer, plus create, edit and delete users.
    Editor,
    /// Editor, plus operators and API tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Whether this role includes `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "'{other}' is not a role; choose viewer, editor or admin."
            )),
        }
    }
}

/// Who is making a request: a signed-in operator, or the owner of an API token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub username: String,
    pub role: Role,
}

/// An operator as the Operators page lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSummary {
    pub username: String,
    pub role: Role,
    pub disabled: bool,
}

/// An API token as the admin page lists it. The secret is never stored, so never shown again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenSummary {
    pub id: Uuid,
    pub label: String,
    pub operator: String,
    pub created: String,
}

/// A token just created: the only time its secret is seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: Uuid,
    pub label: String,
    pub operator: String,
    pub secret: String,
}

/// One entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// A time-based id (timeuuid); also the paging cursor.
    pub id: Uuid,
    /// When, in UTC, formatted by the server.
    pub at: String,
    /// The operator's username, or "cassandra-users CLI".
    pub operator: String,
    pub action: String,
    pub user_id: Option<Uuid>,
    pub details: String,
    /// Field values before and after the change (create: after only; delete: before only).
    pub changes: Vec<FieldChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A page of audit events, newest first. `next` is the id to pass as `before` for older ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<Uuid>,
}

/// The Cassandra the server talks to, and how it writes changes to users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// The node's release version, e.g. "5.0.9".
    pub version: String,
    /// Whether create, email change and delete each run as one Accord transaction (Cassandra 6);
    /// otherwise they are ordered steps around lightweight transactions.
    pub transactions: bool,
}

/// A reconcile run: how far it is and what it found (see `cassandra-users reconcile`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileRun {
    pub id: Uuid,
    pub started_at: String,
    /// How far through the table, by token range.
    pub progress_percent: u8,
    pub scanned: i64,
    /// Rows written outside the app that were given the claim on their email.
    pub claimed: i64,
    /// Emails that several rows share.
    pub duplicate_emails: i64,
    /// Rows whose email is not a valid address (nothing the app writes can collide with them).
    pub not_emails: i64,
    /// Rows that search could not find yet (written outside the app, or before search existed)
    /// and that were given their search terms.
    pub searchable: i64,
    /// Rows whose name or email breaks the rules the app (and on Cassandra 6 the table's
    /// constraints) hold new values to.
    pub breaking_rules: i64,
    pub finished: bool,
}

/// A stored row whose name or email breaks the rules, and which rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleBreaker {
    pub user: User,
    pub problem: String,
}

/// Rows that share one email (compared trimmed and lower-cased), oldest first by write time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateEmail {
    pub email: String,
    pub users: Vec<User>,
}

/// What the reconcile page shows: the latest run, whether one is under way, its duplicates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileStatus {
    pub run: Option<ReconcileRun>,
    pub running: bool,
    pub duplicates: Vec<DuplicateEmail>,
    /// The first rows of the run that break the rules (`breaking_rules` counts them all).
    pub rule_breakers: Vec<RuleBreaker>,
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

/// An operator's second factors, as their Security page shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityStatus {
    /// Whether the server can seal authenticator apps' secrets (`SECRETS_KEY_FILE` is set).
    pub can_add_authenticator: bool,
    /// The date the authenticator app in use was added, if there is one.
    pub authenticator_added: Option<String>,
    /// An authenticator app being added, not confirmed by a code yet.
    pub adding: Option<AuthenticatorSetup>,
    pub recovery_codes_left: usize,
    /// The operator's passkeys, oldest first.
    pub passkeys: Vec<PasskeySummary>,
    /// Why passkeys cannot be added or used from this page's address, if they cannot (the
    /// page was reached at an IP address, or at another host than passkeys belong to).
    pub passkeys_unavailable: Option<String>,
}

/// A passkey as the Security page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    /// The credential id, base64url: what `security/passkeys/remove` takes.
    pub id: String,
    pub name: String,
    /// The day it was added (YYYY-MM-DD).
    pub added: String,
}

/// What a person scans or types into an authenticator app to add it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorSetup {
    /// The secret in base32, in groups of four.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub setup_uri: String,
    /// The QR code as an SVG document, drawn by the server.
    pub qr_svg: String,
}
