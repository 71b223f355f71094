//! The network edge: how long a client may take to send a request, how many
//! connections a client and the node may hold, which peers are trusted proxies, and
//! the file-descriptor limit those connections count against.

pub mod body_deadline;
pub mod client_addr;
pub mod connection_cap;
pub mod fd_limit;
pub mod http_server;

use std::time::Duration;

use clap::Args;
use ipnet::IpNet;

pub use client_addr::TrustedProxies;

/// The serve options that bound connections (README, "Server operation").
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Longest time a client may take to send a request's headers, and longest idle
    /// time between requests on a kept-alive connection (e.g. 30s).
    #[arg(long, env = "GODKEND_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,
    /// Longest time a client may take to send a request's body once its headers
    /// arrived. Event streams and long polls send no body and are not limited.
    #[arg(long, env = "GODKEND_BODY_READ_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub body_read_timeout: Duration,
    /// Most open connections on this node (each connected device holds one); lowered
    /// at start to what the file-descriptor limit allows.
    #[arg(long, env = "GODKEND_MAX_CONNECTIONS", default_value_t = 16_384)]
    pub max_connections: usize,
    /// Most open connections from one client address (IPv6: one /64). Trusted
    /// proxies are exempt; behind one, the proxy's own limit (nginx `limit_conn`) applies.
    #[arg(
        long,
        env = "GODKEND_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 256
    )]
    pub max_connections_per_client: usize,
    /// A reverse proxy's address or network (CIDR), repeatable: from these peers the
    /// client address is taken from `X-Forwarded-For`, and they are exempt from the
    /// per-client connection cap.
    #[arg(long = "trusted-proxy", env = "GODKEND_TRUSTED_PROXIES", value_delimiter = ',', value_name = "CIDR", value_parser = parse_net)]
    pub trusted_proxies: Vec<IpNet>,
    /// Most event streams one device may hold open on this node; a further one
    /// closes the oldest.
    #[arg(long, env = "GODKEND_MAX_STREAMS_PER_DEVICE", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_streams_per_device: u16,
}

/// A CIDR network, or a single address.
fn parse_net(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is not an address or a CIDR network like 10.0.0.0/8"))
}

/// What request handlers need from these options.
#[derive(Debug, Clone)]
pub struct NetPolicy {
    pub trusted_proxies: TrustedProxies,
    pub body_read_timeout: Duration,
    pub max_streams_per_device: usize,
}

impl Default for NetPolicy {
    fn default() -> Self {
        NetPolicy {
            trusted_proxies: TrustedProxies::default(),
            body_read_timeout: Duration::from_secs(30),
            max_streams_per_device: 4,
        }
    }
}

impl NetArgs {
    pub fn policy(&self) -> NetPolicy {
        NetPolicy {
            trusted_proxies: TrustedProxies::new(self.trusted_proxies.clone()),
            body_read_timeout: self.body_read_timeout,
            max_streams_per_device: usize::from(self.max_streams_per_device),
        }
    }
}
