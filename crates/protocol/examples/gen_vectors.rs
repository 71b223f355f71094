//! Writes the protocol test vectors in `crates/protocol/test-vectors/`, one JSON file
//! per message type (PROTOCOL.md §12 describes the format).
//!
//! `cargo run -p godkend-protocol --example gen_vectors`
//!
//! Every key is fixed (see `Keys::fixed`) and every signature scheme used is
//! deterministic (ed25519, RSA PKCS#1 v1.5, ECDSA with RFC 6979 nonces), so a run
//! rewrites the files byte for byte. Never change a key or a value here without
//! regenerating: other implementations check themselves against these files.

#[path = "gen_vectors/activation_proofs.rs"]
mod activation_proofs;
#[path = "gen_vectors/device_signed.rs"]
mod device_signed;
#[path = "gen_vectors/kit.rs"]
mod kit;
#[path = "gen_vectors/server_signed.rs"]
mod server_signed;

use std::error::Error;
use std::path::{Path, PathBuf};

use serde::Serialize;

use activation_proofs::activation_proofs;
use device_signed::{decision, device_request, device_revoke, pin_change, unlock, uv_key};
use kit::Keys;
use server_signed::{
    activation, approval_request, device_status, heartbeat, key_rotation, request_closed,
    rp_result, server_info, unlock_challenge,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// 2026-01-01T00:00:00Z: the server time every vector is built around.
const T0: i64 = 1_767_225_600;

const USER: &str = "alice@example.com";
const DEVICE_ID: &str = "dev-5c1f0e7a";
const OTHER_DEVICE_ID: &str = "dev-9a3b44d1";
/// The activation code as the user typed it; normalised it is `ABCDEFGHJKMNPQRS`.
const ACTIVATION_CODE: &str = "abcd-efgh jkmn-pqrs";

const CHALLENGE: &str = "c2VydmVyIGNoYWxsZW5nZSAwMDAwMDAwMDAwMDE";

fn main() -> Result<()> {
    let keys = Keys::fixed()?;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors");
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, json: String| write_file(&dir, name, &json);
    write("server_info", pretty(&server_info(&keys)?)?)?;
    write("key_rotation", pretty(&key_rotation(&keys)?)?)?;
    write("activation", pretty(&activation(&keys)?)?)?;
    write("activation_proofs", pretty(&activation_proofs(&keys)?)?)?;
    write("device_request", pretty(&device_request(&keys)?)?)?;
    write("approval_request", pretty(&approval_request(&keys)?)?)?;
    write("decision", pretty(&decision(&keys)?)?)?;
    write("device_status", pretty(&device_status(&keys)?)?)?;
    write("request_closed", pretty(&request_closed(&keys)?)?)?;
    write("heartbeat", pretty(&heartbeat(&keys)?)?)?;
    write("unlock_challenge", pretty(&unlock_challenge(&keys)?)?)?;
    write("unlock", pretty(&unlock(&keys)?)?)?;
    write("pin_change", pretty(&pin_change(&keys)?)?)?;
    write("device_revoke", pretty(&device_revoke(&keys)?)?)?;
    write("uv_key", pretty(&uv_key(&keys)?)?)?;
    write("rp_result", pretty(&rp_result(&keys)?)?)?;
    println!("\nkeys (name, private key, kid, public key):");
    for (name, private, key) in keys.table() {
        println!("{name:13} {private:27} {} {}", key.kid(), key.b64());
    }
    Ok(())
}

fn pretty<T: Serialize>(vectors: &T) -> Result<String> {
    Ok(serde_json::to_string_pretty(vectors)? + "\n")
}

fn write_file(dir: &Path, name: &str, json: &str) -> Result<()> {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, json)?;
    println!("wrote {}", path.display());
    Ok(())
}
