//! Biometric user-verification keys: registered with the PIN, usable for approvals
//! the relying party allows (and, for `software` keys, the operator), recorded with
//! their kind, and removable.

use godkend_core::CoreError;
use godkend_core::decision::SignedDecision;
use godkend_core::uv::offer::SoftwareUvPolicy;
use godkend_core::uv::software::SoftwareSigner;
use godkend_core::uv::test_signers::TestSigner;
use godkend_core::uv::{Availability, UvError, UvSigner};
use godkend_protocol::messages::{RequestState, UvKind};
use godkend_protocol::{Algorithm, ErrorCode, PublicKey};
use serde_json::json;

use crate::common::{Db, Device, PIN, Rp, TestServer, WRONG_PIN, verify_result};

both_backends!(
    an_approval_carries_exactly_one_second_factor,
    uv_key_approves_what_the_rp_allows_and_can_be_removed,
    software_uv_key_unlocks_but_approves_only_when_the_server_allows_it,
    platform_keys_sign_through_the_signer_and_a_wrong_key_is_refused,
);

/// Besides the device's signature an approval carries one second factor: the
/// biometric key's signature or the PIN's. An extra entry (under a key id nobody
/// registered) is refused with the biometric key as with the PIN, counts as no wrong
/// PIN, and the same approval without it goes through.
async fn an_approval_carries_exactly_one_second_factor(db: Db) {
    let server = TestServer::start_with(db, &["--allow-software-uv"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let fingerprint = SoftwareSigner::from_seed(&[77; 32]);
    device
        .client
        .register_uv(&fingerprint, &device.pin(PIN))
        .await
        .unwrap();
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[78; 32]);
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let with_uv = device
        .client
        .approve_with(&request, &created.code, &fingerprint, "Approve")
        .await
        .unwrap();
    let with_pin = device
        .client
        .approve(&request, &created.code, &device.pin(PIN))
        .unwrap();
    for (what, signed) in [("biometric", &with_uv), ("PIN", &with_pin)] {
        let mut padded = signed.envelope.clone();
        padded.sign_with(&stranger).unwrap();
        let err = device
            .client
            .send_decision(&signed.request_id, padded.to_json().unwrap().as_bytes())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::BadRequest), "{what}: {err}");
    }
    assert_eq!(
        rp.status(&created.request_id).await.status,
        RequestState::Pending
    );
    approved_by_software_key(&server, &rp, &device, &with_uv).await;
}

/// Sends `signed` and checks the relying party's signed result: approved, and by a
/// software-protected key.
async fn approved_by_software_key(
    server: &TestServer,
    rp: &Rp,
    device: &Device,
    signed: &SignedDecision,
) {
    device
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap();
    let result = verify_result(
        &rp.status(&signed.request_id).await,
        &server.server_key().await,
    );
    assert_eq!(result.status, RequestState::Approved);
    assert_eq!(result.user_verification, Some(UvKind::Software));
}

