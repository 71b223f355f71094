//! Properties that must hold for every input, not only for the fixed vectors: any
//! single change to a signed object breaks it, canonical JSON is a fixed point that
//! ignores key order, base64url round-trips, and serial numbers catch a mistyped digit.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a panic is a failure"
)]

use std::path::PathBuf;
use std::sync::OnceLock;

use godkend_protocol::messages::{Decision, DecisionKind, UnlockProof};
use godkend_protocol::{
    Algorithm, Envelope, PublicKey, Serial, SignatureEntry, SignedObject, b64, canonical,
};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};

fn signing_key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

/// Any JSON value whose numbers survive a round trip through an IEEE double.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-(1_i64 << 53)..(1_i64 << 53)).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        json_key().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((json_key(), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Strings that stress RFC 8785 key order: ASCII, Latin-1, the BMP private-use area
/// (above the surrogates in UTF-16) and astral characters (surrogate pairs), escapes.
fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-cA-C_\u{e9}\u{f8}\u{e000}-\u{e002}\u{ffff}\u{1f600}-\u{1f602}\u{10000}\"\\\\\n\u{1}]{0,5}",
        any::<String>(),
    ]
}

/// A decision with arbitrary field values, sealed by a device key and a PIN key.
fn signed_decision() -> impl Strategy<Value = Envelope> {
    (
        (1 - (1_i64 << 53))..(1_i64 << 53),
        "[a-z0-9-]{1,16}",
        any::<String>(),
        any::<String>(),
        prop_oneof![
            Just(DecisionKind::Approve),
            Just(DecisionKind::Deny),
            Just(DecisionKind::NotMe)
        ],
        prop::option::of("[0-9]{4,8}"),
    )
        .prop_map(|(iat, device_id, request_id, nonce, decision, code)| {
            let object = Decision {
                iat,
                device_id,
                request_id,
                nonce,
                request_hash: b64::sha256_b64(b"request"),
                decision,
                code,
                uv_kid: None,
                origin: None,
            };
            Envelope::seal(&object, &[&signing_key(3), &signing_key(4)]).unwrap()
        })
}

fn decision_keys() -> Vec<PublicKey> {
    vec![
        PublicKey::from_signing_key(&signing_key(3)),
        PublicKey::from_signing_key(&signing_key(4)),
    ]
}

#[derive(Deserialize)]
struct VectorSignature {
    alg: Algorithm,
    kid: String,
    public_key: String,
    signature: String,
}

#[derive(Deserialize)]
struct Vector {
    valid: bool,
    object: Value,
    signatures: Vec<VectorSignature>,
}

/// A valid envelope from the vector files and its signers' keys.
struct Signed {
    envelope: Envelope,
    keys: Vec<PublicKey>,
}

/// The valid unlock and decision vectors: ed25519, RS256 and ES256 signatures, made
/// with keys this test does not hold.
fn vector_envelopes() -> &'static [(&'static str, Signed)] {
    static CELL: OnceLock<Vec<(&'static str, Signed)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut all = Vec::new();
        for (name, type_name) in [("unlock", UnlockProof::TYPE), ("decision", Decision::TYPE)] {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("test-vectors")
                .join(format!("{name}.json"));
            let vectors: Vec<Vector> =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for vector in vectors.into_iter().filter(|v| v.valid) {
                let keys = vector
                    .signatures
                    .iter()
                    .map(|s| PublicKey::from_b64(s.alg, &s.public_key).unwrap())
                    .collect();
                let signatures = vector
                    .signatures
                    .into_iter()
                    .map(|s| SignatureEntry {
                        kid: s.kid,
                        alg: s.alg,
                        sig: s.signature,
                    })
                    .collect();
                let envelope = Envelope {
                    payload: vector.object,
                    signatures,
                };
                all.push((type_name, Signed { envelope, keys }));
            }
        }
        assert!(
            all.len() >= 6,
            "the vector files hold too few valid vectors"
        );
        all
    })
}

