//! A real OpenID Provider for the single sign-on tests: `end2end/openid-provider.mjs` (panva's
//! certified `oidc-provider`, installed with the browser tests' packages) on a free port of
//! loopback, stopped when the test ends. `IdentityProvider::sign_in` plays the person at it.

use reqwest::{header, Client};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The test provider's client for the app (`end2end/openid-provider.mjs`).
pub const CLIENT_ID: &str = "cassandra-users";
pub const CLIENT_SECRET: &str = "test-client-secret-of-the-console";

pub struct IdentityProvider {
    process: Child,
    pub issuer: String,
}

impl IdentityProvider {
    /// Starts a provider that sends people back to `redirect_uri`, with more of the script's
    /// options (`--claims-in-userinfo`); returns once it answers.
    pub fn start_with(redirect_uri: &str, options: &[&str]) -> IdentityProvider {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/end2end/openid-provider.mjs");
        let mut process = Command::new("node")
            .args([script, "--redirect-uri", redirect_uri])
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the test OpenID Provider with node (make setup installs it)");
        let mut first_line = String::new();
        BufReader::new(process.stdout.take().unwrap())
            .read_line(&mut first_line)
            .expect("read the test provider's first line");
        let issuer = first_line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the test provider did not start: {first_line:?}"))
            .trim()
            .to_owned();
        IdentityProvider { process, issuer }
    }

    /// The settings of single sign-on through this provider, for an app at `app_url`.
    pub fn settings(&self, app_url: &str) -> Vec<(&'static str, String)> {
        Self::settings_for(&self.issuer, app_url)
    }

    /// The same for a provider at `issuer` (which need not answer).
    pub fn settings_for(issuer: &str, app_url: &str) -> Vec<(&'static str, String)> {
        vec![
            ("OIDC_ISSUER", issuer.to_owned()),
            ("PUBLIC_URL", app_url.to_owned()),
            ("OIDC_CLIENT_ID", CLIENT_ID.to_owned()),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("OIDC_PROVIDER_NAME", "Test Provider".to_owned()),
            (
                "OIDC_ROLES",
                "users-admin=admin,users-editor=editor".to_owned(),
            ),
        ]
    }

    /// Plays a browser from the app's "Sign in with …" link through this provider's sign-in page
    /// (as `login`, in `groups`, comma-separated) until the provider sends it back to the app:
    /// answers that callback URL, not yet followed. `authorize` may change the provider's
    /// authorization URL first, as a tampering client would.
    pub async fn sign_in(
        &self,
        browser: &Client,
        app_url: &str,
        login: &str,
        groups: &str,
        authorize: impl FnOnce(String) -> String,
    ) -> String {
        let authorization = redirected(
            browser
                .get(format!("{app_url}/auth/oidc/start"))
                .send()
                .await
                .unwrap(),
        );
        assert!(
            authorization.starts_with(&self.issuer),
            "the app sent the browser to {authorization}, not to the provider"
        );
        let interaction = self.absolute(&redirected(
            browser.get(authorize(authorization)).send().await.unwrap(),
        ));
        let form = [("login", login), ("groups", groups)];
        let signed_in = browser
            .post(format!("{interaction}/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let resume = self.absolute(&redirected(signed_in));
        self.absolute(&redirected(browser.get(resume).send().await.unwrap()))
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') {
            format!("{}{location}", self.issuer)
        } else {
            location.to_owned()
        }
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Where a redirect sends the browser.
pub fn redirected(response: reqwest::Response) -> String {
    let status = response.status();
    assert!(
        status.is_redirection(),
        "expected a redirect from {}, got {status}",
        response.url()
    );
    response
        .headers()
        .get(header::LOCATION)
        .expect("a redirect has a Location")
        .to_str()
        .unwrap()
        .to_owned()
}
