//! The authorization code flow with PKCE, `state` and `nonce`. Beginning it keeps the three
//! secrets in the sign-in session (in Cassandra, so the provider may send the browser back to
//! any app server); finishing it takes them out (each is good once), exchanges the code and
//! verifies the ID token: issuer, audience, signature against the provider's keys, expiry, nonce.
//! The name and the role claim come from the ID token, or else from the UserInfo answer.

use super::provider::{OtherClaims, ProviderClient, SsoProvider};
use crate::model::SsoRefusal;
use crate::server::cassandra::error::describe;
use crate::server::operators::SsoIdentity;
use openidconnect::core::CoreResponseType;
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use tower_sessions::Session;

/// Session key: the sign-in begun with the provider and not finished yet.
const PENDING_SIGN_IN: &str = "sso_pending_sign_in";
/// How long a person may take at the provider.
const PENDING_SECONDS: i64 = 600;

#[derive(Serialize, Deserialize)]
struct PendingSignIn {
    state: String,
    nonce: String,
    pkce_verifier: String,
    /// The page to go to once signed in.
    next: String,
    started_at: i64,
}

/// What the provider sent the browser back with (the callback's query).
#[derive(Debug, Default, Deserialize)]
pub struct ProviderAnswer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A sign-in the provider vouched for.
pub struct Verified {
    pub identity: SsoIdentity,
    /// The values of the role claim; `None` when the ID token does not carry it.
    pub groups: Option<Vec<String>>,
    pub next: String,
}

/// Why a sign-in stopped: what the person is told, and what the log says.
pub struct Stopped {
    pub refusal: SsoRefusal,
    pub detail: String,
}

fn stopped(refusal: SsoRefusal, detail: impl Into<String>) -> Stopped {
    Stopped {
        refusal,
        detail: detail.into(),
    }
}

/// The provider's authorization URL for a new sign-in that returns to `next`; its secrets are
/// in `session` until the provider sends the browser back.
pub async fn begin(
    provider: &SsoProvider,
    session: &Session,
    next: String,
) -> Result<String, Stopped> {
    let client = provider
        .client()
        .ok_or_else(|| stopped(SsoRefusal::Unavailable, "discovery not read yet"))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in scopes(&provider.settings.role_claim) {
        request = request.add_scope(Scope::new(scope));
    }
    let (url, state, nonce) = request.url();
    let pending = PendingSignIn {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next,
        started_at: OffsetDateTime::now_utc().unix_timestamp(),
    };
    session
        .insert(PENDING_SIGN_IN, pending)
        .await
        .map_err(|e| stopped(SsoRefusal::Unavailable, format!("session: {e}")))?;
    Ok(url.to_string())
}

/// Beside `openid` (always asked): `profile` (for `preferred_username`), `email`, and `groups`
/// when that is the role claim (providers that put roles elsewhere grant them without asking).
fn scopes(role_claim: &str) -> Vec<String> {
    let mut scopes = vec!["profile".to_owned(), "email".to_owned()];
    if role_claim == "groups" {
        scopes.push("groups".to_owned());
    }
    scopes
}

/// Checks the provider's answer against the sign-in this session began, and verifies it.
pub async fn finish(
    provider: &SsoProvider,
    session: &Session,
    answer: ProviderAnswer,
) -> Result<Verified, Stopped> {
    let pending = session
        .remove::<PendingSignIn>(PENDING_SIGN_IN)
        .await
        .ok()
        .flatten()
        .filter(|pending| {
            let age = OffsetDateTime::now_utc().unix_timestamp() - pending.started_at;
            (0..PENDING_SECONDS).contains(&age)
        })
        .ok_or_else(|| stopped(SsoRefusal::NotStarted, "no sign-in pending in this session"))?;
    let state = answer.state.unwrap_or_default();
    if !bool::from(state.as_bytes().ct_eq(pending.state.as_bytes())) {
        return Err(stopped(SsoRefusal::WrongState, "the state does not match"));
    }
    if let Some(error) = answer.error {
        let description = answer.error_description.unwrap_or_default();
        return Err(stopped(
            SsoRefusal::Denied,
            format!("the provider answered {error}: {description}"),
        ));
    }
    let code = answer
        .code
        .ok_or_else(|| stopped(SsoRefusal::NotVerified, "no code in the answer"))?;
    let client = provider
        .client()
        .ok_or_else(|| stopped(SsoRefusal::Unavailable, "discovery not read"))?;
    let (identity, groups) = exchange(provider, &client, code, &pending).await?;
    Ok(Verified {
        identity,
        groups,
        next: pending.next,
    })
}

