//! The identity provider as this server knows it: its discovery document and signing keys,
//! read at start-up and read again in the background (a provider rotates its keys), so an
//! unreachable provider never stops the server: the sign-in button says it is unavailable and
//! password sign-in goes on.

use crate::server::cassandra::error::describe;
use crate::server::config::SsoSettings;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, Client, ClientId, ClientSecret, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, RedirectUrl, StandardErrorResponse,
    StandardTokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The ID token's claims beyond the standard ones, where the role claim is found.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub claims: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type TokenFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
pub type TokenResponse = StandardTokenResponse<TokenFields, CoreTokenType>;

/// The OpenID Connect client made from the provider's discovery document.
pub type ProviderClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How often the discovery document and keys are read again while they were read.
const REFRESH_EVERY: Duration = Duration::from_secs(15 * 60);
/// How soon they are tried again while they could not be read.
const RETRY_EVERY: Duration = Duration::from_secs(5);
/// How long one request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SsoProvider {
    pub settings: SsoSettings,
    pub http: reqwest::Client,
    client: RwLock<Option<Arc<ProviderClient>>>,
}

impl SsoProvider {
    /// The provider of `settings`, read in the background from now on (within a Tokio runtime).
    pub fn start(settings: SsoSettings) -> Arc<SsoProvider> {
        // Following redirects would let a provider's answer send requests elsewhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .unwrap_or_default();
        let provider = Arc::new(SsoProvider {
            settings,
            http,
            client: RwLock::new(None),
        });
        tokio::spawn(keep_discovered(Arc::downgrade(&provider)));
        provider
    }

    /// The client, once the provider's discovery document and keys were read.
    pub fn client(&self) -> Option<Arc<ProviderClient>> {
        self.client.read().ok()?.clone()
    }

    async fn discover(&self) -> Result<ProviderClient, String> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| e.to_string())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| describe(&e))?;
        let redirect =
            RedirectUrl::new(self.settings.redirect_uri.clone()).map_err(|e| e.to_string())?;
        let secret = ClientSecret::new(self.settings.client_secret.expose_secret().to_owned());
        Ok(ProviderClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(secret),
        )
        .set_redirect_uri(redirect))
    }
}

/// Reads the provider's discovery document and keys now and again, for as long as the provider
/// is in use; says each change between reachable and not once.
async fn keep_discovered(provider: std::sync::Weak<SsoProvider>) {
    let mut reachable = None;
    loop {
        let Some(provider) = provider.upgrade() else {
            return;
        };
        let wait = match provider.discover().await {
            Ok(client) => {
                if reachable != Some(true) {
                    tracing::info!(issuer = %provider.settings.issuer, "single sign-on: the identity provider's keys were read");
                }
                reachable = Some(true);
                *provider.client.write().unwrap_or_else(|e| e.into_inner()) =
                    Some(Arc::new(client));
                REFRESH_EVERY
            }
            Err(problem) => {
                if reachable != Some(false) {
                    tracing::warn!(issuer = %provider.settings.issuer, "single sign-on: the identity provider cannot be read ({problem}); trying again every {}s", RETRY_EVERY.as_secs());
                }
                reachable = Some(false);
                // Keys read before stay in use: a provider down for a moment signs nobody out.
                RETRY_EVERY
            }
        };
        drop(provider);
        tokio::time::sleep(wait).await;
    }
}
