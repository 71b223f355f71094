//! Where a webhook may go: the URL check when a relying party names it, and the
//! resolver that checks every address of a host name just before the client
//! connects, so the connection goes to an address that was checked (no second
//! lookup between the check and the connect).

use std::net::SocketAddr;
use std::time::Duration;

use super::address::{self, Refusal};

/// Longest wait for a host name's addresses.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a webhook URL or its destination is refused. Messages name the host, never
/// the path or query, which may carry the relying party's secret.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    #[error("not a URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("must use https (plain http is allowed only to a loopback host)")]
    Transport,
    #[error("the URL has no host")]
    NoHost,
    #[error("{host}: {refusal}")]
    Refused { host: String, refusal: Refusal },
    #[error("{host} resolves to {ip}: {refusal}")]
    ResolvesTo {
        host: String,
        ip: std::net::IpAddr,
        refusal: Refusal,
    },
    #[error("cannot resolve {host}: {reason}")]
    Unresolvable { host: String, reason: String },
    #[error("resolving {host} took longer than {} s", RESOLVE_TIMEOUT.as_secs())]
    ResolveTimeout { host: String },
}

/// Checks a webhook URL without resolving it: the scheme (https, or http on
/// loopback), and the address when the host is an IP literal or a loopback name.
/// Host names are checked when resolved, at every try.
pub fn check_url(url: &str, allow_loopback: bool) -> Result<url::Url, DestinationError> {
    let parsed = url::Url::parse(url)?;
    // The rule's own message repeats the URL, which may hold a secret: say it plainly.
    godkend_protocol::rules::check_transport(&parsed).map_err(|_| DestinationError::Transport)?;
    let refused = |refusal: Refusal| DestinationError::Refused {
        host: parsed.host_str().unwrap_or_default().to_owned(),
        refusal,
    };
    match parsed.host() {
        None => return Err(DestinationError::NoHost),
        Some(url::Host::Ipv4(ip)) => address::check(ip.into(), allow_loopback).map_err(refused)?,
        Some(url::Host::Ipv6(ip)) => address::check(ip.into(), allow_loopback).map_err(refused)?,
        Some(url::Host::Domain(name)) => {
            // RFC 6761: these names are loopback whatever a resolver says.
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !allow_loopback && (name == "localhost" || name.ends_with(".localhost")) {
                return Err(refused(Refusal::Loopback));
            }
        }
    }
    Ok(parsed)
}

/// Resolves `host` within [`RESOLVE_TIMEOUT`] and checks every address: one address
/// the webhook may not reach refuses the host (a name that points inside, even
/// among public addresses, is refused rather than filtered).
pub async fn resolve_checked(
    host: &str,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, DestinationError> {
    let lookup = tokio::net::lookup_host((host, 0));
    let found = tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
        .await
        .map_err(|_| DestinationError::ResolveTimeout {
            host: host.to_owned(),
        })?
        .map_err(|e| DestinationError::Unresolvable {
            host: host.to_owned(),
            reason: e.to_string(),
        })?;
    let addrs: Vec<SocketAddr> = found.collect();
    if addrs.is_empty() {
        return Err(DestinationError::Unresolvable {
            host: host.to_owned(),
            reason: "no addresses".into(),
        });
    }
    for addr in &addrs {
        address::check(addr.ip(), allow_loopback).map_err(|refusal| {
            DestinationError::ResolvesTo {
                host: host.to_owned(),
                ip: addr.ip(),
                refusal,
            }
        })?;
    }
    Ok(addrs)
}

/// The webhook client's resolver: the client connects only to the addresses this
/// returns, and it returns only checked ones. (IP literals never reach a resolver;
/// [`check_url`] judges them before every try.)
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    pub allow_loopback: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolve_checked(&host, allow_loopback).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{DestinationError, check_url, resolve_checked};

    #[test]
    fn webhook_urls_are_checked_before_any_lookup() {
        for refused in [
            "http://rp.example.com/hook",   // plain http off loopback
            "ftp://rp.example.com/hook",    // not http(s)
            "https://10.0.0.8/hook",        // private literal
            "https://169.254.169.254/meta", // cloud metadata
            "https://[fd00::1]/hook",
            "https://[64:ff9b::a00:1]/hook", // NAT64 of 10.0.0.1
            "https://[2002:a00:1::1]/hook",  // 6to4 of 10.0.0.1
            "https://[::ffff:192.168.0.1]/hook",
            "https://0.0.0.0/hook",
            "https://198.18.0.1/hook",
            "https://240.0.0.1/hook",
        ] {
            assert!(check_url(refused, true).is_err(), "{refused}");
        }
        for loopback in [
            "http://127.0.0.1:8080/hook",
            "https://[::1]/hook",
            "http://localhost/hook",
            "https://api.localhost./hook",
        ] {
            assert!(
                matches!(
                    check_url(loopback, false),
                    Err(DestinationError::Refused { .. })
                ),
                "{loopback} needs the opt-in"
            );
            assert!(check_url(loopback, true).is_ok(), "{loopback}");
        }
        // A name is judged when it is resolved, at delivery.
        assert!(check_url("https://rp.example.com/hook", false).is_ok());
    }

    #[test]
    fn a_refusal_names_the_host_but_not_the_path_or_query() {
        let why = check_url("https://10.0.0.8/hook?token=s3cret", false)
            .unwrap_err()
            .to_string();
        assert!(why.contains("10.0.0.8"), "{why}");
        assert!(!why.contains("s3cret"), "{why}");
    }

    #[tokio::test]
    async fn a_name_is_judged_by_every_address_it_resolves_to() {
        // localhost comes from the hosts file: no query leaves the machine.
        let refused = resolve_checked("localhost", false).await.unwrap_err();
        assert!(
            matches!(refused, DestinationError::ResolvesTo { .. }),
            "{refused}"
        );
        let addrs = resolve_checked("localhost", true).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
