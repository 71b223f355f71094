//! Which IP addresses a webhook may reach: global unicast only, plus loopback when
//! the operator opts in. Addresses that carry an IPv4 address inside an IPv6 one
//! (mapped, compatible, NAT64, 6to4) are judged by the IPv4 address they lead to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a webhook destination (shown in logs and in `400` answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("loopback addresses need the operator's --webhook-allow-loopback")]
    Loopback,
    #[error("not a global unicast address ({0})")]
    NotGlobal(&'static str),
}

/// Checks that a webhook may connect to `ip`.
pub fn check(ip: IpAddr, allow_loopback: bool) -> Result<(), Refusal> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4, allow_loopback),
        IpAddr::V6(v6) => check_v6(v6, allow_loopback),
    }
}

fn check_v4(ip: Ipv4Addr, allow_loopback: bool) -> Result<(), Refusal> {
    if ip.is_loopback() {
        return if allow_loopback {
            Ok(())
        } else {
            Err(Refusal::Loopback)
        };
    }
    match v4_special_range(ip) {
        Some(range) => Err(Refusal::NotGlobal(range)),
        None => Ok(()),
    }
}

/// The IANA special-purpose IPv4 ranges that are not globally reachable unicast
/// (loopback is handled by the caller).
fn v4_special_range(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let range = match (a, b, c) {
        (0, ..) => "\"this network\" (0.0.0.0/8)",
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "shared address space (100.64.0.0/10)",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "6to4 relay anycast (192.88.99.0/24)",
        (198, 18..=19, _) => "benchmarking (198.18.0.0/15)",
        (224..=239, ..) => "multicast",
        (240..=255, ..) => "reserved (240.0.0.0/4, broadcast)",
        _ => return None,
    };
    Some(range)
}

fn check_v6(ip: Ipv6Addr, allow_loopback: bool) -> Result<(), Refusal> {
    if ip.is_loopback() {
        return if allow_loopback {
            Ok(())
        } else {
            Err(Refusal::Loopback)
        };
    }
    // An IPv4-mapped address is the IPv4 host itself, loopback included.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return check_v4(v4, allow_loopback);
    }
    // Compatible, NAT64 and 6to4 addresses lead through a translator or a tunnel to
    // the IPv4 address inside: that one must be global (never loopback: it would be
    // the translator's own).
    if let Some(v4) = embedded_v4(ip) {
        return check_v4(v4, false).map_err(|refusal| match refusal {
            Refusal::Loopback => Refusal::NotGlobal("loopback behind an IPv6 wrapper"),
            Refusal::NotGlobal(range) => Refusal::NotGlobal(range),
        });
    }
    match v6_special_range(ip) {
        Some(range) => Err(Refusal::NotGlobal(range)),
        None => Ok(()),
    }
}

/// The IPv4 address inside an IPv4-compatible (::a.b.c.d, deprecated), NAT64
/// well-known-prefix (64:ff9b::/96) or 6to4 (2002::/16) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let octets = ip.octets();
    let low = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    let segments = ip.segments();
    if segments[..6] == [0; 6] && !ip.is_unspecified() {
        return Some(low); // IPv4-compatible (:: and ::1 never get here as such)
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low);
    }
    if segments[0] == 0x2002 {
        return Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    None
}

/// Everything outside global unicast (2000::/3), and the special ranges inside it.
fn v6_special_range(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let range = if ip.is_unspecified() {
        "unspecified"
    } else if s[0] & 0xff00 == 0xff00 {
        "multicast"
    } else if s[0] & 0xfe00 == 0xfc00 {
        "unique local (fc00::/7)"
    } else if s[0] & 0xffc0 == 0xfe80 {
        "link-local (fe80::/10)"
    } else if s[0] & 0xffc0 == 0xfec0 {
        "site-local (fec0::/10)"
    } else if s[0] & 0xe000 != 0x2000 {
        // NAT64 local-use (64:ff9b:1::/48), discard-only (100::/64), SIIT
        // (::ffff:0:0:0/96) and all unassigned space.
        "non-global IPv6 (outside 2000::/3)"
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000) {
        "documentation"
    } else if s[0] == 0x2001 && s[1] < 0x0200 {
        // Teredo (2001::/32, which hides an IPv4 address), ORCHID, AMT and others.
        "IETF protocol assignments (2001::/23)"
    } else if s[0] == 0x5f00 {
        "segment routing (5f00::/16)"
    } else {
        return None;
    };
    Some(range)
}

#[cfg(test)]
mod tests {
    use super::{Refusal, check};

    /// Literal addresses only: nothing here is ever connected to.
    const REFUSED: &[&str] = &[
        "0.0.0.0",
        "0.1.2.3",
        "10.1.2.3",
        "100.64.0.1",
        "100.127.255.254",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.1",
        "192.0.0.170",
        "192.0.2.10",
        "192.88.99.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.7",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::10.0.0.1",
        "::127.0.0.1",
        "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
        "64:ff9b::7f00:1",    // NAT64 of 127.0.0.1
        "64:ff9b:1::808:808", // local-use NAT64 prefix
        "2002:0a00:0001::1",  // 6to4 of 10.0.0.1
        "2002:7f00:0001::1",  // 6to4 of 127.0.0.1
        "2002:c0a8:0101::",   // 6to4 of 192.168.1.1
        "100::1",             // discard-only
        "2001::1",            // Teredo
        "2001:db8::1",        // documentation
        "3fff:fff::1",        // documentation (RFC 9637)
        "5f00::1",            // segment routing
        "fc00::1",
        "fd00::1",
        "fe80::1",
        "febf::1",
        "fec0::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:0:a00:1", // SIIT
    ];

    const ALLOWED: &[&str] = &[
        "93.184.216.34",
        "1.1.1.1",
        "8.8.8.8",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.1",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.254",
        "::ffff:93.184.216.34",
        "64:ff9b::5db8:d822", // NAT64 of 93.184.216.34
        "2002:5db8:d822::1",  // 6to4 of 93.184.216.34
        "2606:4700::1111",
        "2a00:1450:4001::200e",
        "2001:4860:4860::8888",
        "3fff:1000::1",
    ];

    #[test]
    fn only_global_unicast_addresses_are_webhook_destinations() {
        for refused in REFUSED {
            let ip = refused.parse().unwrap();
            assert!(check(ip, false).is_err(), "{refused} must be refused");
            assert!(
                check(ip, true).is_err(),
                "{refused} must be refused even with loopback allowed"
            );
        }
        for allowed in ALLOWED {
            let ip = allowed.parse().unwrap();
            assert_eq!(check(ip, false), Ok(()), "{allowed} must be allowed");
        }
    }

    #[test]
    fn loopback_needs_the_operator_opt_in() {
        for loopback in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            let ip = loopback.parse().unwrap();
            assert_eq!(check(ip, false), Err(Refusal::Loopback), "{loopback}");
            assert_eq!(check(ip, true), Ok(()), "{loopback}");
        }
    }
}
