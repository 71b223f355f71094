//! Keeping the push connection up: the event stream with heartbeat detection,
//! jittered exponential reconnects with `Last-Event-ID` resume, a polling fallback
//! when streams keep failing while plain requests work, and an immediate reconnect
//! on demand (sleep/resume, network change). The app watches the connection state.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use godkend_protocol::messages::event::HEARTBEAT_SECONDS;
use rand::RngExt as _;
use tokio::sync::{Notify, mpsc};

use crate::CoreError;
use crate::client::DeviceClient;
use crate::push::PushEvent;
use crate::push::VerifiedRequest;

/// What the tray icon and home screen show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    /// The event stream is open.
    Connected,
    /// Streams fail but requests work (a proxy that buffers or blocks SSE): polling.
    Polling,
    /// The server cannot be reached; the next try is in `retry_in`.
    Offline {
        reason: String,
        retry_in: Duration,
    },
}

/// Updates for the app.
#[derive(Debug, Clone)]
pub enum PushUpdate {
    State(ConnectionState),
    /// A verified event (boxed: a request with its envelope is large).
    Event(Box<PushEvent>),
    /// A request seen by polling (the stream's `RequestCreated` equivalent).
    Polled(Vec<VerifiedRequest>),
    /// Something arrived that failed verification and was dropped.
    SecurityWarning(String),
}

/// Tuning; the defaults follow the protocol's 15 s heartbeat.
#[derive(Debug, Clone)]
pub struct ConnectionPolicy {
    /// No event or heartbeat for this long means the stream is dead.
    pub heartbeat_timeout: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Consecutive stream failures (with the server reachable) before polling.
    pub failures_before_polling: u32,
    pub poll_interval: Duration,
    /// While polling, how often to try the stream again.
    pub stream_retry_interval: Duration,
}

impl Default for ConnectionPolicy {
    fn default() -> Self {
        ConnectionPolicy {
            heartbeat_timeout: Duration::from_secs(2 * HEARTBEAT_SECONDS + 5),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_mins(1),
            failures_before_polling: 3,
            poll_interval: Duration::from_secs(10),
            stream_retry_interval: Duration::from_mins(2),
        }
    }
}

/// Exponential backoff with full jitter in [d/2, d].
fn backoff(policy: &ConnectionPolicy, attempt: u32) -> Duration {
    let base = policy
        .min_backoff
        .saturating_mul(1 << attempt.min(16))
        .min(policy.max_backoff);
    let half = base / 2;
    half + Duration::from_millis(
        rand::rng().random_range(0..=u64::try_from(half.as_millis()).unwrap_or(0)),
    )
}

/// How one stream session ended.
enum Ended {
    /// The device was revoked or blocked: stop for good.
    Device,
    /// The app is gone.
    Closed,
    /// The stream broke after it was up, or the app asked for a reconnect (worth an
    /// immediate retry).
    Dropped,
    /// It could not be opened or died before any event.
    Failed(CoreError),
}

