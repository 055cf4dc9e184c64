//! The phone of a test operator: an authenticator app added through the Security page's
//! endpoints, and the codes it shows.

use super::app::{post_form, Served};
use super::test_db::PASSWORD;
use cassandra_users::server::operators::Authenticator;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

/// The phone: the authenticator whose secret the Security page showed, and the steps whose
/// codes it has typed (the server takes each once, so every test types a new one).
pub struct Phone {
    app: Authenticator,
    typed: BTreeSet<u64>,
}

impl Phone {
    pub fn from_setup(setup: &Value, username: &str) -> Phone {
        let base32 = setup["secret"].as_str().unwrap().replace(' ', "");
        let secret = totp_rs::Secret::Encoded(base32).to_bytes().unwrap();
        Phone {
            app: Authenticator::from_secret(secret, username).unwrap(),
            typed: BTreeSet::new(),
        }
    }

    /// A code the server accepts now and the phone has not typed: this step's, or the next's
    /// (one step of clock skew is allowed).
    pub fn fresh_code(&mut self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let step = [now / 30, now / 30 + 1]
            .into_iter()
            .find(|step| !self.typed.contains(step))
            .expect("at most two codes per step in these tests");
        self.typed.insert(step);
        self.app.code_at(step * 30)
    }

    /// The code of the step the phone typed last: the server has seen it.
    pub fn last_code(&self) -> String {
        self.app
            .code_at(self.typed.iter().next_back().unwrap() * 30)
    }

    /// A six-digit code that is none of those the server accepts now.
    pub fn wrong_code(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let valid: Vec<String> = (0..4)
            .map(|n| self.app.code_at(now + n * 30 - 30))
            .collect();
        (0..10)
            .map(|n| format!("00000{n}"))
            .find(|code| !valid.contains(code))
            .unwrap()
    }
}

/// Signs `username` in and adds a confirmed authenticator app, as the Security page does.
pub async fn with_authenticator(client: &Client, app: &Served, username: &str) -> Phone {
    let password = [("username", username), ("password", PASSWORD)];
    assert_eq!(
        post_form(client, &format!("{}/api/auth/sign-in", app.url), &password).await,
        (StatusCode::OK, Value::from("/"))
    );
    let (status, setup) = post_form(
        client,
        &format!("{}/api/security/authenticator/add", app.url),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    assert!(
        setup["qr_svg"].as_str().unwrap().contains("<svg"),
        "{setup}"
    );
    assert!(
        setup["setup_uri"].as_str().unwrap().contains(username),
        "{setup}"
    );
    let mut phone = Phone::from_setup(&setup, username);
    let (status, answer) = post_form(
        client,
        &format!("{}/api/security/authenticator/confirm", app.url),
        &[("code", &phone.wrong_code())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let code = phone.fresh_code();
    let (status, answer) = post_form(
        client,
        &format!("{}/api/security/authenticator/confirm", app.url),
        &[("code", &code)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    phone
}
