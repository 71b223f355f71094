//! Origin binding (PROTOCOL.md §7.3), against the real server: each request's
//! `origin_binding` signed with the RP's origins, and how the server judges a
//! decision's `origin`: verified approvals without a code, mismatches refused and
//! recorded as suspected phishing, `required` without a hand-off refused, the typed
//! code otherwise. How relying parties' origins are registered is in rp_origins.rs.

use godkend_core::push::VerifiedRequest;
use godkend_protocol::messages::{Decision, DecisionKind, OriginBinding, RequestState, UvKind};
use godkend_protocol::{Envelope, ErrorCode, PublicKey};
use serde_json::{Value, json};

use crate::common::{Db, Device, PIN, Rp, TestServer, WRONG_PIN, verify_result};

both_backends!(
    approval_verified_by_the_origin_needs_no_code,
    approval_from_a_mismatched_origin_is_refused_counts_nothing_and_sticks,
    required_binding_refuses_an_approval_without_a_hand_off,
    preferred_binding_without_a_hand_off_needs_the_code,
    deny_or_not_me_from_a_lookalike_records_suspected_phishing,
    off_binding_ignores_origins,
);

pub(crate) const SHOP: &str = "https://shop.example";
const LOOKALIKE: &str = "https://shop-example.login.test";

/// A server with user alice, her device, and the RP `shop` with two origins.
async fn setup(db: Db) -> (TestServer, Rp, Device) {
    // No push backoff: a test may deny and then ask again at once.
    let server = TestServer::start_with(db, &["--push-backoff-seconds", "0"]).await;
    server.add_user("alice");
    let rp = server.add_rp_with_origins("shop", "Shop", &[SHOP, "https://www.shop.example:8443"]);
    let device = server.device("alice").await;
    (server, rp, device)
}

/// A sign-in request with `binding`; returns its code and the device's verified copy.
async fn ask(rp: &Rp, device: &Device, binding: &str) -> (String, VerifiedRequest) {
    let created = rp
        .create(
            &json!({"user": "alice", "kind": "login", "title": "Sign in to Shop",
                        "message": "Sign in from Firefox", "origin_binding": binding}),
        )
        .await;
    let request = device.pending_one().await;
    assert_eq!(request.request.request_id, created.request_id);
    (created.code, request)
}

/// Signs a decision as the app would, with the hand-off's `origin` if any; an approve
/// is also signed by the key of `pin`. Returns the server's answer.
async fn decide(
    device: &Device,
    request: &VerifiedRequest,
    kind: DecisionKind,
    code: Option<&str>,
    origin: Option<&str>,
    pin: &str,
) -> Result<RequestState, godkend_core::CoreError> {
    let decision = Decision {
        iat: device.client.server.server_now().max(request.request.iat),
        device_id: device.client.device_id.clone(),
        request_id: request.request.request_id.clone(),
        nonce: request.request.nonce.clone(),
        request_hash: request.hash.clone(),
        decision: kind,
        code: code.map(str::to_owned),
        uv_kid: None,
        origin: origin.map(str::to_owned),
    };
    let pin_key = device.pin(pin);
    let device_key = device.client.key().signing_key();
    let keys = if kind == DecisionKind::Approve {
        vec![device_key, pin_key.signing_key()]
    } else {
        vec![device_key]
    };
    let envelope = Envelope::seal(&decision, &keys).unwrap();
    let bytes = envelope.to_json().unwrap().into_bytes();
    device
        .client
        .send_decision(&decision.request_id, &bytes)
        .await
        .map(|answer| answer.status)
}

fn refused_with(answer: Result<RequestState, godkend_core::CoreError>, code: ErrorCode) {
    match answer {
        Err(e) => assert_eq!(e.code(), Some(code), "{e}"),
        Ok(state) => panic!("accepted as {state:?}, expected {code:?}"),
    }
}

/// The RP's signed result, verified, with the device's signature on the decision.
pub(crate) async fn signed_result(
    server: &TestServer,
    rp: &Rp,
    id: &str,
) -> godkend_protocol::messages::RpResult {
    let status = rp.wait(id, 10).await;
    let result = verify_result(&status, &server.server_key().await);
    if let Some(decision) = &result.decision {
        let key = PublicKey::ed25519_b64(result.device_key.as_ref().unwrap()).unwrap();
        Envelope {
            payload: decision.clone(),
            signatures: vec![result.device_signature.clone().unwrap()],
        }
        .verify(&key)
        .expect("the device signature on the decision verifies");
    }
    result
}

pub(crate) fn audit_events(server: &TestServer) -> Vec<Value> {
    server
        .admin(&["audit"])
        .expect("audit")
        .as_array()
        .unwrap()
        .clone()
}

