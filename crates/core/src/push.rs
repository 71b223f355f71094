//! Push events from `GET /v1/device/events`, verified before anything is surfaced.
//! An event whose signature does not verify with the pinned server key, or that
//! names another device, is dropped and reported as a security event.

use eventsource_stream::Eventsource as _;
use futures::{Stream, StreamExt as _};
use godkend_protocol::Envelope;
use godkend_protocol::messages::{
    DeviceState, DeviceStatus, EventKind, Heartbeat, RequestClosed, ServerInfo,
};
use reqwest::Method;

use crate::CoreError;
use crate::client::{DeviceClient, VerifiedRequest, problem_from};

/// A verified push event.
#[derive(Debug, Clone)]
pub enum PushEvent {
    /// A new approval request.
    Request(VerifiedRequest),
    /// A request ended before this device decided it.
    Closed(RequestClosed),
    /// This device was revoked or blocked: the signed status, for the wipe.
    Ended(DeviceStatus, Envelope),
    /// New version policy or support details.
    Policy(ServerInfo),
    Heartbeat(Heartbeat),
}

/// One event off the stream, with its id for `Last-Event-ID`.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: Option<i64>,
    pub event: PushEvent,
}

impl DeviceClient {
    /// Verifies one SSE event. Errors mean "drop it and log a security event".
    pub fn verify_event(&self, kind: &str, data: &str) -> Result<PushEvent, CoreError> {
        let kind = EventKind::parse(kind)
            .ok_or_else(|| CoreError::Malformed(format!("unknown event `{kind}`")))?;
        let envelope = Envelope::from_json(data)?;
        let event = match kind {
            EventKind::RequestCreated => PushEvent::Request(self.verify_request(envelope)?),
            EventKind::RequestClosed => {
                let closed: RequestClosed = self.server.open(&envelope)?;
                self.check_own(&closed.device_id)?;
                PushEvent::Closed(closed)
            }
            EventKind::DeviceStatus => {
                let status: DeviceStatus = self.server.open(&envelope)?;
                self.check_own(&status.device_id)?;
                if status.status == DeviceState::Active {
                    return Err(CoreError::Malformed(
                        "a status event must end the device".into(),
                    ));
                }
                PushEvent::Ended(status, envelope)
            }
            EventKind::Policy => PushEvent::Policy(self.server.open(&envelope)?),
            EventKind::Heartbeat => {
                let beat: Heartbeat = self.server.open(&envelope)?;
                self.check_own(&beat.device_id)?;
                self.server.observe_server_time(beat.iat);
                PushEvent::Heartbeat(beat)
            }
        };
        Ok(event)
    }

    fn check_own(&self, device_id: &str) -> Result<(), CoreError> {
        if device_id == self.device_id {
            Ok(())
        } else {
            Err(CoreError::Malformed(
                "the event names another device".into(),
            ))
        }
    }

    /// Opens the event stream, resuming after `last_event_id` if given. The stream
    /// yields verified events, or errors for events that failed verification (which
    /// the caller drops); it ends when the connection does.
    pub async fn events(
        &self,
        last_event_id: Option<i64>,
    ) -> Result<impl Stream<Item = Result<Received, CoreError>> + '_, CoreError> {
        let path = "/v1/device/events";
        let mut request = self
            .server
            .http()
            .request(Method::GET, self.server.url(path))
            .header(
                reqwest::header::AUTHORIZATION,
                self.header(&Method::GET, path, b"")?,
            )
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            return Err(problem_from(status, &response.bytes().await?));
        }
        Ok(response.bytes_stream().eventsource().map(move |item| {
            let event = item.map_err(|e| CoreError::Offline(e.to_string()))?;
            let id = event.id.trim().parse().ok();
            let verified = self.verify_event(&event.event, &event.data);
            if let Err(e) = &verified {
                tracing::warn!(error = %e, kind = %event.event, "dropped a push event that failed verification");
            }
            Ok(Received { id, event: verified? })
        }))
    }
}