/// One change to a signed envelope.
#[derive(Debug, Clone)]
enum Mutation {
    /// Set the `field`-th field (mod the field count) to `value`.
    Change { field: usize, value: Value },
    /// Remove the `field`-th field.
    Remove { field: usize },
    /// Add a field that is not there yet.
    Add { name: String, value: Value },
    /// Give the object another `type`.
    Retype { name: String },
    /// Flip `bit` of byte `byte` (mod length) of signature `which` (mod count).
    FlipSignature { which: usize, byte: usize, bit: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), json_value()).prop_map(|(field, value)| Mutation::Change { field, value }),
        any::<usize>().prop_map(|field| Mutation::Remove { field }),
        (json_key(), json_value()).prop_map(|(name, value)| Mutation::Add { name, value }),
        prop_oneof![
            Just("unlock".to_owned()),
            Just("decision".to_owned()),
            Just("unlock_challenge".to_owned()),
            Just("Decision".to_owned()),
            Just("decision ".to_owned()),
            any::<String>(),
        ]
        .prop_map(|name| Mutation::Retype { name }),
        (any::<usize>(), any::<usize>(), 0_u8..8)
            .prop_map(|(which, byte, bit)| Mutation::FlipSignature { which, byte, bit }),
    ]
}

/// Applies `mutation`; `None` when it would not change the object (the same value, a
/// field that already exists, the same type). A value with the same RFC 8785 form but
/// other JSON (`5.0` for `5`) is a change, and must be refused like any other.
fn apply(envelope: &Envelope, mutation: &Mutation) -> Option<Envelope> {
    let mut out = envelope.clone();
    let map: &mut Map<String, Value> = out.payload.as_object_mut()?;
    let field_name = |i: usize| map.keys().nth(i % map.len()).cloned();
    match mutation {
        Mutation::Change { field, value } => {
            let name = field_name(*field)?;
            if &map[&name] == value {
                return None;
            }
            map.insert(name, value.clone());
        }
        Mutation::Remove { field } => {
            let name = field_name(*field)?;
            map.remove(&name);
        }
        Mutation::Add { name, value } => {
            if map.contains_key(name) {
                return None;
            }
            map.insert(name.clone(), value.clone());
        }
        Mutation::Retype { name } => {
            if map.get("type").and_then(Value::as_str) == Some(name.as_str()) {
                return None;
            }
            map.insert("type".into(), Value::from(name.as_str()));
        }
        Mutation::FlipSignature { which, byte, bit } => {
            let entry = &mut out.signatures[which % envelope.signatures.len()];
            let mut sig = b64::decode(&entry.sig).ok()?;
            let at = byte % sig.len();
            sig[at] ^= 1 << bit;
            entry.sig = b64::encode(sig);
        }
    }
    Some(out)
}

/// Is `envelope` accepted as a `type_name` object signed by all of `keys`?
fn accepted(type_name: &str, envelope: &Envelope, keys: &[PublicKey]) -> bool {
    let keys: Vec<&PublicKey> = keys.iter().collect();
    match type_name {
        "unlock" => envelope.open::<UnlockProof>(&keys).is_ok(),
        "decision" => envelope.open::<Decision>(&keys).is_ok(),
        other => panic!("no type {other}"),
    }
}