async fn approval_verified_by_the_origin_needs_no_code(db: Db) {
    let (server, rp, device) = setup(db).await;
    let (_, request) = ask(&rp, &device, "required").await;
    // The device learns the binding and the origins only from the signed request.
    assert_eq!(request.request.origin_binding, OriginBinding::Required);
    assert_eq!(
        request.request.rp_origins,
        [SHOP, "https://www.shop.example:8443"]
    );
    assert_eq!(request.envelope.payload["rp_origins"][0], SHOP);

    // The PIN is still required: a wrong one is a wrong PIN.
    let wrong = decide(
        &device,
        &request,
        DecisionKind::Approve,
        None,
        Some(SHOP),
        WRONG_PIN,
    )
    .await;
    match wrong {
        Err(e) => {
            assert_eq!(e.code(), Some(ErrorCode::WrongPin), "{e}");
        }
        Ok(state) => panic!("a wrong PIN approved: {state:?}"),
    }
    let state = decide(
        &device,
        &request,
        DecisionKind::Approve,
        None,
        Some(SHOP),
        PIN,
    )
    .await
    .unwrap();
    assert_eq!(state, RequestState::Approved);

    let result = signed_result(&server, &rp, &request.request.request_id).await;
    assert_eq!(result.status, RequestState::Approved);
    assert!(result.origin_verified);
    assert_eq!(result.origin.as_deref(), Some(SHOP));
    assert!(!result.suspected_phishing);
    assert_eq!(result.user_verification, Some(UvKind::Pin));
    let decision = result.decision.unwrap();
    assert_eq!(decision["origin"], SHOP);
    assert!(decision.get("code").is_none(), "{decision}");
    assert!(audit_events(&server).iter().any(|e| {
        e["event"] == "decision"
            && e["detail"]
                .as_str()
                .unwrap()
                .ends_with("approve origin-verified")
    }),);
}

async fn approval_from_a_mismatched_origin_is_refused_counts_nothing_and_sticks(db: Db) {
    let (server, rp, device) = setup(db).await;
    let (code, request) = ask(&rp, &device, "preferred").await;
    // Five approvals from the lookalike with a wrong PIN and a wrong code: refused
    // before the PIN or the code is looked at, so none counts (five wrong PINs would
    // block the device, three wrong codes fail the request).
    for _ in 0..5 {
        let answer = decide(
            &device,
            &request,
            DecisionKind::Approve,
            Some("000000"),
            Some(LOOKALIKE),
            WRONG_PIN,
        )
        .await;
        refused_with(answer, ErrorCode::OriginMismatch);
    }
    // Without a code too: the origin, not the missing code, is the answer.
    let answer = decide(
        &device,
        &request,
        DecisionKind::Approve,
        None,
        Some(LOOKALIKE),
        PIN,
    )
    .await;
    refused_with(answer, ErrorCode::OriginMismatch);
    assert_eq!(
        rp.status(&request.request.request_id).await.status,
        RequestState::Pending
    );
    // Sticky: the genuine origin, or the right code, cannot approve it now.
    let answer = decide(
        &device,
        &request,
        DecisionKind::Approve,
        None,
        Some(SHOP),
        PIN,
    )
    .await;
    refused_with(answer, ErrorCode::OriginMismatch);
    let answer = decide(
        &device,
        &request,
        DecisionKind::Approve,
        Some(&code),
        None,
        PIN,
    )
    .await;
    refused_with(answer, ErrorCode::OriginMismatch);
    assert!(
        audit_events(&server)
            .iter()
            .any(|e| e["event"] == "suspected_phishing"
                && e["detail"].as_str().unwrap().contains(LOOKALIKE))
    );
    assert!(
        !audit_events(&server)
            .iter()
            .any(|e| e["event"] == "unlock_failed"),
        "a wrong PIN was counted"
    );
    // It can still be denied, and the RP learns why.
    let state = decide(&device, &request, DecisionKind::Deny, None, None, PIN)
        .await
        .unwrap();
    assert_eq!(state, RequestState::Denied);
    let result = signed_result(&server, &rp, &request.request.request_id).await;
    assert!(result.suspected_phishing);
    assert!(!result.origin_verified);
    assert_eq!(result.origin.as_deref(), Some(LOOKALIKE));

    // The device was never blocked: the next request approves with the right PIN.
    let (code, request) = ask(&rp, &device, "preferred").await;
    let state = decide(
        &device,
        &request,
        DecisionKind::Approve,
        Some(&code),
        None,
        PIN,
    )
    .await
    .unwrap();
    assert_eq!(state, RequestState::Approved);
}

async fn required_binding_refuses_an_approval_without_a_hand_off(db: Db) {
    let (server, rp, device) = setup(db).await;
    let (code, request) = ask(&rp, &device, "required").await;
    // The right code and PIN, but no hand-off: refused, nothing counted.
    for _ in 0..4 {
        let answer = decide(
            &device,
            &request,
            DecisionKind::Approve,
            Some(&code),
            None,
            PIN,
        )
        .await;
        refused_with(answer, ErrorCode::OriginRequired);
    }
    assert_eq!(
        rp.status(&request.request.request_id).await.status,
        RequestState::Pending
    );
    // The genuine page's hand-off approves it.
    let state = decide(
        &device,
        &request,
        DecisionKind::Approve,
        None,
        Some(SHOP),
        PIN,
    )
    .await
    .unwrap();
    assert_eq!(state, RequestState::Approved);
    assert!(
        signed_result(&server, &rp, &request.request.request_id)
            .await
            .origin_verified
    );
}

