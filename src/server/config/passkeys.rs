//! Where passkeys belong. WebAuthn binds a passkey to a host name (its relying party id; a
//! browser refuses an IP address): the host of `PUBLIC_URL` when it is a name, else `localhost`
//! (development and tests), on any port.

use url::Url;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeySettings {
    /// The relying party id: a host name.
    pub rp_id: String,
    /// The origin browsers must report (its port ignored when `any_port`).
    pub origin: Url,
    pub any_port: bool,
}

impl PasskeySettings {
    pub fn for_public_url(public_url: Option<&Url>) -> PasskeySettings {
        let named = public_url.filter(|url| matches!(url.host(), Some(url::Host::Domain(_))));
        match named.and_then(|url| Some((url.host_str()?.to_owned(), url))) {
            Some((host, url)) => PasskeySettings {
                rp_id: host,
                origin: Url::parse(&url.origin().ascii_serialization())
                    .unwrap_or_else(|_| url.clone()),
                any_port: false,
            },
            None => PasskeySettings {
                rp_id: "localhost".to_owned(),
                origin: Url::parse("http://localhost").expect("a valid URL"),
                any_port: true,
            },
        }
    }

    /// The relying party that runs the ceremonies.
    pub fn relying_party(&self) -> Result<webauthn_rs::Webauthn, String> {
        webauthn_rs::WebauthnBuilder::new(&self.rp_id, &self.origin)
            .and_then(|builder| {
                builder
                    .rp_name("Cassandra users")
                    .allow_any_port(self.any_port)
                    .build()
            })
            .map_err(|e| format!("passkeys cannot belong to {}: {e}", self.rp_id))
    }

    /// Whether a page reached at `host` (the request's Host, port and all) can use passkeys.
    pub fn serves(&self, host: &str) -> bool {
        let name = host
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(name, _)| name);
        name.eq_ignore_ascii_case(&self.rp_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_belong_to_the_public_host_or_to_localhost() {
        let public = Url::parse("https://users.example.org/console").unwrap();
        let settings = PasskeySettings::for_public_url(Some(&public));
        assert_eq!(settings.rp_id, "users.example.org");
        assert_eq!(settings.origin.as_str(), "https://users.example.org/");
        assert!(settings.serves("users.example.org"));
        assert!(!settings.serves("10.0.0.7:3000"));

        let at_an_address = Url::parse("http://10.0.0.7:3000").unwrap();
        let fallback = PasskeySettings::for_public_url(Some(&at_an_address));
        assert_eq!(fallback.rp_id, "localhost");
        assert!(fallback.relying_party().is_ok());
        assert!(settings.relying_party().is_ok());

        let local = PasskeySettings::for_public_url(None);
        assert_eq!(local.rp_id, "localhost");
        assert!(local.any_port);
        assert!(local.serves("localhost:3010"));
        assert!(!local.serves("127.0.0.1:3010"));
        assert!(!local.serves("[::1]:3010"));
    }
}
