//! Webhook delivery: when a request with a `webhook_url` reaches its final state,
//! the server POSTs the server-signed result envelope there (the same JSON the
//! relying party reads from the API, so the body authenticates itself). Delivery is
//! durable: due deliveries live in the database, each node claims one before
//! sending, and failures retry with growing delays. Deliveries run side by side,
//! capped per relying party and per destination, and go only to global unicast
//! addresses (loopback when the operator allows it) that were checked right before
//! connecting.

mod address;
mod delivery;
mod destination;
mod dispatch;
mod settings;

use std::sync::Arc;
use std::time::Duration;

pub use destination::{DestinationError, check_url};
pub use settings::{Limits, ProxyUrl, WebhookArgs, WebhookSettings};

use crate::service::{Service, now};

/// How far down each relying party's due list one look goes: enough to find work
/// for free slots when its first deliveries wait on a busy destination.
const LOOKAHEAD_PER_RP: i64 = 16;
/// Most due deliveries read in one look.
const LOOKAHEAD_TOTAL: i64 = 256;

/// Delivers due webhooks until `stop`: looks every second, and as soon as a
/// delivery ends (a slot is free). Tries still in flight at `stop` are dropped; their
/// claims lapse and they are tried again (by another node, or after a restart).
pub async fn run_webhooks(service: Arc<Service>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let settings = &service.settings.webhooks;
    let client = match delivery::WebhookClient::new(settings) {
        Ok(client) => Arc::new(client),
        Err(e) => {
            tracing::error!(error = %e, "webhooks are off: cannot build the HTTP client");
            return;
        }
    };
    tracing::info!(
        allow_loopback = settings.allow_loopback,
        proxy = ?settings.proxy,
        concurrency = settings.limits.total,
        per_rp = settings.limits.per_rp,
        per_destination = settings.limits.per_destination,
        "webhook delivery ready"
    );
    let in_flight = dispatch::InFlight::new(settings.limits);
    let finished = Arc::new(tokio::sync::Notify::new());
    let mut deliveries = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = finished.notified() => {}
            _ = stop.changed() => break,
        }
        while deliveries.try_join_next().is_some() {}
        if in_flight.is_full() {
            continue;
        }
        let due = service
            .store
            .due_webhooks(now(), LOOKAHEAD_PER_RP, LOOKAHEAD_TOTAL)
            .await;
        let due = match due {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read due webhooks");
                continue;
            }
        };
        for webhook in due {
            let destination = dispatch::destination_of(&webhook.webhook_url);
            let Some(slot) = in_flight.try_start(&webhook.id, &webhook.rp_id, &destination) else {
                continue;
            };
            deliveries.spawn(delivery::deliver(
                service.clone(),
                client.clone(),
                webhook,
                slot,
                finished.clone(),
            ));
        }
    }
    deliveries.shutdown().await;
}
