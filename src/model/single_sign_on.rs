//! Single sign-on as the sign-in page sees it: the provider's button, and why a sign-in through
//! it was refused (the callback sends the browser back to `/sign-in?sso_error=CODE`).

use serde::{Deserialize, Serialize};

/// The "Sign in with {name}" button, when single sign-on is configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoButton {
    pub provider_name: String,
    /// Whether the provider's discovery document and keys were read; while not, the button
    /// says the provider is unavailable and password sign-in still works.
    pub available: bool,
}

/// Why a sign-in through the identity provider did not sign anyone in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoRefusal {
    /// The provider's discovery or keys could not be read.
    Unavailable,
    /// No sign-in was begun in this session, or it is older than its ten minutes.
    NotStarted,
    /// The answer's `state` is not the one this session sent.
    WrongState,
    /// The provider answered with an error (the person cancelled, or it refused them).
    Denied,
    /// The code exchange or the ID token's checks failed.
    NotVerified,
    /// The ID token carries none of the groups that give a role here.
    NoRole,
    /// The operator exists and is disabled.
    Disabled,
}

impl SsoRefusal {
    pub const ALL: [SsoRefusal; 7] = [
        SsoRefusal::Unavailable,
        SsoRefusal::NotStarted,
        SsoRefusal::WrongState,
        SsoRefusal::Denied,
        SsoRefusal::NotVerified,
        SsoRefusal::NoRole,
        SsoRefusal::Disabled,
    ];

    /// The value of `sso_error` in the sign-in page's address.
    pub fn code(self) -> &'static str {
        match self {
            SsoRefusal::Unavailable => "unavailable",
            SsoRefusal::NotStarted => "not_started",
            SsoRefusal::WrongState => "wrong_state",
            SsoRefusal::Denied => "denied",
            SsoRefusal::NotVerified => "not_verified",
            SsoRefusal::NoRole => "no_role",
            SsoRefusal::Disabled => "disabled",
        }
    }

    pub fn from_code(code: &str) -> Option<SsoRefusal> {
        SsoRefusal::ALL
            .into_iter()
            .find(|refusal| refusal.code() == code)
    }

    /// What the person reads, naming the provider.
    pub fn message(self, provider: &str) -> String {
        match self {
            SsoRefusal::Unavailable => format!(
                "{provider} cannot be reached right now. Try again in a minute, or sign in with \
                 your password if you have one."
            ),
            SsoRefusal::NotStarted => "That sign-in was not started in this browser, or took \
                 more than ten minutes. Start again."
                .to_owned(),
            SsoRefusal::WrongState => format!(
                "That answer from {provider} does not belong to the sign-in this browser \
                 started, so it was not used. Start again."
            ),
            SsoRefusal::Denied => format!("{provider} did not sign you in."),
            SsoRefusal::NotVerified => format!(
                "{provider}'s answer could not be verified, so you are not signed in. Start \
                 again; if it happens again, tell your administrator."
            ),
            SsoRefusal::NoRole => format!(
                "Your account at {provider} is in none of the groups that give a role here. \
                 Ask your administrator for access."
            ),
            SsoRefusal::Disabled => {
                "Your operator account here is disabled. Ask an administrator.".to_owned()
            }
        }
    }
}
