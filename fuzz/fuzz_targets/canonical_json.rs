//! RFC 8785 canonical JSON, the bytes every signature and hash covers.
//!
//! Properties, with the protocol's own functions: every JSON value has a canonical
//! form, which is JSON again and canonicalises to itself (parse → canonicalise →
//! parse → canonicalise is stable); for a value the protocol may sign (integers below
//! 2^53 only) the canonical form reads back as the same value, so two signable values
//! never share signed bytes; and an envelope's signed bytes are exactly this form,
//! or none when the value may not be signed.

#![no_main]

use godkend_protocol::{Envelope, canonical};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let first = canonical::to_vec(&value).expect("every parsed JSON value has a canonical form");
    let text = canonical::to_string(&value).expect("and as text");
    assert_eq!(
        text.as_bytes(),
        first.as_slice(),
        "to_vec and to_string differ"
    );
    let reparsed: Value = serde_json::from_slice(&first).expect("the canonical form is JSON");
    let second = canonical::to_vec(&reparsed).expect("canonicalises again");
    assert_eq!(
        first,
        second,
        "canonicalising is not stable: {}",
        String::from_utf8_lossy(&first)
    );
    let signable = canonical::check_numbers(&value).is_ok();
    if signable {
        assert_eq!(
            reparsed, value,
            "a signable value changed through its canonical form"
        );
        assert!(canonical::check_numbers(&reparsed).is_ok());
    }
    let envelope = Envelope {
        payload: value,
        signatures: Vec::new(),
    };
    match envelope.canonical_payload() {
        Ok(bytes) => {
            assert!(signable, "signed bytes for a value that may not be signed");
            assert_eq!(bytes, first);
        }
        Err(_) => assert!(!signable, "no signed bytes for a signable value"),
    }
});
