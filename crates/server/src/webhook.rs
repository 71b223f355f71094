//! Webhook delivery: when a request with a `webhook_url` reaches its final state,
//! the server POSTs the server-signed result envelope there (the same JSON the
//! relying party reads from the API, so the body authenticates itself). Delivery is
//! durable: due deliveries live in the database, each node claims one before
//! sending, and failures retry with growing delays.

use std::sync::Arc;
use std::time::Duration;

use crate::service::{Service, now};
use crate::store::DueWebhook;

/// Is `ip` an address a webhook may reach? Loopback is allowed (local development
/// and relying parties on the same host, as the transport rule allows); private,
/// link-local (cloud metadata), shared, unique-local and unspecified ranges are not,
/// so a relying party cannot point the server at internal services.
pub fn reachable_for_webhooks(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10
            v4.is_loopback()
                || !(v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_broadcast()
                    || v4.is_multicast()
                    || shared)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return reachable_for_webhooks(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            let unique_local = first & 0xfe00 == 0xfc00;
            let link_local = first & 0xffc0 == 0xfe80;
            v6.is_loopback()
                || !(unique_local || link_local || v6.is_unspecified() || v6.is_multicast())
        }
    }
}

/// Resolves the webhook's host and checks every address (a name may point inside).
async fn destination_allowed(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = parsed
        .host_str()
        .ok_or("no host")?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| !reachable_for_webhooks(a.ip())) {
        return Err(format!("{host} resolves to an internal address"));
    }
    Ok(())
}

/// Delays before each retry, in seconds; after the last one delivery is given up.
const RETRY_DELAYS: [i64; 7] = [2, 10, 60, 300, 1800, 3600, 21_600];

/// The delay after `attempts` failed tries, or `None` to give up.
fn retry_delay(attempts: i64) -> Option<i64> {
    usize::try_from(attempts)
        .ok()
        .and_then(|i| RETRY_DELAYS.get(i).copied())
}

/// Delivers due webhooks once a second until `stop`.
pub async fn run_webhooks(service: Arc<Service>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let http = match webhook_client() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are off: cannot build the HTTP client");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let due = match service.store.due_webhooks(now()).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read due webhooks");
                continue;
            }
        };
        for webhook in due {
            deliver(&service, &http, &webhook).await;
        }
    }
}

fn webhook_client() -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("godkend-server/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(10))
        // A relying party's webhook answers itself; following redirects would let
        // it point the server elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

async fn deliver(service: &Service, http: &reqwest::Client, webhook: &DueWebhook) {
    let retry_at = retry_delay(webhook.webhook_attempts).map(|d| now() + d);
    match service.store.claim_webhook(webhook, retry_at).await {
        Ok(true) => {}
        Ok(false) => return, // another node has it
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim a webhook");
            return;
        }
    }
    if let Err(why) = destination_allowed(&webhook.webhook_url).await {
        tracing::warn!(request = %webhook.id, %why, "webhook not sent");
        return;
    }
    // Re-signed if an older key signed it (a rotation since the request ended).
    let body = service
        .deliverable_json(&webhook.result)
        .unwrap_or_else(|_| webhook.result.clone());
    let sent = http
        .post(&webhook.webhook_url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {
            if let Err(e) = service.store.webhook_delivered(&webhook.id, now()).await {
                tracing::warn!(error = %e, "cannot record a webhook delivery");
            }
        }
        Ok(response) => {
            tracing::warn!(request = %webhook.id, status = %response.status(), retry = retry_at.is_some(), "webhook refused");
        }
        Err(e) => {
            tracing::warn!(request = %webhook.id, error = %e, retry = retry_at.is_some(), "webhook failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reachable_for_webhooks;

    #[test]
    fn internal_addresses_are_refused_for_webhooks() {
        for blocked in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(
                !reachable_for_webhooks(blocked.parse().unwrap()),
                "{blocked}"
            );
        }
        for allowed in ["127.0.0.1", "::1", "93.184.216.34", "2606:4700::1111"] {
            assert!(
                reachable_for_webhooks(allowed.parse().unwrap()),
                "{allowed}"
            );
        }
    }
}
