//! The app's push stream: `GET /v1/device/events` as the device core decodes it
//! (`EventCheck::decode_events`, which `DeviceClient::events` feeds the response:
//! the SSE framing, the event id, then verification with the pinned server key), fed
//! in chunks cut where the input says, as a network would deliver them.
//!
//! Input: one byte `n`, then `n % 8` cut positions, then the stream's bytes.
//! Found: a stream starting with a byte-order mark panicked inside eventsource-stream
//! (fixed in `push::without_bom`; seed `bom_split`). Bytes that are not UTF-8 end the
//! stream with an error after the events before them (`push::stream_guard`, which
//! keeps eventsource-stream from holding everything after them; seed
//! `not_utf8_after_event`). Found while that guard handed the parser whole lines
//! only: an event ended by a CR just before such a byte was lost (the parser waits
//! for the byte after a CR); at a fault the guard now passes all that was valid (seed
//! `cr_before_invalid_byte`).
//! Properties: no panic; the same events come out however the bytes are cut; one
//! result per SSE event, with its `id`; an accepted event carries an envelope the
//! pinned server key really signed (a test vector's), of the type its event name
//! says, about this device (or its user); a device-status event never says "active";
//! and an accepted event with a field added to its payload is refused.

#![no_main]

use std::convert::Infallible;
use std::sync::LazyLock;

use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use futures::executor::block_on;
use godkend_core::push::{EventCheck, PushEvent, Received};
use godkend_core::{CoreError, PinnedServer};
use godkend_fuzz::{DEVICE_ID, SERVER_KEY, Signer, USER, chunks, vector_signers};
use godkend_protocol::messages::DeviceState;
use godkend_protocol::{Envelope, PublicKey};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

static PINNED: LazyLock<PinnedServer> = LazyLock::new(|| {
    let key = PublicKey::ed25519_b64(SERVER_KEY).expect("the vectors' server key");
    let url = url::Url::parse("https://godkend.example").expect("a URL");
    PinnedServer::new(url, key).expect("a pinned server")
});

/// The device of the vectors' events, pinned to their server key.
fn device() -> EventCheck<'static> {
    EventCheck {
        server: &PINNED,
        device_id: DEVICE_ID,
        user: USER,
    }
}

static SERVER: LazyLock<Signer> = LazyLock::new(|| {
    let key = PublicKey::ed25519_b64(SERVER_KEY).expect("the vectors' server key");
    vector_signers()
        .into_iter()
        .find(|s| s.key == key)
        .expect("the vectors hold server-signed objects")
});

fn decode(parts: &[&[u8]]) -> Vec<Result<Received, CoreError>> {
    let body = futures::stream::iter(
        parts
            .iter()
            .map(|p| Ok::<_, Infallible>(p.to_vec()))
            .collect::<Vec<_>>(),
    );
    block_on(device().decode_events(body).collect())
}

/// A comparable form of one result: the event, or the error's message.
fn outline(result: &Result<Received, CoreError>) -> String {
    match result {
        Ok(received) => format!("{:?} {:?}", received.id, received.event),
        Err(e) => format!("error: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let cuts = usize::from(n % 8).min(rest.len());
    let (cuts, body) = rest.split_at(cuts);

    let whole = decode(&[body]);
    let cut = decode(&chunks(body, cuts));
    let (whole_text, cut_text): (Vec<_>, Vec<_>) = (
        whole.iter().map(outline).collect(),
        cut.iter().map(outline).collect(),
    );
    assert_eq!(
        whole_text, cut_text,
        "the events depend on how the bytes were cut"
    );

    // The raw SSE events, to judge each result against what was sent (without the
    // leading byte-order marks, which the client takes off because eventsource-stream
    // panics on one).
    let mut plain = body;
    while let Some(rest) = plain.strip_prefix(b"\xEF\xBB\xBF") {
        plain = rest;
    }
    let raw: Vec<_> = block_on(
        futures::stream::iter([Ok::<_, Infallible>(plain.to_vec())])
            .eventsource()
            .collect::<Vec<_>>(),
    );
    assert_eq!(raw.len(), whole.len(), "one result per SSE event");
    for (sent, result) in raw.iter().zip(&whole) {
        let (Ok(sent), Ok(received)) = (sent, result) else {
            continue;
        };
        assert_eq!(received.id, sent.id.trim().parse().ok());
        let envelope = Envelope::from_json(&sent.data).expect("an accepted event is an envelope");
        let bytes = envelope
            .canonical_payload()
            .expect("an accepted event has signed bytes");
        assert!(
            SERVER.signed.contains(&bytes),
            "accepted an event the server never signed: {}",
            String::from_utf8_lossy(&bytes)
        );
        let payload = &envelope.payload;
        let expected_type = match &received.event {
            PushEvent::Request(request) => {
                assert_eq!(request.request.user, USER);
                "approval_request"
            }
            PushEvent::Closed(closed) => {
                assert_eq!(closed.device_id, DEVICE_ID);
                "request_closed"
            }
            PushEvent::Ended(status, _) => {
                assert_eq!(status.device_id, DEVICE_ID);
                assert_ne!(
                    status.status,
                    DeviceState::Active,
                    "an active status ended the device"
                );
                "device_status"
            }
            PushEvent::Policy(_) => "server_info",
            PushEvent::Heartbeat(beat) => {
                assert_eq!(beat.device_id, DEVICE_ID);
                "heartbeat"
            }
        };
        assert_eq!(payload["type"], expected_type, "event `{}`", sent.event);

        let mut added = envelope.clone();
        added.payload["fuzz"] = Value::from(true);
        let json = added.to_json().expect("JSON");
        assert!(
            device().verify_event(&sent.event, &json).is_err(),
            "an event with an added field was accepted"
        );
    }
});