async fn preferred_binding_without_a_hand_off_needs_the_code(db: Db) {
    let (server, rp, device) = setup(db).await;
    // The default is `preferred`: an RP that sends nothing gets today's flow.
    let created = rp.login("alice").await;
    let request = device.pending_one().await;
    assert_eq!(request.request.origin_binding, OriginBinding::Preferred);
    let answer = decide(&device, &request, DecisionKind::Approve, None, None, PIN).await;
    refused_with(answer, ErrorCode::BadRequest);
    let answer = decide(
        &device,
        &request,
        DecisionKind::Approve,
        Some("000000"),
        None,
        PIN,
    )
    .await;
    match answer {
        Err(e) => {
            assert_eq!(e.code(), Some(ErrorCode::CodeMismatch), "{e}");
        }
        Ok(state) => panic!("a wrong code approved: {state:?}"),
    }
    // Today's app (godkend-core, no origin member at all) approves with the code.
    let answer = device.approve(&request, &created.code, PIN).await.unwrap();
    assert_eq!(answer.status, RequestState::Approved);
    let result = signed_result(&server, &rp, &created.request_id).await;
    assert!(!result.origin_verified);
    assert_eq!(result.origin, None);
    assert!(!result.suspected_phishing);
    let text = rp
        .status(&created.request_id)
        .await
        .result
        .unwrap()
        .to_json()
        .unwrap();
    assert!(text.contains("\"origin_verified\":false"), "{text}");
    assert!(!text.contains("suspected_phishing"), "{text}");
}

async fn deny_or_not_me_from_a_lookalike_records_suspected_phishing(db: Db) {
    let (server, rp, device) = setup(db).await;
    let (_, request) = ask(&rp, &device, "required").await;
    let state = decide(
        &device,
        &request,
        DecisionKind::NotMe,
        None,
        Some(LOOKALIKE),
        PIN,
    )
    .await
    .unwrap();
    assert_eq!(state, RequestState::NotMe);
    let result = signed_result(&server, &rp, &request.request.request_id).await;
    assert_eq!(result.status, RequestState::NotMe);
    assert!(result.suspected_phishing);
    assert!(!result.origin_verified);
    assert_eq!(result.origin.as_deref(), Some(LOOKALIKE));
    let audit = audit_events(&server);
    let phishing: Vec<&Value> = audit
        .iter()
        .filter(|e| e["event"] == "suspected_phishing")
        .collect();
    assert_eq!(phishing.len(), 1, "{audit:?}");
    assert!(
        phishing[0]["detail"]
            .as_str()
            .unwrap()
            .contains(&request.request.request_id)
    );
    assert!(audit.iter().any(|e| e["event"] == "not_me_reported"));

    // A deny from the genuine origin is no phishing; the RP sees the origin verified.
    server.admin(&["user", "add", "bob"]).expect("user add bob");
    let bob = server.device("bob").await;
    rp.create(&json!({"user": "bob", "kind": "login", "title": "Sign in", "message": ""}))
        .await;
    let request = bob.pending_one().await;
    let state = decide(&bob, &request, DecisionKind::Deny, None, Some(SHOP), PIN)
        .await
        .unwrap();
    assert_eq!(state, RequestState::Denied);
    let result = signed_result(&server, &rp, &request.request.request_id).await;
    assert!(result.origin_verified);
    assert!(!result.suspected_phishing);
    assert_eq!(
        audit_events(&server)
            .iter()
            .filter(|e| e["event"] == "suspected_phishing")
            .count(),
        1
    );
}

async fn off_binding_ignores_origins(db: Db) {
    let (server, rp, device) = setup(db).await;
    let (code, request) = ask(&rp, &device, "off").await;
    assert_eq!(request.request.origin_binding, OriginBinding::Off);
    assert!(request.request.rp_origins.is_empty());
    // No origins to verify: an approval needs the code, whatever origin it names.
    let answer = decide(
        &device,
        &request,
        DecisionKind::Approve,
        None,
        Some(SHOP),
        PIN,
    )
    .await;
    refused_with(answer, ErrorCode::BadRequest);
    let state = decide(
        &device,
        &request,
        DecisionKind::Approve,
        Some(&code),
        Some(LOOKALIKE),
        PIN,
    )
    .await
    .unwrap();
    assert_eq!(state, RequestState::Approved);
    let result = signed_result(&server, &rp, &request.request.request_id).await;
    assert!(!result.origin_verified);
    assert_eq!(result.origin, None);
    assert!(!result.suspected_phishing);
}
