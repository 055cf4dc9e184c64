//! Who a request comes from: the connection's peer, or, when that peer is a trusted proxy
//! (`TRUSTED_PROXIES`), the client it names in `X-Forwarded-For` and whether the client came
//! over HTTPS (`X-Forwarded-Proto`). From anyone else those headers are ignored: anyone can write
//! them.

use crate::server::config::TrustedProxies;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// The client of a request, as far as the app can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    pub address: IpAddr,
    /// It reached a trusted proxy over HTTPS.
    pub https: bool,
}

/// Finds the request's `Client` and puts it in the request's extensions.
pub async fn find_client(
    State(trusted): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(peer) = peer {
        let client = client_of(peer, request.headers(), &trusted);
        request.extensions_mut().insert(client);
    }
    next.run(request).await
}

/// `X-Forwarded-For` is "client, proxy, proxy…", each proxy adding the address it heard from:
/// read from the right, the first address that is not a trusted proxy is the client.
fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Client {
    if !trusted.contains(peer) {
        return Client {
            address: peer,
            https: false,
        };
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut address = peer;
    for hop in forwarded.iter().rev() {
        let Ok(hop) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        address = hop;
        if !trusted.contains(hop) {
            break;
        }
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    Client { address, https }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(peer: &str, forwarded_for: &str, proto: &str) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded_for.parse().unwrap());
        headers.insert("x-forwarded-proto", proto.parse().unwrap());
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        client_of(peer.parse().unwrap(), &headers, &trusted)
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_anyone_else_is_their_own_address() {
        let behind_two = client("127.0.0.1", "203.0.113.9, 10.1.2.3", "https");
        assert_eq!(
            behind_two,
            Client {
                address: "203.0.113.9".parse().unwrap(),
                https: true
            }
        );
        // A client cannot pose as someone else by sending the header itself.
        let spoofed = client("127.0.0.1", "198.51.100.7, 203.0.113.9", "http");
        assert_eq!(spoofed.address, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert!(!spoofed.https);
        let direct = client("203.0.113.50", "127.0.0.1", "https");
        assert_eq!(
            direct,
            Client {
                address: "203.0.113.50".parse().unwrap(),
                https: false
            }
        );
    }
}
