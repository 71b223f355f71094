//! Checks every file in `test-vectors/` against this implementation: canonical bytes,
//! key ids, signatures, types, timing rules and the per-message checks PROTOCOL.md §12
//! describes. A missing or empty file fails.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a panic is a failure"
)]

use std::path::PathBuf;

use godkend_protocol::envelope::{object_from_payload, payload_of};
use godkend_protocol::messages::activation::{
    device_proof, normalise_code, proofs_equal, server_proof,
};
use godkend_protocol::messages::device_request::from_header_value;
use godkend_protocol::messages::{
    Activation, ApprovalRequest, Decision, DeviceRequestHeader, DeviceRevocation, DeviceStatus,
    Heartbeat, KeyRotation, PinChange, RequestClosed, RpResult, ServerInfo, UnlockChallenge,
    UnlockProof, UserVerificationKey,
};
use godkend_protocol::{
    Algorithm, Envelope, ProtocolError, PublicKey, SignatureEntry, SignedObject, b64, canonical,
    kid_of, rules,
};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::Deserialize;
use serde_json::Value;

/// Every vector file the protocol defines. Adding a message type means adding it here.
const FILES: [&str; 16] = [
    "server_info",
    "key_rotation",
    "activation",
    "activation_proofs",
    "device_request",
    "approval_request",
    "decision",
    "device_status",
    "request_closed",
    "heartbeat",
    "unlock_challenge",
    "unlock",
    "pin_change",
    "device_revoke",
    "uv_key",
    "rp_result",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureVector {
    alg: Algorithm,
    kid: String,
    public_key: String,
    signature: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    description: String,
    valid: bool,
    reason: Option<String>,
    now: Option<i64>,
    object: Value,
    canonical: String,
    signatures: Vec<SignatureVector>,
    /// approval_request: base64url(SHA-256(canonical)).
    hash: Option<String>,
    /// decision: the approval request payload the decision answers.
    request: Option<Value>,
    /// device_request: the HTTP body the header was made for.
    body: Option<String>,
    /// device_request: the `Authorization` header value.
    authorization: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofVector {
    description: String,
    valid: bool,
    role: String,
    code: String,
    normalised_code: String,
    input: Value,
    canonical: String,
    proof: String,
}

fn read(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-vectors")
        .join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let vectors: Vec<T> =
        serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("{name}.json: {e}"));
    assert!(!vectors.is_empty(), "{name}.json has no vectors");
    vectors
}

/// Why an object was refused, in the words of the vectors' `reason` field.
type Refusal = &'static str;

/// The checks a message type adds after its signatures and type are good.
type Extra<T> = fn(&Vector, &T) -> Result<(), Refusal>;

fn envelope_of(vector: &Vector) -> Envelope {
    Envelope {
        payload: vector.object.clone(),
        signatures: vector
            .signatures
            .iter()
            .map(|s| SignatureEntry {
                kid: s.kid.clone(),
                alg: s.alg,
                sig: s.signature.clone(),
            })
            .collect(),
    }
}

/// Runs every vector of `name` as a verifier of `T` would, and checks that exactly the
/// valid ones are accepted and each invalid one fails for its stated reason.
fn check_file<T: SignedObject>(name: &str, extra: Extra<T>) {
    let vectors: Vec<Vector> = load(name);
    assert!(vectors.iter().any(|v| v.valid), "{name}: no valid vector");
    assert!(
        vectors.iter().any(|v| !v.valid),
        "{name}: no invalid vector"
    );
    for vector in &vectors {
        let at = format!("{name}.json, \"{}\"", vector.description);
        assert_eq!(
            canonical::to_string(&vector.object).unwrap(),
            vector.canonical,
            "{at}: canonical form differs"
        );
        assert_eq!(
            vector.valid,
            vector.reason.is_none(),
            "{at}: reason iff invalid"
        );
        assert!(!vector.signatures.is_empty(), "{at}: no signatures");

        let keys: Vec<PublicKey> = vector
            .signatures
            .iter()
            .map(|s| {
                let key = PublicKey::from_b64(s.alg, &s.public_key).expect("a usable public key");
                assert_eq!(s.kid, kid_of(key.bytes()), "{at}: kid");
                key
            })
            .collect();
        let each_verifies = vector.signatures.iter().zip(&keys).all(|(s, key)| {
            let signature = b64::decode(&s.signature).expect("base64url signature");
            key.verify(vector.canonical.as_bytes(), &signature).is_ok()
        });

        let key_refs: Vec<&PublicKey> = keys.iter().collect();
        let outcome = match envelope_of(vector).open::<T>(&key_refs) {
            Err(ProtocolError::WrongType { .. }) => Err("type"),
            Err(ProtocolError::UnsafeNumber(_)) => Err("number"),
            Err(ProtocolError::BadSignature { .. } | ProtocolError::MissingSignature { .. }) => {
                Err("signature")
            }
            Err(other) => panic!("{at}: unexpected error {other}"),
            Ok(object) => {
                if vector.valid {
                    assert_eq!(
                        payload_of(&object).unwrap(),
                        vector.object,
                        "{at}: the Rust type does not round-trip the object"
                    );
                }
                extra(vector, &object)
            }
        };
        assert_eq!(
            each_verifies,
            outcome != Err("signature"),
            "{at}: PublicKey::verify and Envelope::open disagree"
        );
        match &vector.reason {
            None => assert_eq!(outcome, Ok(()), "{at}: a valid vector was refused"),
            Some(reason) => assert_eq!(outcome, Err(reason.as_str()), "{at}: refused wrongly"),
        }
    }
}

#[allow(clippy::unnecessary_wraps, reason = "used as an `Extra` check")]
fn no_rule<T>(vector: &Vector, _: &T) -> Result<(), Refusal> {
    assert!(
        vector.now.is_none(),
        "\"{}\": this type has no timing rule, `now` means nothing",
        vector.description
    );
    Ok(())
}

#[test]
fn every_expected_file_exists_and_has_vectors() {
    for name in FILES {
        let vectors: Vec<Value> = load(name);
        assert!(vectors.iter().all(Value::is_object), "{name}");
    }
}

#[test]
fn no_unexpected_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            FILES.contains(&stem.as_str()),
            "{} is not checked",
            path.display()
        );
    }
}