/// Runs until the device ends or the receiver is dropped. `wake` forces an
/// immediate reconnect (call `notify_one` after resume or a network change).
pub async fn run(
    client: Arc<DeviceClient>,
    policy: ConnectionPolicy,
    updates: mpsc::Sender<PushUpdate>,
    wake: Arc<Notify>,
) {
    let mut last_id: Option<i64> = None;
    let mut failures: u32 = 0;
    loop {
        if send(&updates, PushUpdate::State(ConnectionState::Connecting))
            .await
            .is_err()
        {
            return;
        }
        // A wake drops the stream at once: after a sleep its TCP connection is
        // usually dead without a word, and the heartbeat timeout would take half
        // a minute to notice.
        let session = tokio::select! {
            ended = stream_session(&client, &policy, &updates, &mut last_id) => ended,
            () = wake.notified() => {
                tracing::info!("reconnecting at once (resume or network change)");
                Ended::Dropped
            }
        };
        match session {
            Ended::Device | Ended::Closed => return,
            Ended::Dropped => failures = 0,
            Ended::Failed(error) => {
                failures += 1;
                let reachable = client.pending().await;
                let state = match (&reachable, failures >= policy.failures_before_polling) {
                    (Ok(_), true) => ConnectionState::Polling,
                    _ => ConnectionState::Offline {
                        reason: error.to_string(),
                        retry_in: backoff(&policy, failures),
                    },
                };
                if state == ConnectionState::Polling {
                    if poll_for_a_while(&client, &policy, &updates, &wake)
                        .await
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
                if let Ok(requests) = reachable
                    && send(&updates, PushUpdate::Polled(requests)).await.is_err()
                {
                    return;
                }
                let ConnectionState::Offline { retry_in, .. } = &state else {
                    unreachable!()
                };
                let delay = *retry_in;
                if send(&updates, PushUpdate::State(state)).await.is_err() {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = wake.notified() => { failures = 0; }
                }
            }
        }
    }
}

async fn send(updates: &mpsc::Sender<PushUpdate>, update: PushUpdate) -> Result<(), ()> {
    updates.send(update).await.map_err(|_| ())
}

async fn stream_session(
    client: &DeviceClient,
    policy: &ConnectionPolicy,
    updates: &mpsc::Sender<PushUpdate>,
    last_id: &mut Option<i64>,
) -> Ended {
    // Each connection starts from the signed server info: it follows a key rotation
    // (a restart after `key rotate` drops the stream) and sets the clock offset.
    if let Err(e) = client.server.server_info().await {
        if matches!(e, CoreError::BadServerSignature(_)) {
            tracing::warn!(error = %e, "the server info does not verify from the pinned key");
        }
        return Ended::Failed(e);
    }
    let stream = match client.events(*last_id).await {
        Ok(stream) => stream,
        Err(e) => {
            // Revoked or blocked while the app was not connected: the refusal carries
            // the signed status, which ends the device like the event would.
            if let Some(ended) = signed_end(client, &e) {
                return match send(updates, PushUpdate::Event(Box::new(ended))).await {
                    Ok(()) => Ended::Device,
                    Err(()) => Ended::Closed,
                };
            }
            return Ended::Failed(e);
        }
    };
    let mut stream = Box::pin(stream);
    let mut seen_any = false;
    // The last thing on this stream failed verification (or was not UTF-8 at all):
    // when the stream then ends, it is a failure with back-off, not a drop to resume
    // at once, so a server that keeps sending it is not asked again in a tight loop.
    // A verified event after it clears it: a server restart hours after one event
    // this version could not read is an ordinary drop.
    let mut refused_last = false;
    loop {
        let next = tokio::time::timeout(policy.heartbeat_timeout, stream.next()).await;
        let item = match next {
            Err(_) => {
                return if seen_any {
                    Ended::Dropped
                } else {
                    Ended::Failed(CoreError::Offline("no heartbeat from the server".into()))
                };
            }
            Ok(None) => {
                return if seen_any && !refused_last {
                    Ended::Dropped
                } else {
                    Ended::Failed(CoreError::Offline("the event stream closed".into()))
                };
            }
            Ok(Some(item)) => item,
        };
        match item {
            Ok(received) => {
                refused_last = false;
                if !seen_any {
                    seen_any = true;
                    if send(updates, PushUpdate::State(ConnectionState::Connected))
                        .await
                        .is_err()
                    {
                        return Ended::Closed;
                    }
                }
                let ended = matches!(received.event, PushEvent::Ended(..));
                if send(updates, PushUpdate::Event(Box::new(received.event)))
                    .await
                    .is_err()
                {
                    return Ended::Closed;
                }
                // Only once it was handed on: a wake may drop this session while the
                // send waits, and the resumed stream must then replay the event.
                if received.id.is_some() {
                    *last_id = received.id;
                }
                if ended {
                    return Ended::Device;
                }
            }
            Err(CoreError::Offline(reason)) => {
                return if seen_any {
                    Ended::Dropped
                } else {
                    Ended::Failed(CoreError::Offline(reason))
                };
            }
            Err(other) => {
                refused_last = true;
                if send(updates, PushUpdate::SecurityWarning(other.to_string()))
                    .await
                    .is_err()
                {
                    return Ended::Closed;
                }
            }
        }
    }
}

/// The verified end of this device, if `error` is the server refusing it with a
/// signed revoked/blocked status. Unsigned refusals end nothing.
fn signed_end(client: &DeviceClient, error: &CoreError) -> Option<PushEvent> {
    let envelope = error.problem()?.device_status.clone()?;
    let status = client.signed_end(&envelope)?;
    Some(PushEvent::Ended(status, envelope))
}

/// Polls pending requests until it is time to try the stream again.
async fn poll_for_a_while(
    client: &DeviceClient,
    policy: &ConnectionPolicy,
    updates: &mpsc::Sender<PushUpdate>,
    wake: &Notify,
) -> Result<(), ()> {
    send(updates, PushUpdate::State(ConnectionState::Polling)).await?;
    let until = tokio::time::Instant::now() + policy.stream_retry_interval;
    while tokio::time::Instant::now() < until {
        if let Ok(requests) = client.pending().await {
            send(updates, PushUpdate::Polled(requests)).await?;
        }
        tokio::select! {
            () = tokio::time::sleep(policy.poll_interval) => {}
            () = wake.notified() => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_stays_capped() {
        let policy = ConnectionPolicy::default();
        for attempt in 0..20 {
            let d = backoff(&policy, attempt);
            let base = policy
                .min_backoff
                .saturating_mul(1 << attempt.min(16))
                .min(policy.max_backoff);
            assert!(
                d >= base / 2 && d <= base,
                "attempt {attempt}: {d:?} outside [{:?}, {base:?}]",
                base / 2
            );
        }
        assert!(backoff(&policy, 30) <= policy.max_backoff);
    }
}