async fn uv_key_approves_what_the_rp_allows_and_can_be_removed(db: Db) {
    let server = TestServer::start_with(db, &["--allow-software-uv"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let info = device.client.server.server_info().await.unwrap();
    assert_eq!(SoftwareUvPolicy::of(&info), SoftwareUvPolicy::Approves);
    let uv = ed25519_dalek::SigningKey::from_bytes(&[77; 32]);
    let uv_public = PublicKey::from_signing_key(&uv).to_b64();

    // Registering needs the right PIN.
    let err = device
        .client
        .register_uv_key(
            Algorithm::Ed25519,
            &uv_public,
            UvKind::Software,
            &device.pin(WRONG_PIN),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::WrongPin));
    device
        .client
        .register_uv_key(
            Algorithm::Ed25519,
            &uv_public,
            UvKind::Software,
            &device.pin(PIN),
        )
        .await
        .unwrap();

    // A request that accepts any verification: approved with the biometric key, and
    // the relying party learns it was a software-protected key.
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let signed = device
        .client
        .approve_with_uv(&request, &created.code, &uv)
        .unwrap();
    approved_by_software_key(&server, &rp, &device, &signed).await;

    // A request that requires the PIN, or hardware: the software key does not qualify.
    for required in ["pin", "hardware"] {
        let created = rp
            .create(
                &json!({"user": "alice", "kind": "payment", "title": "Pay", "message": "m",
                            "user_verification": required}),
            )
            .await;
        let request = device.pending_one().await;
        let signed = device
            .client
            .approve_with_uv(&request, &created.code, &uv)
            .unwrap();
        let err = device
            .client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(ErrorCode::UserVerificationInsufficient),
            "{required}"
        );
        // The PIN still works for it.
        let answer = device.approve(&request, &created.code, PIN).await.unwrap();
        assert_eq!(answer.status, RequestState::Approved);
    }

    // A biometric key cannot change the PIN (on Linux any program of the user could
    // read it): refused outright, and not counted as a wrong PIN.
    let change = godkend_protocol::messages::PinChange {
        iat: device.client.server.server_now(),
        device_id: device.client.device_id.clone(),
        nonce: "n1".into(),
        new_pin_key: device.pin("528193").public().to_b64(),
    };
    let signed =
        godkend_protocol::Envelope::seal(&change, &[device.client.key().signing_key(), &uv])
            .unwrap();
    let response = device
        .client
        .call(
            reqwest::Method::POST,
            "/v1/device/pin",
            Some(signed.to_json().unwrap().into_bytes()),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let problem: godkend_protocol::Problem = response.json().await.unwrap();
    assert_eq!(problem.code, ErrorCode::BadRequest);
    device
        .client
        .unlock(&device.pin(PIN))
        .await
        .expect("the PIN is unchanged");

    // Removed: the key no longer approves anything.
    device.client.remove_uv_key().await.unwrap();
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let signed = device
        .client
        .approve_with_uv(&request, &created.code, &uv)
        .unwrap();
    let err = device
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap_err();
    // The approval declares its biometric key, which the server no longer holds:
    // refused as an unknown key, never as a wrong PIN (five of those would block the
    // device), and the request stays pending for the PIN.
    assert_eq!(err.code(), Some(ErrorCode::UvKeyUnknown), "{err}");
    assert_eq!(err.problem().and_then(|p| p.attempts_left), None);
    let stale_key = SoftwareSigner::from_seed(&[77; 32]);
    let err = device
        .client
        .unlock_with(&stale_key, "Unlock Godkend")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UvKeyUnknown), "{err}");
    let err = device
        .client
        .unlock(&device.pin(WRONG_PIN))
        .await
        .unwrap_err();
    assert_eq!(
        err.problem().and_then(|p| p.attempts_left),
        Some(4),
        "the stale key's tries were not counted as wrong PINs"
    );
    let answer = device.approve(&request, &created.code, PIN).await.unwrap();
    assert_eq!(answer.status, RequestState::Approved);
}

/// Without `--allow-software-uv` a `software` key (the Linux fingerprint key, in the
/// keyring next to the device key) unlocks the app but cannot approve: the refusal is
/// final (403), no wrong PIN is counted, and the request stays pending for the PIN.
/// Driven through core's signer API, as the app drives it.
async fn software_uv_key_unlocks_but_approves_only_when_the_server_allows_it(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let fingerprint = SoftwareSigner::from_seed(&[78; 32]);
    // The server says so in its signed info, so the app can say why.
    let info = device.client.server.server_info().await.unwrap();
    assert!(!info.software_uv_approves);
    assert_eq!(SoftwareUvPolicy::of(&info), SoftwareUvPolicy::UnlocksOnly);
    device
        .client
        .register_uv(&fingerprint, &device.pin(PIN))
        .await
        .unwrap();

    device
        .client
        .unlock_with(&fingerprint, "Unlock Godkend")
        .await
        .expect("a software key unlocks the app for viewing");

    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    let signed = device
        .client
        .approve_with(&request, &created.code, &fingerprint, "Approve")
        .await
        .unwrap();
    let err = device
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UvNotAllowed), "{err}");
    let problem = err.problem().unwrap();
    assert_eq!(problem.status, 403);
    assert_eq!(problem.attempts_left, None);
    // An app that does not know the code judges it final by its 4xx status.
    assert!(godkend_protocol::problem::is_final_status(problem.status));
    assert_eq!(
        rp.status(&created.request_id).await.status,
        RequestState::Pending
    );

    // Not counted as a wrong PIN: the next wrong PIN is the first of five.
    let err = device
        .approve(&request, &created.code, WRONG_PIN)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::WrongPin));
    assert_eq!(err.problem().unwrap().attempts_left, Some(4));
    let answer = device.approve(&request, &created.code, PIN).await.unwrap();
    assert_eq!(answer.status, RequestState::Approved);
    let result = verify_result(
        &rp.status(&created.request_id).await,
        &server.server_key().await,
    );
    assert_eq!(result.user_verification, Some(UvKind::Pin));

    // A request that requires the PIN says so, whatever the server's policy.
    let created = rp
        .create(
            &json!({"user": "alice", "kind": "login", "title": "Sign in",
                        "message": "m", "user_verification": "pin"}),
        )
        .await;
    let request = device.pending_one().await;
    let signed = device
        .client
        .approve_with(&request, &created.code, &fingerprint, "Approve")
        .await
        .unwrap();
    let err = device
        .client
        .send_decision(&signed.request_id, &signed.bytes)
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(ErrorCode::UserVerificationInsufficient),
        "{err}"
    );

    // Turned off: gone at the server and where it lived.
    device.client.remove_uv(&fingerprint).await.unwrap();
    assert!(matches!(
        fingerprint.availability().await,
        Availability::Unavailable(_)
    ));
    let err = device
        .client
        .unlock_with(&fingerprint, "Unlock Godkend")
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::UserVerification(UvError::Unavailable(_))),
        "{err}"
    );
    // A copy of the key kept elsewhere no longer unlocks either, and does not
    // count as a wrong PIN.
    let copy = SoftwareSigner::from_seed(&[78; 32]);
    let err = device
        .client
        .unlock_with(&copy, "Unlock Godkend")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::UvKeyUnknown), "{err}");
}

