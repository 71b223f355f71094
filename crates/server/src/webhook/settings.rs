//! The operator's webhook settings: loopback opt-in, an optional egress proxy, and
//! how many deliveries may run at once.

use clap::Args;

/// Webhook options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Let webhooks reach loopback addresses (127.0.0.0/8, ::1, localhost): for
    /// development and for relying parties on the server's own host. Off by default,
    /// so a relying party cannot reach services that listen only on loopback.
    #[arg(long)]
    pub webhook_allow_loopback: bool,
    /// Send webhooks through this HTTP(S) proxy (e.g. an egress proxy with its own
    /// allow-list). Without it webhooks connect directly and ignore the
    /// HTTP_PROXY/HTTPS_PROXY/ALL_PROXY environment.
    #[arg(long, env = "GODKEND_WEBHOOK_PROXY", hide_env_values = true, value_parser = ProxyUrl::parse)]
    pub webhook_proxy: Option<ProxyUrl>,
    /// Most webhook deliveries in flight on this node.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub webhook_concurrency: u16,
    /// Most webhook deliveries in flight on this node for one relying party.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub webhook_per_rp: u16,
    /// Most webhook deliveries in flight on this node to one host and port.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub webhook_per_destination: u16,
}

impl WebhookArgs {
    /// The settings these options give.
    pub fn settings(&self) -> WebhookSettings {
        WebhookSettings {
            allow_loopback: self.webhook_allow_loopback,
            proxy: self.webhook_proxy.clone(),
            limits: Limits {
                total: self.webhook_concurrency.into(),
                per_rp: self.webhook_per_rp.into(),
                per_destination: self.webhook_per_destination.into(),
            },
        }
    }
}

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Loopback destinations are allowed (operator opt-in).
    pub allow_loopback: bool,
    /// Egress proxy for webhooks (operator opt-in); `None` connects directly.
    pub proxy: Option<ProxyUrl>,
    pub limits: Limits,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_loopback: false,
            proxy: None,
            limits: Limits {
                total: 32,
                per_rp: 4,
                per_destination: 2,
            },
        }
    }
}

/// Caps on deliveries in flight on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub total: usize,
    pub per_rp: usize,
    pub per_destination: usize,
}

/// A proxy URL. It may carry credentials, so its `Debug` shows only where it goes.
#[derive(Clone)]
pub struct ProxyUrl(pub url::Url);

impl ProxyUrl {
    fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
        match url.scheme() {
            "http" | "https" if url.host().is_some() => Ok(ProxyUrl(url)),
            _ => Err("the webhook proxy must be an http:// or https:// URL with a host".into()),
        }
    }
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = &self.0;
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => write!(f, "{}://{host}:{port}", url.scheme()),
            None => write!(f, "{}://{host}", url.scheme()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProxyUrl;

    #[test]
    fn a_proxy_url_debug_print_hides_its_credentials() {
        let proxy = ProxyUrl::parse("http://user:s3cret@proxy.internal:3128/").unwrap();
        let shown = format!("{proxy:?}");
        assert_eq!(shown, "http://proxy.internal:3128");
        assert!(ProxyUrl::parse("socks5://proxy.internal:1080").is_err());
    }
}
