//! One delivery: claim it in the database (so one node sends it), send it with the
//! timeouts, and record the outcome with the retry schedule.

use std::sync::Arc;
use std::time::Duration;

use super::destination::{self, CheckedResolver, DestinationError};
use super::dispatch::Slot;
use super::settings::WebhookSettings;
use crate::service::{Service, now};
use crate::store::DueWebhook;

/// Longest wait for the TCP and TLS connection (name resolution included).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest a whole try may take, from name resolution to the answer's status.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim keeps other nodes off a delivery: well beyond one try, so a
/// try is never sent twice at once, and allowing for clocks a little apart.
const CLAIM_SECONDS: i64 = 60;

/// Delays before each retry, in seconds, counted from the end of the failed try;
/// after the last one delivery is given up.
const RETRY_DELAYS: [i64; 7] = [2, 10, 60, 300, 1800, 3600, 21_600];

/// The delay after `attempts` failed tries, or `None` to give up.
fn retry_delay(attempts: i64) -> Option<i64> {
    usize::try_from(attempts)
        .ok()
        .and_then(|i| RETRY_DELAYS.get(i).copied())
}

/// Why one try failed.
#[derive(Debug, thiserror::Error)]
enum TryError {
    #[error(transparent)]
    Destination(#[from] DestinationError),
    #[error("{}", error_chain(.0))]
    Http(reqwest::Error),
    #[error("the endpoint answered {0}")]
    Status(reqwest::StatusCode),
    #[error("no answer within {} s", TOTAL_TIMEOUT.as_secs())]
    Timeout,
}

/// An error with its causes, e.g. "error sending request: client error (Connect):
/// resolving rp.example took longer than 5 s". The URL is stripped first.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Sends webhooks: directly to checked addresses, or through the operator's proxy.
#[derive(Debug)]
pub struct WebhookClient {
    http: reqwest::Client,
    allow_loopback: bool,
    via_proxy: bool,
}

impl WebhookClient {
    pub fn new(settings: &WebhookSettings) -> Result<Self, reqwest::Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = reqwest::Client::builder()
            .user_agent(concat!("godkend-server/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            // A relying party's webhook answers itself; following redirects would let
            // it point the server elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        let builder = match &settings.proxy {
            // The proxy connects; the server's own check below is advisory, and the
            // proxy's egress rules are the operator's.
            Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.0.as_str())?),
            // No proxy from the environment: it would connect to addresses nobody
            // checked. The resolver returns only addresses a webhook may reach.
            None => builder.no_proxy().dns_resolver(CheckedResolver {
                allow_loopback: settings.allow_loopback,
            }),
        };
        Ok(WebhookClient {
            http: builder.build()?,
            allow_loopback: settings.allow_loopback,
            via_proxy: settings.proxy.is_some(),
        })
    }

    /// One try; `Ok` when the endpoint answered 2xx.
    async fn send(&self, url: &str, body: String) -> Result<(), TryError> {
        // Checked again at every try: the operator's settings may have changed, and
        // IP literals never pass through the resolver.
        let url = destination::check_url(url, self.allow_loopback)?;
        if self.via_proxy
            && let Some(url::Host::Domain(name)) = url.host()
        {
            destination::resolve_checked(name, self.allow_loopback).await?;
        }
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| TryError::Http(e.without_url()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(TryError::Status(response.status()))
        }
    }
}

/// Delivers `webhook` once (if this node wins the claim), then frees its slot and
/// wakes the dispatcher.
pub async fn deliver(
    service: Arc<Service>,
    client: Arc<WebhookClient>,
    webhook: DueWebhook,
    slot: Slot,
    finished: Arc<tokio::sync::Notify>,
) {
    try_once(&service, &client, &webhook).await;
    drop(slot);
    finished.notify_one();
}

async fn try_once(service: &Service, client: &WebhookClient, webhook: &DueWebhook) {
    let claimed_until = now() + CLAIM_SECONDS;
    match service.store.claim_webhook(webhook, claimed_until).await {
        Ok(true) => {}
        Ok(false) => return, // another node has it
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim a webhook");
            return;
        }
    }
    // Only a node that died in the middle of the last try leaves one more due.
    if usize::try_from(webhook.webhook_attempts).map_or(true, |n| n > RETRY_DELAYS.len()) {
        tracing::warn!(request = %webhook.id, rp = %webhook.rp_id, "webhook given up");
        release(service, webhook, claimed_until, None).await;
        return;
    }
    // Re-signed if an older key signed it (a rotation since the request ended).
    let body = service
        .deliverable_json(&webhook.result)
        .unwrap_or_else(|_| webhook.result.clone());
    let sent = tokio::time::timeout(TOTAL_TIMEOUT, client.send(&webhook.webhook_url, body))
        .await
        .unwrap_or(Err(TryError::Timeout));
    match sent {
        Ok(()) => {
            if let Err(e) = service.store.webhook_delivered(&webhook.id, now()).await {
                tracing::warn!(error = %e, "cannot record a webhook delivery");
            }
        }
        Err(why) => {
            let retry_at = retry_delay(webhook.webhook_attempts).map(|d| now() + d);
            let host = url::Url::parse(&webhook.webhook_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            // Recorded first, so the log line means the retry is already scheduled.
            release(service, webhook, claimed_until, retry_at).await;
            tracing::warn!(
                request = %webhook.id, rp = %webhook.rp_id, %host, %why,
                retry = retry_at.is_some(), "webhook not delivered"
            );
        }
    }
}

/// Hands a failed delivery back: due again at `retry_at`, or never. Only while
/// this node's claim holds, so a slow node cannot undo another node's newer claim.
async fn release(
    service: &Service,
    webhook: &DueWebhook,
    claimed_until: i64,
    retry_at: Option<i64>,
) {
    let released = service
        .store
        .release_webhook(&webhook.id, claimed_until, retry_at)
        .await;
    if let Err(e) = released {
        tracing::warn!(error = %e, "cannot record a failed webhook");
    }
}

#[cfg(test)]
mod tests {
    use super::{RETRY_DELAYS, WebhookClient, retry_delay};
    use crate::webhook::WebhookSettings;

    #[test]
    fn eight_tries_then_give_up() {
        let delays: Vec<_> = (0..10).map_while(retry_delay).collect();
        assert_eq!(delays, RETRY_DELAYS);
        assert_eq!(retry_delay(7), None);
    }

    #[tokio::test]
    async fn the_client_connects_only_to_addresses_its_resolver_checked() {
        // Straight through the HTTP client, past the URL check: the resolver itself
        // refuses, so nothing is sent (and port 1 has no listener anyway).
        let client = WebhookClient::new(&WebhookSettings::default()).unwrap();
        let error = client
            .http
            .post("http://localhost:1/hook")
            .send()
            .await
            .unwrap_err();
        let why = super::error_chain(&error);
        assert!(why.contains("localhost resolves to"), "{why}");
    }
}
