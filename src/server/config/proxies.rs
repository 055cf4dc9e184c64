//! The proxies whose word the app takes for who a client is (`TRUSTED_PROXIES`).

use ipnet::IpNet;
use std::net::IpAddr;

/// Addresses and networks (`127.0.0.1`, `10.0.0.0/8`, `::1`) whose `X-Forwarded-For` and
/// `X-Forwarded-Proto` are believed. None by default: those headers are anyone's to write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list; a bare address is a network of one.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut networks = Vec::new();
        for item in value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let network = match item.parse::<IpNet>() {
                Ok(network) => network,
                Err(_) => item.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!("'{item}' is not an address or a network like 10.0.0.0/8")
                })?,
            };
            networks.push(network);
        }
        Ok(TrustedProxies(networks))
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_networks_are_trusted_and_a_typo_is_refused() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8,::1").unwrap();
        for ip in ["127.0.0.1", "10.20.30.40", "::1"] {
            assert!(trusted.contains(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["127.0.0.2", "11.0.0.1", "203.0.113.9"] {
            assert!(!trusted.contains(ip.parse().unwrap()), "{ip}");
        }
        assert!(TrustedProxies::parse("10.0.0/8").is_err());
        assert_eq!(TrustedProxies::parse(""), Ok(TrustedProxies::default()));
    }
}