#[test]
fn server_info_vectors() {
    check_file::<ServerInfo>("server_info", |v, info| {
        no_rule(v, info)?;
        // The info names the key that signed it.
        assert_eq!(info.server_key, v.signatures[0].public_key);
        assert_eq!(info.server_kid, v.signatures[0].kid);
        Ok(())
    });
}

#[test]
fn key_rotation_vectors() {
    check_file::<KeyRotation>("key_rotation", |v, rotation| {
        no_rule(v, rotation)?;
        assert_eq!(rotation.old_kid, v.signatures[0].kid);
        let next = PublicKey::ed25519_b64(&rotation.new_key).unwrap();
        assert_eq!(rotation.new_kid, next.kid());
        Ok(())
    });
}

#[test]
fn activation_vectors() {
    check_file::<Activation>("activation", no_rule);
}

#[test]
fn activation_proof_vectors() {
    let vectors: Vec<ProofVector> = load("activation_proofs");
    for vector in &vectors {
        let at = format!("activation_proofs.json, \"{}\"", vector.description);
        assert_eq!(normalise_code(&vector.code), vector.normalised_code, "{at}");
        assert_eq!(vector.input["role"], vector.role.as_str(), "{at}: role");
        assert_eq!(
            canonical::to_string(&vector.input).unwrap(),
            vector.canonical,
            "{at}"
        );

        // The specification: HMAC-SHA256, key = normalised code, message = canonical input.
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(vector.normalised_code.as_bytes()).unwrap();
        mac.update(vector.canonical.as_bytes());
        let expected = b64::encode(mac.finalize().into_bytes());

        // The library functions compute the same from the raw fields.
        let field = |name: &str| vector.input[name].as_str().expect(name).to_owned();
        let computed = match vector.role.as_str() {
            "device" => device_proof(
                &vector.code,
                &field("user"),
                &field("device_key"),
                &field("pin_key"),
                &field("server_key"),
            ),
            "server" => server_proof(
                &vector.code,
                &field("user"),
                &field("device_id"),
                &field("device_key"),
                &field("server_key"),
            ),
            other => panic!("{at}: unknown role {other}"),
        }
        .unwrap();
        assert_eq!(computed, expected, "{at}: library and specification differ");
        assert_eq!(proofs_equal(&expected, &vector.proof), vector.valid, "{at}");
    }
    assert!(vectors.iter().any(|v| v.valid) && vectors.iter().any(|v| !v.valid));

    // The activation answer carries the server's proof for the same inputs.
    let server = vectors
        .iter()
        .find(|v| v.valid && v.role == "server")
        .unwrap();
    let answers: Vec<Vector> = load("activation");
    let answer = answers.iter().find(|v| v.valid).unwrap();
    assert_eq!(answer.object["proof"].as_str(), Some(server.proof.as_str()));
    assert_eq!(answer.object["device_id"], server.input["device_id"]);
}

