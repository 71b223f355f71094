//! What the fuzz targets share: the JSON round trip of a request body, and the
//! protocol's test vectors as the set of messages each known key has really signed. A fuzzer cannot forge a signature, so any input
//! that verifies must be one of these messages; anything else that verifies is a
//! forgery or two payloads sharing one signed form.

use std::collections::HashSet;
use std::fmt::Debug;

use godkend_protocol::{Algorithm, PublicKey, b64};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The vector files that hold signed objects (all but `activation_proofs`).
const VECTORS: [&str; 15] = [
    include_str!("../../crates/protocol/test-vectors/server_info.json"),
    include_str!("../../crates/protocol/test-vectors/key_rotation.json"),
    include_str!("../../crates/protocol/test-vectors/activation.json"),
    include_str!("../../crates/protocol/test-vectors/device_request.json"),
    include_str!("../../crates/protocol/test-vectors/approval_request.json"),
    include_str!("../../crates/protocol/test-vectors/decision.json"),
    include_str!("../../crates/protocol/test-vectors/device_status.json"),
    include_str!("../../crates/protocol/test-vectors/request_closed.json"),
    include_str!("../../crates/protocol/test-vectors/heartbeat.json"),
    include_str!("../../crates/protocol/test-vectors/unlock_challenge.json"),
    include_str!("../../crates/protocol/test-vectors/unlock.json"),
    include_str!("../../crates/protocol/test-vectors/pin_change.json"),
    include_str!("../../crates/protocol/test-vectors/device_revoke.json"),
    include_str!("../../crates/protocol/test-vectors/uv_key.json"),
    include_str!("../../crates/protocol/test-vectors/rp_result.json"),
];

/// The server key that signs the vectors' server objects (events, server info).
pub const SERVER_KEY: &str = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w";
/// The device the vectors' events are about, and its user.
pub const DEVICE_ID: &str = "dev-5c1f0e7a";
pub const USER: &str = "alice@example.com";

/// One key of the vectors and the exact bytes (RFC 8785 payloads) it signed.
pub struct Signer {
    pub key: PublicKey,
    pub signed: HashSet<Vec<u8>>,
}

/// Every key in the vectors with the messages whose signature by it verifies.
///
/// # Panics
/// If the vector files do not parse: the fuzz target cannot judge anything then.
#[allow(
    clippy::expect_used,
    reason = "fixture loading: a panic names the broken vector"
)]
pub fn vector_signers() -> Vec<Signer> {
    let mut signers: Vec<Signer> = Vec::new();
    for file in VECTORS {
        let cases: Vec<Value> = serde_json::from_str(file).expect("vector file is JSON");
        for case in cases {
            let canonical = case["canonical"].as_str().expect("canonical").as_bytes();
            for sig in case["signatures"].as_array().expect("signatures") {
                let alg: Algorithm =
                    serde_json::from_value(sig["alg"].clone()).expect("signature alg");
                let key = PublicKey::from_b64(alg, sig["public_key"].as_str().expect("key"))
                    .expect("vector key parses");
                let signature = b64::decode(sig["signature"].as_str().expect("sig"))
                    .expect("signature is base64url");
                let index = match signers.iter().position(|s| s.key == key) {
                    Some(i) => i,
                    None => {
                        signers.push(Signer {
                            key,
                            signed: HashSet::new(),
                        });
                        signers.len() - 1
                    }
                };
                let signer = &mut signers[index];
                if signer.key.verify(canonical, &signature).is_ok() {
                    signer.signed.insert(canonical.to_vec());
                }
            }
        }
    }
    signers
}

/// `data` read as a `T` as the server's `Json` extractor reads a body
/// (`serde_json::from_slice`), checked to write back as JSON that reads as the same
/// value; `None` when it does not read.
///
/// # Panics
/// When the body changes through its JSON: that is the finding.
#[allow(
    clippy::expect_used,
    reason = "a fuzz property: the panic is the finding"
)]
pub fn round_trip<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&value).expect("a body that reads can be written");
    let again: T = serde_json::from_slice(&json).expect("a written body reads");
    assert_eq!(again, value, "the body changed through JSON");
    Some(value)
}

/// The bytes of `data` split into chunks at the positions `cuts` picks, to feed a
/// streaming parser as a network would.
pub fn chunks<'a>(data: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    for &cut in cuts {
        if rest.is_empty() {
            break;
        }
        let at = usize::from(cut) % (rest.len() + 1);
        let (head, tail) = rest.split_at(at);
        out.push(head);
        rest = tail;
    }
    out.push(rest);
    out
}
