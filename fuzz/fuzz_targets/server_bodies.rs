//! The server's JSON request bodies, read as axum's `Json` reads them
//! (`serde_json::from_slice`). The server deserialises protocol types (they live in
//! godkend-protocol): `CreateRequest` (RP API), `ActivationRequest`, and the device
//! API's signed bodies, envelopes whose payload it reads as `Decision`,
//! `UnlockProof`, `PinChange`, `UserVerificationKey` or `DeviceRevocation`. The
//! admin API's small bodies are server structs; their one rule with parsing in it,
//! a relying party's list of origins, is the protocol's `normalise_origins`, fed here
//! with any list of strings.
//!
//! Properties: no panic; every body that reads writes back as JSON that reads as the
//! same value; a payload read as its type writes back as a payload that reads as the
//! same object; the request rules (amount, TTL, code length) answer within their
//! documented ranges; normalised origins are normalised (normalising again changes
//! nothing) and have no duplicates.

#![no_main]

use std::fmt::Debug;

use godkend_protocol::envelope::{object_from_payload, payload_of};
use godkend_protocol::messages::{
    ActivationRequest, CreateRequest, Decision, DeviceRevocation, PinChange, UnlockProof,
    UserVerificationKey,
};
use godkend_protocol::origin::{normalise_origin, normalise_origins};
use godkend_protocol::{Envelope, SignedObject, canonical, rules};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&value).expect("a body that reads can be written");
    let again: T = serde_json::from_slice(&json).expect("a written body reads");
    assert_eq!(again, value, "the body changed through JSON");
    Some(value)
}

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
    if let Ok(texts) = serde_json::from_slice::<Vec<String>>(data)
        && let Ok(origins) = normalise_origins(&texts)
    {
        for (i, origin) in origins.iter().enumerate() {
            assert_eq!(
                normalise_origin(origin).as_deref(),
                Ok(origin.as_str()),
                "a normalised origin normalises to something else"
            );
            assert!(!origins[..i].contains(origin), "duplicate origin {origin}");
        }
    }
});
