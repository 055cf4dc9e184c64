//! Password hashing with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes), and the
//! random secrets behind API tokens and the setup code.
//!
//! Hashing takes tens of milliseconds of CPU on purpose, so it runs on tokio's blocking pool.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed")]
    Argon2(#[source] argon2::password_hash::Error),
    #[error("the password hashing task stopped")]
    Task(#[source] tokio::task::JoinError),
}

/// The PHC string (`$argon2id$v=19$...`) to store for `password`.
pub async fn hash(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(HashError::Task)?
}

fn hash_now(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(HashError::Argon2)
}

/// Whether `password` matches `stored`. With no stored hash (an unknown username), a hash of a
/// random password is checked instead, so the answer takes the same time either way.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| decoy_hash().to_owned());
        let matches = PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// Computes the decoy hash now (at start-up), so that the first unknown username is not slower
/// than the rest.
pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(decoy_hash).await;
}

fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_now(&random_secret(32)).unwrap_or_default())
}

/// `bytes` random bytes from the OS, URL-safe base64 without padding.
pub fn random_secret(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// SHA-256 of a high-entropy secret (a token or session id), hex. A fast hash is right here:
/// the secret is random, so there is nothing to guess, and it is checked on every request.
pub fn secret_digest(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery staple".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery staple".into(), Some(stored.clone())).await);
        assert!(!verify("correct horse battery stapler".into(), Some(stored)).await);
        assert!(
            !verify("anything".into(), None).await,
            "unknown users never match"
        );
    }

    #[test]
    fn secrets_are_random_and_digests_are_stable() {
        let (a, b) = (random_secret(32), random_secret(32));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes are 43 base64 characters");
        assert_eq!(secret_digest("x"), secret_digest("x"));
        assert_eq!(secret_digest("x").len(), 64);
    }
}
