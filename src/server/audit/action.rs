//! What an audit event records: one name per kind of change, as stored in the `action` column.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    // Users
    Create,
    Update,
    Delete,
    /// A row written outside the app was given the claim on its email.
    Adopt,
    /// A save or delete refused because the user had changed since it was opened.
    Conflict,
    // Moving users in and out
    Export,
    /// An import job was started, cancelled or finished (each row it wrote has its own event).
    Import,
    // Signing in
    SignIn,
    SignInFailed,
    SignInRefused,
    SignOut,
    // Operators and their tokens
    OperatorAdd,
    OperatorRole,
    OperatorDisable,
    OperatorEnable,
    OperatorPassword,
    TokenCreate,
    TokenRevoke,
    // Second factors (an authenticator app, recovery codes)
    SecondFactorAdd,
    SecondFactorRemove,
}

impl Action {
    /// The name stored in Cassandra and shown on the Activity page.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Adopt => "adopt",
            Action::Conflict => "conflict",
            Action::Export => "export",
            Action::Import => "import",
            Action::SignIn => "sign-in",
            Action::SignInFailed => "sign-in failed",
            Action::SignInRefused => "sign-in refused",
            Action::SignOut => "sign-out",
            Action::OperatorAdd => "operator add",
            Action::OperatorRole => "operator role",
            Action::OperatorDisable => "operator disable",
            Action::OperatorEnable => "operator enable",
            Action::OperatorPassword => "operator password",
            Action::TokenCreate => "token create",
            Action::TokenRevoke => "token revoke",
            Action::SecondFactorAdd => "second factor add",
            Action::SecondFactorRemove => "second factor remove",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
