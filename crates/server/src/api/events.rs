//! `GET /v1/device/events`: the signed push stream (Server-Sent Events).
//!
//! A fresh connection gets the pending requests, then a heartbeat whose id is the
//! device's newest event id (its resume point). A connection with `Last-Event-ID`
//! gets the stored events after that id. Then live events and a signed heartbeat
//! every 15 s. A `device_status` event (revoked/blocked) ends the stream.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures::Stream;
use godkend_protocol::Problem;
use godkend_protocol::messages::event::HEARTBEAT_SECONDS;
use godkend_protocol::messages::{EventKind, Heartbeat};
use tokio::sync::broadcast;

use super::device_auth::DeviceCall;
use super::error::ApiResult;
use crate::device_streams::StreamTicket;
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
/// device's resume point; with it, the stored events after that id come first. The
/// heartbeats keep idle connections open. A device may hold a few streams per node
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
    // Subscribed before the backlog is read, so no event falls between the two.
    let live = service.hub.subscribe(&device.id);
    service
        .store
        .touch_device(&device.id, now())
        .await
        .map_err(ServiceError::from)?;
    let ticket = service
        .hub
        .streams
        .open(&device.id, service.settings.net.max_streams_per_device);
    let feed = Feed::start(service, device, resume_from, live, ticket).await?;
    // hyper's connection task polls the feed itself: no task and channel of its own
    // per stream (2 KB each with the keep-alive's timer: BENCHMARKS.md). No comment
    // keep-alives: the heartbeats every 15 s keep the connection busy, and the
    // keep-alive's timer was reset on every event for nothing.
    Ok(Sse::new(futures::stream::unfold(feed, Feed::next)))
}

/// One device's stream: what is ready to send, and what it waits on for more. It
/// ends when the client goes (hyper drops it), after a `device_status` event, when
/// the server shuts down, or when newer streams of the device push it over the cap.
struct Feed {
    service: SharedService,
    device: DeviceRow,
    resume_from: Option<i64>,
    live: broadcast::Receiver<Arc<EventRow>>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    heartbeat: tokio::time::Interval,
    /// Holds this stream's place under the per-device cap while it lives.
    ticket: StreamTicket,
    /// Ids already sent, so a row that comes both from the log and live goes once.
    sent: HashSet<i64>,
    /// The newest event id sent: where a lagging stream reads the log from.
    last: i64,
    ready: VecDeque<Event>,
    ended: bool,
}

impl Feed {
    /// The backlog first: the stored events after `resume_from`, or without it the
    /// pending requests; then a heartbeat carrying the resume point.
    async fn start(
        service: SharedService,
        device: DeviceRow,
        resume_from: Option<i64>,
        live: broadcast::Receiver<Arc<EventRow>>,
        ticket: StreamTicket,
    ) -> Result<Self, ServiceError> {
        let mut sent = HashSet::new();
        let mut ready = VecDeque::new();
        let last = if let Some(after) = resume_from {
            let mut last = after;
            for row in service.store.events_after(&device.id, after).await? {
                last = last.max(row.id);
                sent.insert(row.id);
                ready.extend(sse_event(&service, &row));
            }
            last
        } else {
            let last = service.store.last_event_id_for(&device.id).await?;
            for envelope in service.pending_for_device(&device).await? {
                ready.push_back(
                    Event::default()
                        .event(EventKind::RequestCreated.as_str())
                        .data(envelope.to_json()?),
                );
            }
            last
        };
        ready.push_back(heartbeat(&service, &device, Some(last))?);
        Ok(Feed {
            shutdown: service.shutdown.subscribe(),
            heartbeat: heartbeat_timer(),
            service,
            device,
            resume_from,
            live,
            ticket,
            sent,
            last,
            ready,
            ended: false,
        })
    }

    /// The next event to send, once there is one; `None` ends the stream.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some((Ok(event), self));
            }
            if self.ended {
                return None;
            }
            if let Err(e) = self.wait().await {
                tracing::warn!(error = %e, device = %self.device.id, "event stream ended with an error");
                return None;
            }
        }
    }

    /// Waits for live events, a heartbeat or the end, and queues what to send.
    async fn wait(&mut self) -> Result<(), ServiceError> {
        let woke = tokio::select! {
            received = self.live.recv() => match received {
                Ok(row) => Woke::Rows(vec![(*row).clone()]),
                Err(broadcast::error::RecvError::Lagged(_)) => Woke::Lagged,
                Err(broadcast::error::RecvError::Closed) => Woke::End,
            },
            _ = self.heartbeat.tick() => Woke::Heartbeat,
            _ = self.shutdown.changed() => Woke::End,
            // Over the per-device cap: this, the oldest, ends.
            () = self.ticket.superseded() => Woke::End,
        };
        let rows = match woke {
            Woke::Rows(rows) => rows,
            // Fell behind: read what was missed from the log.
            Woke::Lagged => {
                self.service
                    .store
                    .events_after(&self.device.id, self.last)
                    .await?
            }
            Woke::Heartbeat => {
                let beat = heartbeat(&self.service, &self.device, None)?;
                self.ready.push_back(beat);
                return Ok(());
            }
            Woke::End => {
                self.ended = true;
                return Ok(());
            }
        };
        for row in rows {
            if row.id <= self.resume_from.unwrap_or(i64::MIN) || !self.sent.insert(row.id) {
                continue;
            }
            self.last = self.last.max(row.id);
            self.ready.extend(sse_event(&self.service, &row));
            if row.kind == EventKind::DeviceStatus.as_str() {
                self.ended = true;
                break;
            }
        }
        if self.sent.len() > 4096 {
            let last = self.last;
            self.sent.retain(|id| *id > last - 1024);
        }
        Ok(())
    }
}

/// What a waiting stream woke up for.
enum Woke {
    Rows(Vec<EventRow>),
    /// The live channel dropped events this stream was too slow to take.
    Lagged,
    Heartbeat,
    End,
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

/// A signed heartbeat; the first of a stream carries its resume point as `id`.
fn heartbeat(
    service: &SharedService,
    device: &DeviceRow,
    id: Option<i64>,
) -> Result<Event, ServiceError> {
    let beat = Heartbeat {
        iat: now(),
        device_id: device.id.clone(),
    };
    let event = Event::default()
        .event(EventKind::Heartbeat.as_str())
        .data(service.seal(&beat)?.to_json()?);
    Ok(match id {
        Some(id) => event.id(id.to_string()),
        None => event,
    })
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
