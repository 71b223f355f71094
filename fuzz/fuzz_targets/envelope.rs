//! Envelope parsing and verification, as the server reads a device's signed body and
//! `Authorization: Godkend ...` header and as the app reads a server object.
//!
//! Properties: parsing never panics; an envelope with signed bytes reads back from
//! its own JSON unchanged; `verify` accepts only a payload its key really signed (the
//! test vectors' messages: a fuzzer cannot forge a signature, so anything else that
//! verifies is a forgery or two payloads sharing one signed form); and a verified
//! envelope with any field of its payload changed, a field added, or a bit of its
//! signature flipped no longer verifies.

#![no_main]

use std::sync::LazyLock;

use godkend_fuzz::{Signer, vector_signers};
use godkend_protocol::messages::device_request;
use godkend_protocol::{Envelope, b64};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

static SIGNERS: LazyLock<Vec<Signer>> = LazyLock::new(vector_signers);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(envelope) = Envelope::from_json(text) {
        check(&envelope, data);
    }
    if let Ok(envelope) = device_request::from_header_value(text) {
        check(&envelope, data);
    }
});

fn check(envelope: &Envelope, data: &[u8]) {
    let canonical = envelope.canonical_payload();
    if canonical.is_ok() {
        let json = envelope.to_json().expect("a parsed envelope has JSON");
        let again = Envelope::from_json(&json).expect("an envelope's own JSON parses");
        assert_eq!(&again, envelope, "the JSON round trip changed the envelope");
        assert_eq!(
            envelope.payload_hash().expect("signed bytes have a hash"),
            b64::sha256_b64(canonical.as_ref().expect("checked")),
        );
    }
    for signer in SIGNERS.iter() {
        if envelope.verify(&signer.key).is_err() {
            continue;
        }
        let kid = signer.key.kid();
        let bytes = canonical
            .as_ref()
            .expect("a verified payload has signed bytes");
        assert!(
            signer.signed.contains(bytes),
            "{kid} verified a payload it never signed: {}",
            String::from_utf8_lossy(bytes)
        );
        let signed: Value = serde_json::from_slice(bytes).expect("signed bytes are JSON");
        assert_eq!(
            envelope.payload, signed,
            "the verified payload is not the signed one"
        );
        refuses_mutations(envelope, signer, data);
    }
}

fn refuses_mutations(envelope: &Envelope, signer: &Signer, data: &[u8]) {
    let seed = data
        .iter()
        .fold(0usize, |a, &b| a.wrapping_mul(31) ^ usize::from(b));
    let Value::Object(members) = &envelope.payload else {
        panic!("a verified payload is an object");
    };
    for (name, value) in members {
        for replacement in [
            Value::Null,
            Value::from("x"),
            Value::from(1),
            Value::from(1.5),
        ] {
            if &replacement == value {
                continue;
            }
            let mut changed = envelope.clone();
            changed.payload[name] = replacement.clone();
            assert!(
                changed.verify(&signer.key).is_err(),
                "`{name}` changed to {replacement} still verifies"
            );
        }
        let mut removed = envelope.clone();
        if let Value::Object(m) = &mut removed.payload {
            m.remove(name);
        }
        assert!(
            removed.verify(&signer.key).is_err(),
            "`{name}` removed still verifies"
        );
    }
    let mut added = envelope.clone();
    added.payload[format!("f{}", seed % 1000)] = Value::from(true);
    assert!(
        added.verify(&signer.key).is_err(),
        "an added field still verifies"
    );

    let kid = signer.key.kid();
    let mut flipped = envelope.clone();
    for entry in flipped.signatures.iter_mut().filter(|e| e.kid == kid) {
        let mut sig = b64::decode(&entry.sig).expect("a verified signature is base64url");
        let bit = seed % (sig.len() * 8);
        sig[bit / 8] ^= 1 << (bit % 8);
        entry.sig = b64::encode(&sig);
    }
    assert!(
        flipped.verify(&signer.key).is_err(),
        "a signature with a flipped bit still verifies"
    );
}
