//! The HMAC proofs of activation (activation_proofs.json): not signed objects, but
//! the codes' proofs both ways, over canonical JSON.

use godkend_protocol::canonical;
use godkend_protocol::messages::activation::{
    CODE_ALPHABET, device_proof, normalise_code, server_proof,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::kit::Keys;
use super::{ACTIVATION_CODE, DEVICE_ID, Result, USER};

/// One HMAC proof of activation_proofs.json.
#[derive(Serialize)]
pub struct ProofVector {
    description: &'static str,
    valid: bool,
    role: &'static str,
    code: &'static str,
    normalised_code: String,
    input: Value,
    canonical: String,
    proof: String,
}

pub fn activation_proofs(k: &Keys) -> Result<Vec<ProofVector>> {
    let normalised = normalise_code(ACTIVATION_CODE);
    debug_assert!(normalised.bytes().all(|b| CODE_ALPHABET.contains(&b)));
    let device_input = |server_key: String| {
        json!({"role": "device", "user": USER, "device_key": k.device.b64(),
               "pin_key": k.pin.b64(), "server_key": server_key})
    };
    let server_input = json!({"role": "server", "user": USER, "device_id": DEVICE_ID,
                              "device_key": k.device.b64(), "server_key": k.server.b64()});
    let device_proof_for = |code: &str, server_key: &str| {
        device_proof(code, USER, &k.device.b64(), &k.pin.b64(), server_key)
    };
    let server = server_proof(
        ACTIVATION_CODE,
        USER,
        DEVICE_ID,
        &k.device.b64(),
        &k.server.b64(),
    )?;
    let device = device_proof_for(ACTIVATION_CODE, &k.server.b64())?;
    let vector = |description, valid, role, input: Value, proof: String| -> Result<ProofVector> {
        Ok(ProofVector {
            description,
            valid,
            role,
            code: ACTIVATION_CODE,
            normalised_code: normalised.clone(),
            canonical: canonical::to_string(&input)?,
            input,
            proof,
        })
    };
    Ok(vec![
        vector(
            "the device's proof",
            true,
            "device",
            device_input(k.server.b64()),
            device.clone(),
        )?,
        vector(
            "the server's answering proof",
            true,
            "server",
            server_input.clone(),
            server,
        )?,
        vector(
            "a device proof made for a swapped server key (a man in the middle), checked by \
             the real server with its own key",
            false,
            "device",
            device_input(k.server.b64()),
            device_proof_for(ACTIVATION_CODE, &k.server_next.b64())?,
        )?,
        vector(
            "a device proof made with a mistyped code",
            false,
            "device",
            device_input(k.server.b64()),
            device_proof_for("ABCD-EFGH-JKMN-PQRT", &k.server.b64())?,
        )?,
        vector(
            "the device's own proof sent back as the server's",
            false,
            "server",
            server_input,
            device,
        )?,
    ])
}
