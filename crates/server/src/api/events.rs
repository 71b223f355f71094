//! `GET /v1/device/events`: the signed push stream (Server-Sent Events).
//!
//! A fresh connection gets the pending requests, then a heartbeat whose id is the
//! device's newest event id (its resume point). A connection with `Last-Event-ID`
//! gets the stored events after that id. Then live events and a signed heartbeat
//! every 15 s. A `device_status` event (revoked/blocked) ends the stream.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use godkend_protocol::Problem;
use godkend_protocol::messages::event::HEARTBEAT_SECONDS;
use godkend_protocol::messages::{EventKind, Heartbeat};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;

use super::device_auth::DeviceCall;
use super::error::ApiResult;
use crate::service::{ServiceError, SharedService, now};
use crate::store::{DeviceRow, EventRow};

/// One event of the stream, as an SSE parser hands it over (PROTOCOL.md §6). The
/// document describes the `text/event-stream` answer by this schema of one event, as
/// OpenAPI 3.2's `itemSchema` does (before 3.2, `schema` is read that way).
#[derive(Debug, utoipa::ToSchema)]
pub struct StreamEvent {
    /// The kind, which names the payload type of `data`.
    pub event: EventKind,
    /// The event id, a decimal integer: the resume point for `Last-Event-ID`. Absent
    /// on the pending requests sent first and on heartbeats after the first.
    #[schema(pattern = "^[0-9]+$")]
    pub id: Option<String>,
    /// A server-signed `Envelope` as compact JSON, on one line.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

/// The signed push stream
///
/// Server-Sent Events (PROTOCOL.md §6). Every event has `event:` (the kind, see
/// `EventKind`), `id:` (an opaque resume point) and one `data:` line holding a
/// server-signed `Envelope` as compact JSON:
///
/// | `event` | `data` envelope payload |
/// |---|---|
/// | `request_created` | `approval_request` (`ApprovalRequest`) |
/// | `request_closed` | `request_closed` (`RequestClosed`) |
/// | `device_status` | `device_status` (`DeviceStatus`): revoked or blocked; the stream ends |
/// | `policy` | `server_info` (`ServerInfo`): new version policy or support details |
/// | `heartbeat` | `heartbeat` (`Heartbeat`), every 15 s |
///
/// Without `Last-Event-ID` the stream starts with the pending requests as
/// `request_created` events (without `id`), then a heartbeat whose `id` is the
/// device's resume point; with it, the stored events after that id come first. SSE
/// comment lines keep idle connections open. A device may hold a few streams per node
/// (`--max-streams-per-device`, default 4); one more ends the oldest.
#[utoipa::path(
    get,
    path = "/v1/device/events",
    operation_id = "device_events",
    tag = "device",
    security(("device_signature" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The last event `id` the device saw; the stream resumes after it.")),
    responses(
        (status = 200, description = "A `text/event-stream` of server-signed envelopes (see the operation description); the schema is that of one event.", body = StreamEvent, content_type = "text/event-stream",
            example = json!({"event": "heartbeat", "id": "42", "data": "{\"payload\":{\"device_id\":\"dev-5c1f0e7a\",\"iat\":1767225615,\"type\":\"heartbeat\",\"v\":1},\"signatures\":[{\"alg\":\"ed25519\",\"kid\":\"NHUPmL1Z_PyUbaRa\",\"sig\":\"...\"}]}"})),
        (status = 401, description = super::device::DEVICE_401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = super::device::DEVICE_403, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn events(
    State(service): State<SharedService>,
    headers: HeaderMap,
    call: DeviceCall,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let device = call.active(&service)?.clone();
    let resume_from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let live = service.hub.subscribe(&device.id);
    service
        .store
        .touch_device(&device.id, now())
        .await
        .map_err(ServiceError::from)?;
    let (tx, rx) = mpsc::channel::<Event>(32);
    let ticket = service
        .hub
        .streams
        .open(&device.id, service.settings.net.max_streams_per_device);
    tokio::spawn(async move {
        tokio::select! {
            result = stream_device(&service, &device, resume_from, live, &tx) => {
                if let Err(e) = result {
                    tracing::warn!(error = %e, device = %device.id, "event stream ended with an error");
                }
            }
            // Over the per-device cap: this, the oldest, ends; dropping `tx` closes it.
            () = ticket.superseded() => {}
        }
    });
    let stream = ReceiverStream::new(rx).map(Ok);
    // Comment keep-alives keep proxies from closing an idle connection between heartbeats.
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(30))))
}

/// The SSE event for a stored row, signed by the current key (stored events may
/// predate a key rotation). A row that cannot be re-signed is skipped and logged.
fn sse_event(service: &SharedService, row: &EventRow) -> Option<Event> {
    match service.deliverable_json(&row.data) {
        Ok(data) => Some(
            Event::default()
                .event(row.kind.clone())
                .id(row.id.to_string())
                .data(data),
        ),
        Err(e) => {
            tracing::warn!(error = %e, event = row.id, "skipped a stored event that no key of this server signed");
            None
        }
    }
}

async fn stream_device(
    service: &SharedService,
    device: &DeviceRow,
    resume_from: Option<i64>,
    mut live: broadcast::Receiver<std::sync::Arc<EventRow>>,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ServiceError> {
    let mut sent: HashSet<i64> = HashSet::new();
    let mut last = if let Some(after) = resume_from {
        {
            let mut last = after;
            for row in service.store.events_after(&device.id, after).await? {
                last = last.max(row.id);
                sent.insert(row.id);
                if let Some(event) = sse_event(service, &row)
                    && tx.send(event).await.is_err()
                {
                    return Ok(());
                }
            }
            last
        }
    } else {
        {
            let last = service.store.last_event_id_for(&device.id).await?;
            for envelope in service.pending_for_device(device).await? {
                let event = Event::default()
                    .event(EventKind::RequestCreated.as_str())
                    .data(envelope.to_json()?);
                if tx.send(event).await.is_err() {
                    return Ok(());
                }
            }
            last
        }
    };
    send_heartbeat(service, device, Some(last), tx).await?;

    let mut shutdown = service.shutdown.subscribe();
    let mut heartbeat = heartbeat_timer();
    loop {
        let row = tokio::select! {
            received = live.recv() => match received {
                Ok(row) => vec![(*row).clone()],
                // Fell behind: read what was missed from the log.
                Err(broadcast::error::RecvError::Lagged(_)) => service.store.events_after(&device.id, last).await?,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
            _ = heartbeat.tick() => {
                send_heartbeat(service, device, None, tx).await?;
                continue;
            }
            _ = shutdown.changed() => return Ok(()),
            () = tx.closed() => return Ok(()),
        };
        for row in row {
            if row.id <= resume_from.unwrap_or(i64::MIN) || !sent.insert(row.id) {
                continue;
            }
            last = last.max(row.id);
            if let Some(event) = sse_event(service, &row)
                && tx.send(event).await.is_err()
            {
                return Ok(());
            }
            if row.kind == EventKind::DeviceStatus.as_str() {
                return Ok(());
            }
        }
        if sent.len() > 4096 {
            sent.retain(|id| *id > last - 1024);
        }
    }
}

/// Heartbeats are due on shared slots, every 100 ms since the first stream's timer.
/// With a timer of its own per stream, 10,000 idle streams woke the runtime 667
/// times a second, and those wake-ups, not the signatures, were most of the idle
/// server's CPU (BENCHMARKS.md); on slots the streams due together are handled in
/// one wake-up. A beat moves by less than 100 ms, far inside the 35 s the app
/// waits for one before it treats the stream as lost.
fn heartbeat_timer() -> tokio::time::Interval {
    static ORIGIN: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
    let origin = *ORIGIN.get_or_init(tokio::time::Instant::now);
    let period = Duration::from_secs(HEARTBEAT_SECONDS);
    let first = on_slot(origin, tokio::time::Instant::now() + period);
    tokio::time::interval_at(first, period)
}

/// Width of the slots heartbeats share.
const HEARTBEAT_SLOT: Duration = Duration::from_millis(100);

/// The first slot boundary (`origin` + a whole number of slots) at or after `due`;
/// `due` itself when it lies before `origin` (a clock paused in a test) or past
/// the slots' range.
fn on_slot(origin: tokio::time::Instant, due: tokio::time::Instant) -> tokio::time::Instant {
    let Some(since) = due.checked_duration_since(origin) else {
        return due;
    };
    let slots = since.as_nanos().div_ceil(HEARTBEAT_SLOT.as_nanos());
    u32::try_from(slots).map_or(due, |n| origin + HEARTBEAT_SLOT * n)
}

async fn send_heartbeat(
    service: &SharedService,
    device: &DeviceRow,
    id: Option<i64>,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ServiceError> {
    let beat = Heartbeat {
        iat: now(),
        device_id: device.id.clone(),
    };
    let mut event = Event::default()
        .event(EventKind::Heartbeat.as_str())
        .data(service.seal(&beat)?.to_json()?);
    if let Some(id) = id {
        event = event.id(id.to_string());
    }
    let _ = tx.send(event).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::{HEARTBEAT_SLOT, on_slot};

    #[test]
    fn heartbeats_due_within_one_slot_share_its_end_and_are_never_early() {
        let origin = Instant::now();
        let due = |ms| origin + Duration::from_millis(ms);
        // Streams that opened at different moments inside one slot beat together.
        assert_eq!(on_slot(origin, due(15_001)), due(15_100));
        assert_eq!(on_slot(origin, due(15_099)), due(15_100));
        assert_eq!(on_slot(origin, due(15_100)), due(15_100));
        assert_eq!(on_slot(origin, due(15_101)), due(15_200));
        for ms in [1, 99, 12_345, 86_400_017] {
            let slot = on_slot(origin, due(ms));
            assert!(slot >= due(ms), "never before it is due");
            assert!(slot - due(ms) < HEARTBEAT_SLOT, "late by less than a slot");
        }
    }

    #[test]
    fn a_due_time_before_the_origin_is_kept() {
        let origin = Instant::now() + Duration::from_mins(1);
        let due = origin - Duration::from_secs(1);
        assert_eq!(on_slot(origin, due), due);
    }
}
