//! The crypto floor: what canonicalising, signing and verifying cost per signed object
//! type, and their sum for one approval round trip as the server sees it. The server's
//! CPU per round trip is compared against this (issue 13; `scripts/bench.sh`).
//! `cargo bench -p godkend-protocol --bench crypto_floor`.
//!
//! The objects are the first valid one of each file in `test-vectors/`, so the sizes
//! are those of real messages; the keys are fixed test keys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use ed25519_dalek::SigningKey;
use godkend_protocol::{Envelope, PublicKey, b64, canonical};
use serde_json::Value;

/// The vector file that holds HMAC proofs rather than a signed object.
const NOT_SIGNED: &str = "activation_proofs";

/// The vector files: one per message type (tests/vectors.rs checks that every file
/// there is one the protocol defines, and that each defined type has its file).
fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors")
}

/// Every signed object type, by its vector file's name, sorted.
fn signed_types() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|name| name != NOT_SIGNED)
        .collect();
    names.sort();
    names
}

/// The payload of the first valid vector of `name`.
fn object(name: &str) -> Value {
    let path = vectors_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let vectors: Vec<Value> = serde_json::from_str(&text).unwrap();
    vectors
        .into_iter()
        .find(|v| v["valid"] == true)
        .unwrap_or_else(|| panic!("{name}.json has no valid vector"))["object"]
        .clone()
}

fn signed(payload: &Value, keys: &[&SigningKey]) -> Envelope {
    let mut envelope = Envelope {
        payload: payload.clone(),
        signatures: Vec::new(),
    };
    for key in keys {
        envelope.sign_with(key).unwrap();
    }
    envelope
}

/// Fixed keys: the server's, a device's and a PIN key.
struct Keys {
    server: SigningKey,
    device: SigningKey,
    device_public: PublicKey,
    pin_public: PublicKey,
    pin: SigningKey,
}

impl Keys {
    fn new() -> Self {
        let server = SigningKey::from_bytes(&[1; 32]);
        let device = SigningKey::from_bytes(&[2; 32]);
        let pin = SigningKey::from_bytes(&[3; 32]);
        Keys {
            device_public: PublicKey::from_signing_key(&device),
            pin_public: PublicKey::from_signing_key(&pin),
            server,
            device,
            pin,
        }
    }
}

/// What the server's own code does with signatures in one round trip
/// (crates/server: create, push, decision, result):
/// - create: seals the approval request (canonicalise + sign);
/// - decision call: verifies the device-request header (canonicalise + verify) and
///   hashes the body; hashes the decision envelope's canonical form; verifies the
///   device and the PIN signatures (canonicalise + verify, twice); reads the stored
///   request; seals the signed result (canonicalise + sign).
struct RoundTrip {
    request: Value,
    header: Envelope,
    body: Vec<u8>,
    decision: Envelope,
    result: Value,
}

impl RoundTrip {
    fn new(keys: &Keys) -> Self {
        let decision = signed(&object("decision"), &[&keys.device, &keys.pin]);
        let body = decision.to_json().unwrap().into_bytes();
        RoundTrip {
            request: object("approval_request"),
            header: signed(&object("device_request"), &[&keys.device]),
            body,
            decision,
            result: object("rp_result"),
        }
    }

    fn run(&self, keys: &Keys) -> usize {
        let request = signed(&self.request, &[&keys.server]);
        self.header.verify(&keys.device_public).unwrap();
        let body_hash = b64::sha256_b64(&self.body);
        let decision_hash = b64::sha256_b64(canonical::to_vec(&self.decision).unwrap());
        self.decision.verify(&keys.device_public).unwrap();
        self.decision.verify(&keys.pin_public).unwrap();
        let result = signed(&self.result, &[&keys.server]);
        request.signatures.len() + result.signatures.len() + body_hash.len() + decision_hash.len()
    }
}

fn per_type(c: &mut Criterion) {
    let keys = Keys::new();
    for name in signed_types() {
        let payload = object(&name);
        let envelope = signed(&payload, &[&keys.server]);
        let public = PublicKey::from_signing_key(&keys.server);
        let mut group = c.benchmark_group(&name);
        group.bench_function("canonicalise", |b| {
            b.iter(|| canonical::to_vec(black_box(&payload)).unwrap());
        });
        group.bench_function("canonicalise+sign", |b| {
            b.iter(|| signed(black_box(&payload), &[&keys.server]));
        });
        group.bench_function("canonicalise+verify", |b| {
            b.iter(|| black_box(&envelope).verify(&public).unwrap());
        });
        group.finish();
    }
}

fn round_trip(c: &mut Criterion) {
    let keys = Keys::new();
    let trip = RoundTrip::new(&keys);
    c.bench_function("round_trip/server_crypto", |b| {
        b.iter(|| trip.run(black_box(&keys)));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = per_type, round_trip
}

/// The floor in one line a script can read: the mean over a fixed number of round
/// trips after a warm-up (criterion's own estimate is printed above it).
fn print_floor() {
    let keys = Keys::new();
    let trip = RoundTrip::new(&keys);
    for _ in 0..200 {
        black_box(trip.run(&keys));
    }
    let rounds = 2000;
    let started = Instant::now();
    for _ in 0..rounds {
        black_box(trip.run(&keys));
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!(
        "crypto floor per round trip (2 signs, 3 verifies, 6 canonical forms, 2 SHA-256): \
         {micros:.1} us of one core"
    );
    println!("CRYPTO_FLOOR_US={micros:.1}");
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_floor();
}
