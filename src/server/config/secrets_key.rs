//! The key that seals what a copy of the database must not give away (authenticator apps'
//! secrets): XChaCha20-Poly1305 (`chacha20poly1305`, RustCrypto) under 32 bytes read from
//! `SECRETS_KEY_FILE`, written there as base64 (`openssl rand -base64 32`). Every app server
//! reads the same file. The key never reaches a log: `Debug` shows nothing of it.

use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::path::Path;
use std::sync::Arc;

const NONCE_BYTES: usize = 24;

#[derive(Clone)]
pub struct SecretsKey(Arc<XChaCha20Poly1305>);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(hidden)")
    }
}

impl SecretsKey {
    /// Reads the key from `path`; the error says what is wrong with the file, never its content.
    pub fn from_file(path: &Path) -> Result<SecretsKey, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        Self::from_base64(text.trim()).map_err(|problem| format!("{}: {problem}", path.display()))
    }

    pub fn from_base64(text: &str) -> Result<SecretsKey, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| "is not base64 (make one with: openssl rand -base64 32)".to_owned())?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| {
            format!(
                "holds {} bytes, not 32 (make one with: openssl rand -base64 32)",
                bytes.len()
            )
        })?;
        Ok(SecretsKey(Arc::new(cipher)))
    }

    /// `plain` sealed for `owner`: a random nonce, then the ciphertext and its tag. Opening it
    /// for another owner fails, so a sealed secret cannot be moved to another operator's row.
    pub fn seal(&self, plain: &[u8], owner: &str) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plain,
            aad: owner.as_bytes(),
        };
        let sealed = self
            .0
            .encrypt(&nonce, payload)
            .expect("XChaCha20-Poly1305 encrypts any message that fits in memory");
        [nonce.as_slice(), &sealed].concat()
    }

    /// What `seal` sealed for `owner`; `None` when it was sealed under another key or owner, or
    /// changed since.
    pub fn open(&self, sealed: &[u8], owner: &str) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: ciphertext,
            aad: owner.as_bytes(),
        };
        self.0.decrypt(XNonce::from_slice(nonce), payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::SecretsKey;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn a_sealed_secret_opens_for_its_owner_only() {
        let key = SecretsKey::from_base64(KEY).unwrap();
        let sealed = key.seal(b"the secret", "alice");
        assert_ne!(&sealed[24..], b"the secret");
        assert_eq!(
            key.open(&sealed, "alice").as_deref(),
            Some(&b"the secret"[..])
        );
        assert_eq!(key.open(&sealed, "bob"), None);
        let other =
            SecretsKey::from_base64("HwAeAB0AHAAbABoAGQAYABcAFgAVABQAEwASABEAEAA=").unwrap();
        assert_eq!(other.open(&sealed, "alice"), None);
    }

    #[test]
    fn a_key_that_is_not_32_bytes_of_base64_is_refused_with_a_reason() {
        assert!(SecretsKey::from_base64("not base64!")
            .unwrap_err()
            .contains("not base64"));
        assert!(SecretsKey::from_base64("AAEC")
            .unwrap_err()
            .contains("3 bytes, not 32"));
        assert!(format!("{:?}", SecretsKey::from_base64(KEY).unwrap()).contains("hidden"));
    }
}
