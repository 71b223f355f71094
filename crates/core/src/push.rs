//! Push events from `GET /v1/device/events`, verified before anything is surfaced.
//! An event whose signature does not verify with the pinned server key, or that
//! names another device, is dropped and reported as a security event. Here is the
//! stream's framing and each event's check, with no connection: the client
//! (`DeviceClient::events`) feeds it the response body, the fuzz target
//! `sse_events` any bytes.

use eventsource_stream::{EventStreamError, Eventsource as _};
use futures::{Stream, StreamExt as _};
use godkend_protocol::Envelope;
use godkend_protocol::messages::{
    ApprovalRequest, DeviceState, DeviceStatus, EventKind, Heartbeat, RequestClosed, ServerInfo,
};

use crate::CoreError;
use crate::pinned_server::PinnedServer;

mod stream_guard;

use stream_guard::GuardedError;
pub use stream_guard::{MAX_EVENT_BYTES, StreamFault};

/// A request as verified: its envelope (kept for the request hash) and contents.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    pub envelope: Envelope,
    pub request: ApprovalRequest,
    /// base64url(SHA-256(canonical payload)): what the decision signs.
    pub hash: String,
    /// The web origin the user's browser handed off for this request, when one did
    /// (issue 15): set by the agent from its loopback listener just before a
    /// decision is signed, never from anything the server or a page sends. Signed
    /// into the decision as `origin`.
    pub handed_off: Option<String>,
}

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

/// What an event or a request must match to be believed: the pinned server's
/// signature, and this device (or its user). `DeviceClient::event_check` makes one.
#[derive(Debug, Clone, Copy)]
pub struct EventCheck<'a> {
    pub server: &'a PinnedServer,
    pub device_id: &'a str,
    pub user: &'a str,
}