proptest! {
    #[test]
    fn any_single_mutation_of_a_signed_decision_is_refused(
        envelope in signed_decision(),
        mutation in mutation(),
    ) {
        let keys = decision_keys();
        prop_assert!(accepted(Decision::TYPE, &envelope, &keys));
        let Some(mutated) = apply(&envelope, &mutation) else {
            return Err(TestCaseError::reject("no change to the signed bytes"));
        };
        prop_assert!(!accepted(Decision::TYPE, &mutated, &keys), "{mutation:?} accepted");
        if !matches!(mutation, Mutation::FlipSignature { .. }) {
            // The payload changed: no signature may survive it.
            for key in &keys {
                prop_assert!(mutated.verify(key).is_err());
            }
        }
    }

    #[test]
    fn any_single_mutation_of_a_vector_is_refused_for_every_algorithm(
        index in any::<usize>(),
        mutation in mutation(),
    ) {
        let all = vector_envelopes();
        let (type_name, signed) = &all[index % all.len()];
        prop_assert!(accepted(type_name, &signed.envelope, &signed.keys));
        let Some(mutated) = apply(&signed.envelope, &mutation) else {
            return Err(TestCaseError::reject("no change to the signed bytes"));
        };
        prop_assert!(!accepted(type_name, &mutated, &signed.keys), "{mutation:?} accepted");
        if let Mutation::FlipSignature { which, .. } = mutation {
            let key = &signed.keys[which % signed.keys.len()];
            prop_assert!(mutated.verify(key).is_err(), "{:?} flip survived", key.alg());
        }
    }

    #[test]
    fn a_number_with_the_same_canonical_form_but_other_json_is_refused(
        envelope in signed_decision(),
        fraction in prop_oneof![Just(None), (1_u32..1000).prop_map(Some)],
    ) {
        // `iat` as a float (same canonical bytes when integral), or a fraction of it.
        let iat = envelope.payload["iat"].as_i64().unwrap();
        #[allow(clippy::cast_precision_loss, reason = "|iat| < 2^53: exact")]
        let float = iat as f64 + fraction.map_or(0.0, |f| f64::from(f) / 1000.0);
        let mut forged = envelope.clone();
        forged.payload["iat"] = Value::from(float);
        prop_assert!(!accepted("decision", &forged, &decision_keys()));
        prop_assert!(forged.canonical_payload().is_err());
    }

    #[test]
    fn an_integer_beyond_two_to_the_53_is_refused(
        envelope in signed_decision(),
        big in prop_oneof![
            ((1_u64 << 53)..=u64::MAX).prop_map(Value::from),
            (i64::MIN..=-(1_i64 << 53)).prop_map(Value::from),
        ],
    ) {
        // Signed over its canonical bytes by the right keys (as a careless signer
        // would): the number alone must get it refused.
        use ed25519_dalek::Signer as _;
        let mut forged = envelope.clone();
        forged.payload["iat"] = big;
        let bytes = canonical::to_vec(&forged.payload).unwrap();
        for (entry, seed) in forged.signatures.iter_mut().zip([3, 4]) {
            entry.sig = b64::encode(signing_key(seed).sign(&bytes).to_bytes());
        }
        prop_assert!(!accepted("decision", &forged, &decision_keys()));
    }

    #[test]
    fn canonicalisation_is_idempotent(value in json_value()) {
        let once = canonical::to_string(&value).unwrap();
        let reparsed: Value = serde_json::from_str(&once).unwrap();
        prop_assert_eq!(canonical::to_string(&reparsed).unwrap(), once);
    }

    #[test]
    fn canonical_form_ignores_key_insertion_order(
        (entries, shuffled) in prop::collection::btree_map(json_key(), json_value(), 0..8)
            .prop_flat_map(|map| {
                let entries: Vec<(String, Value)> = map.into_iter().collect();
                (Just(entries.clone()), Just(entries).prop_shuffle())
            }),
    ) {
        // Written out by hand, so the order is really the one given.
        let text = |entries: &[(String, Value)]| {
            let fields: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v))
                .collect();
            format!("{{{}}}", fields.join(","))
        };
        let canonical_of = |text: &str| {
            canonical::to_string(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
        };
        let ordered = canonical_of(&text(&entries));
        prop_assert_eq!(&canonical_of(&text(&shuffled)), &ordered);

        // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names.
        let mut by_utf16 = entries.clone();
        by_utf16.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
        let expected: Vec<String> = by_utf16
            .iter()
            .map(|(k, v)| {
                format!("{}:{}", canonical::to_string(k).unwrap(), canonical::to_string(v).unwrap())
            })
            .collect();
        prop_assert_eq!(ordered, format!("{{{}}}", expected.join(",")));
    }

    #[test]
    fn base64url_round_trips_without_padding(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let text = b64::encode(&bytes);
        prop_assert!(!text.contains(['=', '+', '/']));
        prop_assert_eq!(text.len(), (bytes.len() * 4).div_ceil(3));
        prop_assert_eq!(b64::decode(&text).unwrap(), bytes);
    }

    #[test]
    fn serial_round_trips(number in 0_u64..100_000_000_000) {
        let serial = Serial::from_number(number);
        prop_assert!(serial.as_str().starts_with("GK-"));
        prop_assert_eq!(serial.as_str().len(), "GK-0000-0000-0000".len());
        prop_assert_eq!(Serial::parse(serial.as_str()).unwrap(), serial.clone());
        let typed = serial.as_str().to_lowercase().replace('-', " ");
        prop_assert_eq!(Serial::parse(&typed).unwrap(), serial);
    }

    #[test]
    fn serial_with_one_wrong_digit_is_refused(
        number in 0_u64..100_000_000_000,
        digit in 0_usize..12,
        delta in 1_u8..10,
    ) {
        let serial = Serial::from_number(number);
        let mut text = serial.as_str().as_bytes().to_vec();
        let at = text
            .iter()
            .enumerate()
            .filter(|(_, b)| b.is_ascii_digit())
            .map(|(i, _)| i)
            .nth(digit)
            .unwrap();
        text[at] = b'0' + (text[at] - b'0' + delta) % 10;
        let mistyped = String::from_utf8(text).unwrap();
        prop_assert!(Serial::parse(&mistyped).is_err(), "{mistyped} accepted");
    }
}