/// Trades the code for tokens and verifies the ID token.
async fn exchange(
    provider: &SsoProvider,
    client: &ProviderClient,
    code: String,
    pending: &PendingSignIn,
) -> Result<(SsoIdentity, Option<Vec<String>>), Stopped> {
    let not_verified = |what: &str, error: &dyn std::error::Error| {
        stopped(
            SsoRefusal::NotVerified,
            format!("{what}: {}", describe(error)),
        )
    };
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| not_verified("no token endpoint", &e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(&provider.http)
        .await
        .map_err(|e| not_verified("the code exchange failed", &e))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| stopped(SsoRefusal::NotVerified, "no ID token in the answer"))?;
    let claims = id_token
        .claims(
            &client.id_token_verifier(),
            &Nonce::new(pending.nonce.clone()),
        )
        .map_err(|e| not_verified("the ID token", &e))?;
    let mut name = name_of(claims.preferred_username(), claims.email());
    let mut groups = claim_values(
        &claims.additional_claims().claims,
        &provider.settings.role_claim,
    );
    // Many providers put the profile and groups in the UserInfo answer only.
    if name.is_none() || groups.is_none() {
        let access = tokens.access_token().clone();
        if let Some(info) = user_info(provider, client, access, claims.subject().clone()).await {
            name = name.or_else(|| name_of(info.preferred_username(), info.email()));
            let claims = &info.additional_claims().claims;
            groups = groups.or_else(|| claim_values(claims, &provider.settings.role_claim));
        }
    }
    let identity = SsoIdentity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        preferred_username: name,
    };
    Ok((identity, groups))
}

/// What the person goes by: their `preferred_username`, else the part of their email before @.
fn name_of(
    preferred: Option<&openidconnect::EndUserUsername>,
    email: Option<&openidconnect::EndUserEmail>,
) -> Option<String> {
    let from_email = || {
        let email = email?.as_str();
        Some(email.split('@').next().unwrap_or(email).to_owned())
    };
    preferred
        .map(|name| name.as_str().to_owned())
        .or_else(from_email)
}

/// The provider's UserInfo answer for the signed-in subject, when it has the endpoint and
/// answers (its `sub` must be the ID token's: `openidconnect` checks).
async fn user_info(
    provider: &SsoProvider,
    client: &ProviderClient,
    access: openidconnect::AccessToken,
    subject: openidconnect::SubjectIdentifier,
) -> Option<openidconnect::UserInfoClaims<OtherClaims, openidconnect::core::CoreGenderClaim>> {
    let request = client.user_info(access, Some(subject)).ok()?;
    match request.request_async(&provider.http).await {
        Ok(info) => Some(info),
        Err(error) => {
            tracing::warn!(
                "single sign-on: the provider's UserInfo answer could not be used: {}",
                describe(&error)
            );
            None
        }
    }
}

/// The strings of the claim at `path` (dots walk into objects, as Keycloak's
/// `realm_access.roles`): a string is one value, an array its strings; absent is `None`.
fn claim_values(
    claims: &std::collections::HashMap<String, serde_json::Value>,
    path: &str,
) -> Option<Vec<String>> {
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    match value {
        serde_json::Value::String(one) => Some(vec![one.clone()]),
        serde_json::Value::Array(many) => Some(
            many.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::claim_values;
    use serde_json::json;

    #[test]
    fn the_role_claim_is_a_string_an_array_or_a_path() {
        let claims = serde_json::from_value(json!({
            "groups": ["users-admin", "staff", 7],
            "role": "users-editor",
            "realm_access": { "roles": ["users-viewer"] },
        }))
        .unwrap();
        assert_eq!(
            claim_values(&claims, "groups"),
            Some(vec!["users-admin".into(), "staff".into()])
        );
        assert_eq!(
            claim_values(&claims, "role"),
            Some(vec!["users-editor".into()])
        );
        assert_eq!(
            claim_values(&claims, "realm_access.roles"),
            Some(vec!["users-viewer".into()])
        );
        assert_eq!(claim_values(&claims, "teams"), None);
        assert_eq!(claim_values(&claims, "realm_access.groups"), None);
    }
}
