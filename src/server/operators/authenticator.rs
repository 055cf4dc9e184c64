//! Authenticator apps' codes: RFC 6238 TOTP as every app reads it (SHA-1, 6 digits, 30 s
//! steps) with `totp-rs`, and the QR code a phone scans, drawn on the server as SVG (`qrcode`),
//! so the page needs no script for it.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// What an authenticator app shows above the code.
const ISSUER: &str = "Cassandra Users";

pub struct Authenticator(TOTP);

impl Authenticator {
    /// A new secret (160 random bits) for `username`.
    pub fn generate(username: &str) -> Authenticator {
        let secret = Secret::generate_secret()
            .to_bytes()
            .expect("a generated secret is raw bytes");
        Self::from_secret(secret, username).expect("a generated secret has 160 bits")
    }

    /// The authenticator of a stored secret; `None` if it is shorter than RFC 4226's 128 bits.
    pub fn from_secret(secret: Vec<u8>, username: &str) -> Option<Authenticator> {
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            1,
            STEP_SECONDS,
            secret,
            Some(ISSUER.to_owned()),
            username.to_owned(),
        )
        .ok()
        .map(Authenticator)
    }

    pub fn secret(&self) -> &[u8] {
        &self.0.secret
    }

    /// The secret as a person types it into an app: base32, in groups of four.
    pub fn secret_text(&self) -> String {
        let base32 = self.0.get_secret_base32();
        let groups: Vec<String> = base32
            .as_bytes()
            .chunks(4)
            .map(|group| String::from_utf8_lossy(group).into_owned())
            .collect();
        groups.join(" ")
    }

    /// The `otpauth://` address the QR code holds.
    pub fn setup_uri(&self) -> String {
        self.0.get_url()
    }

    /// The QR code of `setup_uri`, as an SVG document.
    pub fn qr_svg(&self) -> String {
        match qrcode::QrCode::new(self.setup_uri().as_bytes()) {
            Ok(code) => code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build(),
            Err(_) => String::new(),
        }
    }

    /// The code for Unix time `now` (tests and the command line's checks compute it so).
    pub fn code_at(&self, now: u64) -> String {
        self.0.generate(now)
    }

    /// The 30 s step whose code `typed` is, among the step of `now` and one either side (the
    /// phone's clock may be off by that much); `None` when it is none of them. Spaces in the
    /// typed code are ignored.
    pub fn step_of(&self, typed: &str, now: u64) -> Option<u64> {
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if typed.len() != DIGITS || !typed.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = now / STEP_SECONDS;
        [current, current.saturating_sub(1), current + 1]
            .into_iter()
            .find(|step| {
                let code = self.0.generate(step * STEP_SECONDS);
                bool::from(code.as_bytes().ct_eq(typed.as_bytes()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::{Authenticator, STEP_SECONDS};

    #[test]
    fn the_code_of_this_step_and_those_either_side_are_taken_others_are_not() {
        let app = Authenticator::generate("alice");
        let now = 1_800_000_015;
        let step = now / STEP_SECONDS;
        assert_eq!(app.step_of(&app.code_at(now), now), Some(step));
        assert_eq!(app.step_of(&app.code_at(now - 30), now), Some(step - 1));
        assert_eq!(app.step_of(&app.code_at(now + 30), now), Some(step + 1));
        let spaced = app.code_at(now);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(app.step_of(&spaced, now), Some(step));
        assert_eq!(app.step_of(&app.code_at(now - 90), now), None);
        assert_eq!(app.step_of("12345", now), None);
        assert_eq!(app.step_of("abcdef", now), None);
    }

    #[test]
    fn rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 → 94287082 (8 digits);
        // its last six digits are the 6-digit code.
        let app = Authenticator::from_secret(b"12345678901234567890".to_vec(), "alice").unwrap();
        assert_eq!(app.code_at(59), "287082");
    }

    #[test]
    fn the_page_gets_a_secret_to_type_a_setup_address_and_a_qr_code() {
        let app = Authenticator::generate("alice");
        assert!(app
            .setup_uri()
            .starts_with("otpauth://totp/Cassandra%20Users:alice?"));
        assert_eq!(app.secret_text().replace(' ', "").len(), 32);
        assert!(app.qr_svg().contains("<svg"));
    }
}
