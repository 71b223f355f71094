//! Activation's exchange with the server: from an `ActivationInput` to an
//! `Activated` device, with the HMAC proof both ways (design.md §4). The code never
//! leaves the device.

use godkend_protocol::PublicKey;
use godkend_protocol::messages::activation::{device_proof, proofs_equal, server_proof};
use godkend_protocol::messages::{
    Activation, ActivationRequest, ActivationResponse, ServerInfoResponse,
};

use crate::CoreError;
use crate::activation::{Activated, ActivationInput};
use crate::client::{ServerClient, read_json};
use crate::keys::{DeviceKey, PinKey};

/// Fetches the server's self-signed info: the key a new device pins. With a link the
/// key id must match the one the admin handed out.
pub async fn discover_server_key(input: &ActivationInput) -> Result<PublicKey, CoreError> {
    godkend_protocol::rules::check_transport(&input.server_url).map_err(CoreError::InsecureUrl)?;
    let http = crate::client::http_client()?;
    let url = format!(
        "{}/v1/server-info",
        input.server_url.as_str().trim_end_matches('/')
    );
    let info: ServerInfoResponse = read_json(http.get(url).send().await?).await?;
    let claimed: godkend_protocol::messages::ServerInfo = info.info.peek()?;
    let key = PublicKey::ed25519_b64(&claimed.server_key)?;
    info.info
        .verify(&key)
        .map_err(CoreError::BadServerSignature)?;
    if let Some(expected) = &input.expected_kid
        && &key.kid() != expected
    {
        // The link names the key the admin saw; anything else may be a man in the middle.
        return Err(CoreError::BadServerSignature(
            godkend_protocol::ProtocolError::MissingSignature {
                kid: expected.clone(),
            },
        ));
    }
    Ok(key)
}

/// Registers a new device key and the PIN's public key with the server.
pub async fn activate(input: &ActivationInput, pin: &PinKey) -> Result<Activated, CoreError> {
    let server_key = discover_server_key(input).await?;
    activate_with_key(input, pin, server_key, DeviceKey::generate()).await
}

/// The activation exchange against a known server key.
pub async fn activate_with_key(
    input: &ActivationInput,
    pin: &PinKey,
    server_key: PublicKey,
    device_key: DeviceKey,
) -> Result<Activated, CoreError> {
    let client = ServerClient::new(input.server_url.clone(), server_key.clone())?;
    let device_key_b64 = device_key.public().to_b64();
    let pin_key_b64 = pin.public().to_b64();
    let server_key_b64 = server_key.to_b64();
    let body = ActivationRequest {
        user: input.user.clone(),
        device_key: device_key_b64.clone(),
        pin_key: pin_key_b64.clone(),
        server_key: server_key_b64.clone(),
        device_name: input.device_name.clone(),
        proof: device_proof(
            &input.code,
            &input.user,
            &device_key_b64,
            &pin_key_b64,
            &server_key_b64,
        )?,
    };
    let response = client
        .http()
        .post(client.url("/v1/device/activate"))
        .json(&body)
        .send()
        .await?;
    let answer: ActivationResponse = read_json(response).await?;
    let activation: Activation = client.open(&answer.activation)?;
    let expected = server_proof(
        &input.code,
        &input.user,
        &activation.device_id,
        &device_key_b64,
        &server_key_b64,
    )?;
    if !proofs_equal(&expected, &activation.proof)
        || activation.device_key != device_key_b64
        || activation.user != input.user
    {
        return Err(CoreError::Malformed(
            "the server could not prove it knew the activation code".into(),
        ));
    }
    Ok(Activated {
        activation,
        server_key,
        device_key,
    })
}
