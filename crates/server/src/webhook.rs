//! Webhook delivery: when a request with a `webhook_url` reaches its final state,
//! the server POSTs the server-signed result envelope there (the same JSON the
//! relying party reads from the API, so the body authenticates itself). Delivery is
//! durable: due deliveries live in the database, each node claims one before
//! sending, and failures retry with growing delays.

use std::sync::Arc;
use std::time::Duration;

use crate::service::{Service, now};
use crate::store::DueWebhook;

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
    let sent = http
        .post(&webhook.webhook_url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(webhook.result.clone())
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
