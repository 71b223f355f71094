//! The server's JSON request bodies, read as axum's `Json` reads them
//! (`serde_json::from_slice`). The server deserialises protocol types (they live in
//! godkend-protocol): `CreateRequest` (RP API), `ActivationRequest`, and the device
//! API's signed bodies, envelopes whose payload it reads as `Decision`,
//! `UnlockProof`, `PinChange`, `UserVerificationKey` or `DeviceRevocation`. The
//! admin API's bodies have their own target, `admin_bodies`.
//!
//! Properties: no panic; every body that reads writes back as JSON that reads as the
//! same value; a payload read as its type writes back as a payload that reads as the
//! same object; the request rules (amount, TTL, code length) answer within their
//! documented ranges; a request whose texts the server accepts (`check_texts`) has a
//! title that is not blank and every text within its length, counted in characters.

#![no_main]

use std::fmt::Debug;

use godkend_fuzz::round_trip;
use godkend_protocol::envelope::{object_from_payload, payload_of};
use godkend_protocol::messages::rp::{MAX_CONTEXT_FIELD_CHARS, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS};
use godkend_protocol::messages::{
    ActivationRequest, CreateRequest, Decision, DeviceRevocation, PinChange, UnlockProof,
    UserVerificationKey,
};
use godkend_protocol::{Envelope, SignedObject, canonical, rules};
use libfuzzer_sys::fuzz_target;

fn payload_round_trip<T: SignedObject + PartialEq + Debug>(envelope: &Envelope) {
    let Ok(object) = envelope.peek::<T>() else {
        return;
    };
    let payload = payload_of(&object).expect("an object that reads has a payload");
    let again: T = object_from_payload(&payload).expect("its own payload reads");
    assert_eq!(again, object, "the {} changed through its payload", T::TYPE);
}

fuzz_target!(|data: &[u8]| {
    if let Some(create) = round_trip::<CreateRequest>(data) {
        if let Some(amount) = &create.amount
            && amount.validate().is_ok()
        {
            assert!(amount.value.len() <= 32 && amount.currency.len() == 3);
        }
        if create.check_texts().is_ok() {
            let chars = |text: &str| text.chars().count();
            assert!(!create.title.trim().is_empty() && chars(&create.title) <= MAX_TITLE_CHARS);
            assert!(chars(&create.message) <= MAX_MESSAGE_CHARS);
            for field in create.short_texts() {
                assert!(chars(field) <= MAX_CONTEXT_FIELD_CHARS, "{field:?}");
            }
            assert!(create.amount.as_ref().is_none_or(|a| a.validate().is_ok()));
        }
        if let Ok(ttl) = rules::ttl_or_default(create.ttl_seconds) {
            assert!((rules::MIN_TTL_SECONDS..=rules::MAX_TTL_SECONDS).contains(&ttl));
        }
        if let Ok(n) = rules::code_length_or_default(create.code_length) {
            assert!((rules::MIN_CODE_LENGTH..=rules::MAX_CODE_LENGTH).contains(&n));
        }
    }
    round_trip::<ActivationRequest>(data);
    // A payload number that is not a safe integer may come back one ULP off
    // (serde_json reads floats fast, not exactly); the server refuses those anyway.
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(data)
        && canonical::check_numbers(&envelope.payload).is_ok()
    {
        round_trip::<Envelope>(data);
        payload_round_trip::<Decision>(&envelope);
        payload_round_trip::<UnlockProof>(&envelope);
        payload_round_trip::<PinChange>(&envelope);
        payload_round_trip::<UserVerificationKey>(&envelope);
        payload_round_trip::<DeviceRevocation>(&envelope);
    }
});
