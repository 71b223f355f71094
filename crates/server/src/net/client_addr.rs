//! The client's address: the TCP peer, or, when the peer is a configured reverse
//! proxy, the nearest address in `X-Forwarded-For` that is not one of ours. Anyone
//! can write `X-Forwarded-For`, so it counts only when our own proxy appended to it.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The networks of this server's own reverse proxies (`--trusted-proxy`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    /// Whether `ip` is one of our proxies (an IPv4-mapped IPv6 peer counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: the rightmost `X-Forwarded-For` hop that is not a
    /// trusted proxy, if `peer` is one; otherwise `peer` itself.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut nearest = peer.to_canonical();
        if !self.contains(nearest) {
            return nearest;
        }
        // Several headers are one list, in order (RFC 9110 §5.3).
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Garbage our proxy passed on: the proxy is the last address we trust.
                return nearest;
            };
            if !self.contains(ip) {
                return ip;
            }
            nearest = ip;
        }
        nearest
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn forwarded_for_from_an_untrusted_peer_is_ignored() {
        let p = proxies(&["10.0.0.0/8"]);
        let peer: IpAddr = "198.51.100.4".parse().unwrap();
        assert_eq!(p.client_ip(peer, &xff(&["203.0.113.9"])), peer);
    }

    #[test]
    fn rightmost_untrusted_hop_is_the_client() {
        let p = proxies(&["10.0.0.0/8", "::1/128"]);
        let peer: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        let headers = xff(&["192.0.2.1, 203.0.113.9", "10.0.0.7"]);
        assert_eq!(
            p.client_ip(peer, &headers),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            p.client_ip(peer, &xff(&["[2001:db8::5]:443"])),
            "2001:db8::5".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn missing_or_garbage_forwarded_for_gives_the_nearest_proxy() {
        let p = proxies(&["10.0.0.0/8"]);
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(p.client_ip(peer, &HeaderMap::new()), peer);
        assert_eq!(
            p.client_ip(peer, &xff(&["203.0.113.9, nonsense, 10.0.0.3"])),
            "10.0.0.3".parse::<IpAddr>().unwrap()
        );
    }
}