/// Windows Hello (RSA-2048) and Secure Enclave (P-256, DER turned into r‖s) keys, by
/// their test doubles: registered and used through the same signer path as the
/// ed25519 key, accepted as `hardware` where the RP requires it; a signature by
/// another key under the registered key's id is refused and leaves the request open.
async fn platform_keys_sign_through_the_signer_and_a_wrong_key_is_refused(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let server_key = server.server_key().await;
    let cases = [
        (
            TestSigner::es256(9, UvKind::Hardware),
            TestSigner::es256(10, UvKind::Hardware),
        ),
        (
            TestSigner::rs256(UvKind::Hardware),
            TestSigner::rs256_other(UvKind::Hardware),
        ),
    ];
    for (platform, other) in &cases {
        let alg = platform.alg().as_str();
        device
            .client
            .register_uv(platform, &device.pin(PIN))
            .await
            .unwrap();
        device
            .client
            .unlock_with(platform, "Unlock Godkend")
            .await
            .unwrap_or_else(|e| panic!("{alg} unlock: {e}"));

        let hardware = json!({"user": "alice", "kind": "payment", "title": "Pay",
                              "message": "m", "user_verification": "hardware"});
        let created = rp.create(&hardware).await;
        let request = device.pending_one().await;
        let signed = device
            .client
            .approve_with(&request, &created.code, platform, "Approve the payment")
            .await
            .unwrap();
        let answer = device
            .client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
            .unwrap_or_else(|e| panic!("{alg} approve: {e}"));
        assert_eq!(answer.status, RequestState::Approved, "{alg}");
        let result = verify_result(&rp.status(&created.request_id).await, &server_key);
        assert_eq!(result.user_verification, Some(UvKind::Hardware), "{alg}");

        // Another key of the same algorithm signs, under the registered key's id.
        let created = rp.create(&hardware).await;
        let request = device.pending_one().await;
        let mut forged = device
            .client
            .approve_with(&request, &created.code, other, "Approve the payment")
            .await
            .unwrap();
        forged.envelope.signatures[1].kid = platform.public_key().kid();
        let bytes = forged.envelope.to_json().unwrap().into_bytes();
        let err = device
            .client
            .send_decision(&forged.request_id, &bytes)
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(ErrorCode::InvalidSignature),
            "{alg}: {err}"
        );
        assert_eq!(
            rp.status(&created.request_id).await.status,
            RequestState::Pending,
            "{alg}"
        );
        // Nothing was counted: the PIN closes it.
        let answer = device.approve(&request, &created.code, PIN).await.unwrap();
        assert_eq!(answer.status, RequestState::Approved, "{alg}");
    }
}