impl<'a> EventCheck<'a> {
    /// Verifies one SSE event. Errors mean "drop it and log a security event".
    pub fn verify_event(self, kind: &str, data: &str) -> Result<PushEvent, CoreError> {
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

    /// Verifies a server-signed approval request meant for this device's user.
    pub fn verify_request(self, envelope: Envelope) -> Result<VerifiedRequest, CoreError> {
        let request: ApprovalRequest = self.server.open(&envelope)?;
        if request.user != self.user {
            return Err(CoreError::Malformed(
                "the request is for another user".into(),
            ));
        }
        let hash = envelope.payload_hash()?;
        Ok(VerifiedRequest {
            envelope,
            request,
            hash,
            handed_off: None,
        })
    }

    fn check_own(self, device_id: &str) -> Result<(), CoreError> {
        if device_id == self.device_id {
            Ok(())
        } else {
            Err(CoreError::Malformed(
                "the event names another device".into(),
            ))
        }
    }

    /// Decodes a `text/event-stream` body, chunk by chunk as it arrives, into verified
    /// events: the bytes checked (UTF-8, bounded events: [`stream_guard`]), the SSE
    /// framing (eventsource-stream), the `id` for `Last-Event-ID`, then `verify_event`.
    /// A fault in the bytes ends the stream after a `Malformed` error.
    pub fn decode_events<S, B, E>(
        self,
        body: S,
    ) -> impl Stream<Item = Result<Received, CoreError>> + 'a
    where
        S: Stream<Item = Result<B, E>> + 'static,
        B: AsRef<[u8]>,
        E: std::fmt::Display + 'a,
    {
        stream_guard::guarded(without_bom(body)).eventsource().map(move |item| {
            let event = item.map_err(|e| match e {
                // What the server sent is bad, not the connection: the app warns, and
                // the stream's end that follows counts as a failure (with back-off),
                // so a server that keeps sending it is not reconnected to at once.
                EventStreamError::Transport(GuardedError::Fault(fault)) => {
                    CoreError::Malformed(fault.to_string())
                }
                other => CoreError::Offline(other.to_string()),
            })?;
            let id = event.id.trim().parse().ok();
            let verified = self.verify_event(&event.event, &event.data);
            if let Err(e) = &verified {
                tracing::warn!(error = %e, kind = %event.event, "dropped a push event that failed verification");
            }
            Ok(Received { id, event: verified? })
        })
    }
}

/// The UTF-8 byte-order mark, which the SSE format ignores once at the start.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The body with its leading byte-order marks taken off, even when they arrive split
/// over chunks. eventsource-stream 0.2 skips a mark by slicing its first string at
/// byte 1, in the middle of the mark's three bytes, and panics, so it must never see
/// one: a second mark (the format skips only one; no server sends even that) goes
/// too. Every later chunk passes through unchanged.
fn without_bom<S, B, E>(body: S) -> impl Stream<Item = Result<Vec<u8>, E>> + 'static
where
    S: Stream<Item = Result<B, E>> + 'static,
    B: AsRef<[u8]>,
{
    // The state: the body, and the first bytes while they may still be a mark.
    let start = (Box::pin(body), Some(Vec::new()));
    futures::stream::unfold(Some(start), |state| async move {
        let (mut body, mut head) = state?;
        loop {
            let Some(item) = body.next().await else {
                // The body ended inside what could have been a mark: those bytes are data.
                return head.filter(|h| !h.is_empty()).map(|h| (Ok(h), None));
            };
            let chunk = match item {
                Ok(chunk) => chunk,
                Err(e) => return Some((Err(e), Some((body, head)))),
            };
            let Some(mut start) = head.take() else {
                return Some((Ok(chunk.as_ref().to_vec()), Some((body, None))));
            };
            start.extend_from_slice(chunk.as_ref());
            while start.starts_with(BOM) {
                start.drain(..BOM.len());
            }
            if start.len() < BOM.len() && BOM.starts_with(&start) {
                head = Some(start);
                continue;
            }
            return Some((Ok(start), Some((body, None))));
        }
    })
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use godkend_protocol::PublicKey;
    use godkend_protocol::messages::{CloseReason, DeviceState};

    use super::*;

    fn server_key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[3; 32])
    }

    fn pinned() -> PinnedServer {
        PinnedServer::new(
            url::Url::parse("http://127.0.0.1:9").unwrap(),
            PublicKey::from_signing_key(&server_key()),
        )
        .unwrap()
    }

    fn check(server: &PinnedServer) -> EventCheck<'_> {
        EventCheck {
            server,
            device_id: "dev_1",
            user: "alice",
        }
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
        let server = pinned();
        let client = check(&server);
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

    /// `chunks` as the push stream's body, decoded.
    fn decode(client: EventCheck<'_>, chunks: Vec<Vec<u8>>) -> Vec<Result<Received, CoreError>> {
        let body = futures::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>));
        futures::executor::block_on(client.decode_events(body).collect())
    }

    /// A signed `request_closed` event with id 4, as the server frames it.
    fn closed_event() -> String {
        let good = Envelope::seal(&closed("dev_1"), &[&server_key()]).unwrap();
        format!(
            "event: request_closed\nid: 4\ndata: {}\n\n",
            good.to_json().unwrap()
        )
    }

    /// Regression (fuzz target `sse_events`): a stream starting with a byte-order mark
    /// made eventsource-stream slice inside the mark and panic, ending the push task.
    #[test]
    fn a_byte_order_mark_before_the_first_event_is_skipped_wherever_the_chunks_end() {
        let server = pinned();
        let client = check(&server);
        let body = format!("\u{feff}{}", closed_event());
        for cut in [0, 1, 2, 3, 4, 40] {
            let (a, b) = body.as_bytes().split_at(cut);
            let events = decode(client, vec![a.to_vec(), b.to_vec()]);
            assert_eq!(events.len(), 1, "cut at {cut}");
            let received = events[0].as_ref().expect("the event verifies");
            assert_eq!(received.id, Some(4));
            assert!(matches!(received.event, PushEvent::Closed(_)));
        }
        // A second mark would reach eventsource-stream's slicing too: it goes as well.
        let twice = format!("\u{feff}{body}");
        let events = decode(client, vec![twice.into_bytes()]);
        assert_eq!(events.len(), 1);
        assert!(matches!(
            events[0].as_ref().map(|r| &r.event),
            Ok(PushEvent::Closed(_))
        ));
    }

    /// eventsource-stream would keep every byte after an invalid one until the stream
    /// ended: the event before it still comes, then the stream ends with an error
    /// (the app warns, and reconnects after its back-off), whatever follows.
    #[test]
    fn bytes_that_are_not_utf8_end_the_stream_after_the_events_before_them() {
        let server = pinned();
        let client = check(&server);
        let event = closed_event();
        let mut body = event.clone().into_bytes();
        body.extend_from_slice(b"data: \xC0\xAF\n\n");
        let events = decode(client, vec![body, event.into_bytes()]);
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(matches!(
            events[0].as_ref().map(|r| &r.event),
            Ok(PushEvent::Closed(_))
        ));
        assert!(
            matches!(&events[1], Err(CoreError::Malformed(e)) if e.contains("not UTF-8")),
            "{:?}",
            events[1]
        );
    }

    #[test]
    fn an_active_status_never_ends_the_device() {
        let server = pinned();
        let client = check(&server);
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
