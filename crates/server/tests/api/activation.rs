//! Activation: the right code, wrong codes burning it, expiry, and a proof over a
//! swapped server key.

use godkend_core::DeviceKey;
use godkend_core::activation::ActivationInput;
use godkend_core::activation_exchange::activate_with_key;
use godkend_core::pin::{KdfParams, derive_pin_key};
use godkend_protocol::messages::activation::device_proof;
use godkend_protocol::{ErrorCode, PublicKey};
use serde_json::{Value, json};

use crate::common::{Db, PIN, TestServer};

both_backends!(
    right_code_activates_and_shows_in_device_list,
    five_wrong_proofs_burn_the_code,
    expired_code_is_refused,
    proof_over_another_server_key_is_rejected,
    fourth_device_is_refused,
    manual_entry_activates_with_a_sloppily_typed_code,
);

/// Server address, user and code typed by hand (lower case, spaces): the code is
/// normalised before use and never sent; without a link there is no key id to
/// check, and the device pins the key the server presents.
async fn manual_entry_activates_with_a_sloppily_typed_code(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("frida");
    let code = code_of(&server.activation_link("frida"));
    let typed = code.to_lowercase().replace('-', " ");
    let input = ActivationInput {
        server_url: url::Url::parse(&server.url).unwrap(),
        user: "frida".into(),
        code: typed,
        expected_kid: None,
        device_name: "laptop".into(),
    };
    let pin = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32]).unwrap();
    let activated = godkend_core::activation_exchange::activate(&input, &pin)
        .await
        .unwrap();
    assert_eq!(activated.server_key, server.server_key().await);
    assert_eq!(activated.activation.user, "frida");
}

async fn post_activation(server: &TestServer, body: &Value) -> (u16, Value) {
    let r = server
        .http
        .post(format!("{}/v1/device/activate", server.url))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn code_of(link: &str) -> String {
    godkend_protocol::messages::ActivationLink::parse(link)
        .unwrap()
        .code
}

async fn right_code_activates_and_shows_in_device_list(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    assert!(device.serial.starts_with("GK-"));
    godkend_protocol::Serial::parse(&device.serial).expect("a valid serial");
    let list = server.admin(&["device", "list", "alice"]).unwrap();
    assert_eq!(list[0]["serial"], device.serial.as_str());
    assert_eq!(list[0]["status"], "active");
    // The code is single use.
    let link = server.activation_link("alice");
    let first = godkend_core::activation::ActivationInput::from_link(&link, "x").unwrap();
    let pin = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32]).unwrap();
    let key = server.server_key().await;
    activate_with_key(&first, &pin, key.clone(), DeviceKey::generate())
        .await
        .unwrap();
    let again = activate_with_key(&first, &pin, key, DeviceKey::generate())
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some(ErrorCode::ActivationInvalid), "{again}");
}

async fn five_wrong_proofs_burn_the_code(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("bob");
    let link = server.activation_link("bob");
    let input = ActivationInput::from_link(&link, "laptop").unwrap();
    let key = server.server_key().await;
    let pin = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32]).unwrap();
    let mut wrong = input.clone();
    wrong.code = "WRONGCODEWRONGCO".into();
    let mut lefts = Vec::new();
    for _ in 0..5 {
        let err = activate_with_key(&wrong, &pin, key.clone(), DeviceKey::generate())
            .await
            .unwrap_err();
        let problem = err.problem().expect("a problem answer").clone();
        lefts.push((problem.code, problem.attempts_left));
    }
    // One answer for every failure: nothing tells whether a code is open.
    assert!(
        lefts
            .iter()
            .all(|l| *l == (ErrorCode::ActivationInvalid, None)),
        "{lefts:?}"
    );
    // Now even the right code no longer works.
    let err = activate_with_key(&input, &pin, key, DeviceKey::generate())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ActivationInvalid), "{err}");
    let audit = server.admin(&["audit"]).unwrap();
    let failures = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "activation_failed")
        .count();
    assert_eq!(failures, 6);
}

async fn expired_code_is_refused(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("carol");
    let out = server
        .admin(&["activation", "create", "carol", "--ttl", "1s"])
        .unwrap();
    let link = out["link"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let input = ActivationInput::from_link(&link, "laptop").unwrap();
    let pin = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32]).unwrap();
    let err = activate_with_key(
        &input,
        &pin,
        server.server_key().await,
        DeviceKey::generate(),
    )
    .await
    .unwrap_err();
    // The same answer as a wrong code: nothing tells whether a code was open.
    assert_eq!(err.code(), Some(ErrorCode::ActivationInvalid), "{err}");
}

async fn proof_over_another_server_key_is_rejected(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("dave");
    let code = code_of(&server.activation_link("dave"));
    // A man in the middle presents its own key; the device proves over what it saw.
    let mitm_key =
        PublicKey::from_signing_key(&ed25519_dalek::SigningKey::from_bytes(&[9; 32])).to_b64();
    let device_key = DeviceKey::generate().public().to_b64();
    let pin_key = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32])
        .unwrap()
        .public()
        .to_b64();
    let proof = device_proof(&code, "dave", &device_key, &pin_key, &mitm_key).unwrap();
    let body = json!({"user": "dave", "device_key": device_key, "pin_key": pin_key,
                      "server_key": mitm_key, "device_name": "x", "proof": proof});
    let (status, problem) = post_activation(&server, &body).await;
    assert_eq!(status, 403);
    assert_eq!(problem["code"], "activation_invalid");
    // The proof never contained the code: the right proof over the real key still works.
    let real = server.server_key().await.to_b64();
    let proof = device_proof(&code, "dave", &device_key, &pin_key, &real).unwrap();
    let body = json!({"user": "dave", "device_key": device_key, "pin_key": pin_key,
                      "server_key": real, "device_name": "x", "proof": proof});
    let (status, answer) = post_activation(&server, &body).await;
    assert_eq!(status, 200, "{answer}");
}

async fn fourth_device_is_refused(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("erin");
    for _ in 0..3 {
        server.device("erin").await;
    }
    let link = server.activation_link("erin");
    let input = ActivationInput::from_link(&link, "fourth").unwrap();
    let pin = derive_pin_key(PIN, b"salt-salt-salt-1", KdfParams::MINIMUM, &[3; 32]).unwrap();
    let err = activate_with_key(
        &input,
        &pin,
        server.server_key().await,
        DeviceKey::generate(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DeviceLimit), "{err}");
}
