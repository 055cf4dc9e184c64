//! The one-time code that makes "create the first administrator" safe on a network: printed in
//! the server's log, asked for on the setup page. A browser on the server's own machine may skip
//! it, but only when the server listens on loopback alone (behind a reverse proxy every client
//! would look local).

use super::passwords::random_secret;
use std::net::{IpAddr, SocketAddr};

#[derive(Clone, Debug)]
pub struct SetupCode {
    code: String,
    server_on_loopback: bool,
}

impl SetupCode {
    pub fn generate(listening_on: SocketAddr) -> Self {
        SetupCode {
            code: random_secret(9),
            server_on_loopback: listening_on.ip().is_loopback(),
        }
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// Whether this client must type the code.
    pub fn needed_by(&self, client: Option<IpAddr>) -> bool {
        !(self.server_on_loopback && client.is_some_and(|ip| ip.is_loopback()))
    }

    pub fn accepts(&self, given: &str, client: Option<IpAddr>) -> bool {
        use subtle::ConstantTimeEq;
        !self.needed_by(client) || bool::from(given.trim().as_bytes().ct_eq(self.code.as_bytes()))
    }
}