#[test]
fn device_request_vectors() {
    check_file::<DeviceRequestHeader>("device_request", |v, header| {
        if let Some(authorization) = &v.authorization {
            assert_eq!(from_header_value(authorization).unwrap(), envelope_of(v));
        }
        let now = v.now.expect("device_request vectors are judged at a `now`");
        if !rules::header_time_ok(header.iat, now) {
            return Err("time");
        }
        let body = v.body.as_deref().unwrap_or("");
        if b64::sha256_b64(body) != header.body_sha256 {
            return Err("body");
        }
        Ok(())
    });
}

#[test]
fn approval_request_vectors() {
    check_file::<ApprovalRequest>("approval_request", |v, request| {
        assert_eq!(
            v.hash.as_deref(),
            Some(b64::sha256_b64(&v.canonical).as_str()),
            "{}: hash",
            v.description
        );
        if let Some(amount) = &request.amount {
            amount.validate().unwrap();
        }
        match v.now {
            Some(now) if rules::is_expired(request.exp, now) => Err("time"),
            _ => Ok(()),
        }
    });
}

#[test]
fn decision_vectors() {
    check_file::<Decision>("decision", |v, decision| {
        let payload = v
            .request
            .as_ref()
            .expect("decision vectors carry their request");
        let request: ApprovalRequest = object_from_payload(payload).unwrap();
        let now = v.now.expect("decision vectors are judged at a `now`");
        // The server's order (PROTOCOL.md §7.2): the match (step 5), then timing (6).
        let seen_hash = b64::sha256_b64(canonical::to_vec(payload).unwrap());
        if decision.request_hash != seen_hash
            || !rules::decision_matches_request(decision, &request)
        {
            return Err("request");
        }
        if rules::check_decision_timing(&request, decision.iat, now).is_err() {
            return Err("time");
        }
        Ok(())
    });
}

#[test]
fn device_status_vectors() {
    check_file::<DeviceStatus>("device_status", no_rule);
}

#[test]
fn request_closed_vectors() {
    check_file::<RequestClosed>("request_closed", no_rule);
}

#[test]
fn heartbeat_vectors() {
    check_file::<Heartbeat>("heartbeat", no_rule);
}

#[test]
fn unlock_challenge_vectors() {
    check_file::<UnlockChallenge>("unlock_challenge", |v, challenge| match v.now {
        Some(now) if rules::is_expired(challenge.exp, now) => Err("time"),
        _ => Ok(()),
    });
}

#[test]
fn unlock_vectors() {
    check_file::<UnlockProof>("unlock", no_rule);
}

#[test]
fn unlock_vectors_cover_every_algorithm() {
    let algorithms: Vec<Algorithm> = load::<Vector>("unlock")
        .iter()
        .filter(|v| v.valid)
        .flat_map(|v| v.signatures.iter().map(|s| s.alg))
        .collect();
    for alg in [Algorithm::Ed25519, Algorithm::Rs256, Algorithm::Es256] {
        assert!(
            algorithms.contains(&alg),
            "no valid unlock signed with {alg:?}"
        );
    }
}

#[test]
fn pin_change_vectors() {
    check_file::<PinChange>("pin_change", |v, change| {
        PublicKey::ed25519_b64(&change.new_pin_key).unwrap();
        no_rule(v, change)
    });
}

#[test]
fn device_revoke_vectors() {
    check_file::<DeviceRevocation>("device_revoke", no_rule);
}

#[test]
fn uv_key_vectors() {
    check_file::<UserVerificationKey>("uv_key", |v, key| {
        // The registered key must itself be usable with its algorithm.
        PublicKey::from_b64(key.alg, &key.public_key).unwrap();
        no_rule(v, key)
    });
}

#[test]
fn rp_result_vectors() {
    check_file::<RpResult>("rp_result", |v, result| {
        no_rule(v, result)?;
        let (Some(decision), Some(signature), Some(device_key)) = (
            &result.decision,
            &result.device_signature,
            &result.device_key,
        ) else {
            assert!(result.decision.is_none() && result.device_signature.is_none());
            return Ok(());
        };
        // What a relying party checks: the device key signed exactly this decision.
        let key = PublicKey::ed25519_b64(device_key).unwrap();
        let inner = Envelope {
            payload: decision.clone(),
            signatures: vec![signature.clone()],
        };
        match inner.open::<Decision>(&[&key]) {
            Ok(_) => Ok(()),
            Err(_) => Err("inner_signature"),
        }
    });
}
