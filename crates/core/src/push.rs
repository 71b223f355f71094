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
#[allow(
    clippy::large_enum_variant,
    reason = "a few events a minute, each moved once; boxing the request would only \
              change every match on it"
)]
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
        Ok(self.decode_events(response.bytes_stream()))
    }

    /// Decodes a `text/event-stream` body, chunk by chunk as it arrives, into verified
    /// events: the SSE framing (eventsource-stream), the `id` for `Last-Event-ID`, then
    /// `verify_event`. Apart from `events` so the framing and verification can be
    /// driven without a connection (the fuzz target `sse_events`).
    pub fn decode_events<S, B, E>(
        &self,
        body: S,
    ) -> impl Stream<Item = Result<Received, CoreError>> + '_
    where
        S: Stream<Item = Result<B, E>> + 'static,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        body.eventsource().map(move |item| {
            let event = item.map_err(|e| CoreError::Offline(e.to_string()))?;
            let id = event.id.trim().parse().ok();
            let verified = self.verify_event(&event.event, &event.data);
            if let Err(e) = &verified {
                tracing::warn!(error = %e, kind = %event.event, "dropped a push event that failed verification");
            }
            Ok(Received { id, event: verified? })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use godkend_protocol::PublicKey;
    use godkend_protocol::messages::{CloseReason, DeviceState};

    use crate::client::ServerClient;
    use crate::keys::DeviceKey;

    fn server_key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[3; 32])
    }

    fn client() -> DeviceClient {
        let server = ServerClient::new(
            url::Url::parse("http://127.0.0.1:9").unwrap(),
            PublicKey::from_signing_key(&server_key()),
        )
        .unwrap();
        DeviceClient::new(
            server,
            "dev_1".into(),
            "alice".into(),
            DeviceKey::generate(),
        )
    }

    fn closed(device: &str) -> RequestClosed {
        RequestClosed {
            iat: 1,
            device_id: device.into(),
            request_id: "r".into(),
            reason: CloseReason::Withdrawn,
        }
    }

    #[test]
    fn only_events_signed_by_the_pinned_key_for_this_device_are_surfaced() {
        let client = client();
        let good = Envelope::seal(&closed("dev_1"), &[&server_key()]).unwrap();
        assert!(
            client
                .verify_event("request_closed", &good.to_json().unwrap())
                .is_ok()
        );

        let mut tampered = good.clone();
        tampered.payload["reason"] = "superseded".into();
        assert!(
            client
                .verify_event("request_closed", &tampered.to_json().unwrap())
                .is_err()
        );

        let forged = Envelope::seal(
            &closed("dev_1"),
            &[&ed25519_dalek::SigningKey::from_bytes(&[4; 32])],
        )
        .unwrap();
        assert!(
            client
                .verify_event("request_closed", &forged.to_json().unwrap())
                .is_err()
        );

        let other_device = Envelope::seal(&closed("dev_2"), &[&server_key()]).unwrap();
        assert!(
            client
                .verify_event("request_closed", &other_device.to_json().unwrap())
                .is_err()
        );

        // The event name must match the signed object's type.
        assert!(
            client
                .verify_event("heartbeat", &good.to_json().unwrap())
                .is_err()
        );
        assert!(
            client
                .verify_event("no_such_event", &good.to_json().unwrap())
                .is_err()
        );
        assert!(client.verify_event("request_closed", "{not json").is_err());
    }

    #[test]
    fn an_active_status_never_ends_the_device() {
        let client = client();
        let status = DeviceStatus {
            iat: 1,
            device_id: "dev_1".into(),
            status: DeviceState::Active,
            reason: None,
        };
        let signed = Envelope::seal(&status, &[&server_key()]).unwrap();
        assert!(
            client
                .verify_event("device_status", &signed.to_json().unwrap())
                .is_err()
        );
    }
}
