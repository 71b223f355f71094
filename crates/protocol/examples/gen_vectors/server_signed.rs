//! Vectors of the objects the server signs.

use godkend_protocol::messages::activation::server_proof;
use godkend_protocol::messages::{
    Activation, Amount, ApprovalRequest, CloseReason, Decision, DecisionKind, DeviceState,
    DeviceStatus, Heartbeat, KeyRotation, Organisation, RequestClosed, RequestContext, RequestKind,
    RequestState, RpResult, ServerInfo, UnlockChallenge, UnlockProof, UserVerification, UvKind,
    VersionPolicy,
};
use godkend_protocol::{Envelope, Serial, SignedObject, b64};
use serde_json::Value;

use super::device_signed::decision_of;
use super::kit::{Key, Keys, Signer, Vector, object, retyped, signed};
use super::{ACTIVATION_CODE, CHALLENGE, DEVICE_ID, OTHER_DEVICE_ID, Result, T0, USER};
use godkend_protocol::messages::OriginBinding;

pub fn organisation() -> Organisation {
    Organisation {
        name: "Example Bank A/S".into(),
        support_email: Some("support@example.com".into()),
        support_phone: Some("+45 70 10 20 30".into()),
        support_url: Some("https://example.com/help".into()),
    }
}

pub fn version_policy() -> VersionPolicy {
    VersionPolicy {
        latest: "0.2.0".into(),
        minimum: "0.1.0".into(),
        update_url: None,
    }
}

pub fn server_info(k: &Keys) -> Result<Vec<Vector>> {
    let info = |key: &Key, org: Organisation| ServerInfo {
        iat: T0,
        server_kid: key.kid(),
        server_key: key.b64(),
        public_url: "https://godkend.example.com".into(),
        org,
        version_policy: version_policy(),
        software_uv_approves: false,
    };
    let base = object(&info(&k.server, organisation()))?;
    let danish = Organisation {
        name: "Københavns Bank — kundeservice 🏦".into(),
        support_email: None,
        support_phone: Some("+45 33 12 34 56".into()),
        support_url: None,
    };
    Ok(vec![
        signed(
            "server info signed by the server key",
            base.clone(),
            &[&k.server],
        )?,
        signed(
            "server info after rotation, signed by the next key; non-ASCII text is not escaped",
            object(&info(&k.server_next, danish))?,
            &[&k.server_next],
        )?,
        signed(
            "public_url changed after signing",
            base.clone(),
            &[&k.server],
        )?
        .tampered(|o| {
            o.insert("public_url".into(), "https://evil.example.net".into());
        })?,
        signed(
            "signed by another key than the one listed",
            base.clone(),
            &[&k.server_next],
        )?
        .claimed_by(0, &k.server),
        signed(
            "the same fields signed as a `key_rotation`",
            retyped(base, KeyRotation::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
    ])
}

pub fn key_rotation(k: &Keys) -> Result<Vec<Vector>> {
    let rotation = object(&KeyRotation {
        iat: T0,
        old_kid: k.server.kid(),
        new_kid: k.server_next.kid(),
        new_key: k.server_next.b64(),
    })?;
    Ok(vec![
        signed(
            "the old server key vouches for the next one",
            rotation.clone(),
            &[&k.server],
        )?,
        signed(
            "signed by the new key itself instead of the old one",
            rotation.clone(),
            &[&k.server_next],
        )?
        .claimed_by(0, &k.server),
        signed(
            "new_key swapped after signing",
            rotation.clone(),
            &[&k.server],
        )?
        .tampered(|o| {
            o.insert("new_key".into(), k.other_device.b64().into());
        })?,
        signed(
            "a rotation signed as `server_info`",
            retyped(rotation, ServerInfo::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
    ])
}

pub fn activation(k: &Keys) -> Result<Vec<Vector>> {
    let answer = object(&Activation {
        iat: T0,
        device_id: DEVICE_ID.into(),
        serial: Serial::from_number(48_210_937_551).to_string(),
        user: USER.into(),
        device_key: k.device.b64(),
        org: organisation(),
        version_policy: version_policy(),
        proof: server_proof(
            ACTIVATION_CODE,
            USER,
            DEVICE_ID,
            &k.device.b64(),
            &k.server.b64(),
        )?,
    })?;
    Ok(vec![
        signed(
            "activation answer signed by the server key",
            answer.clone(),
            &[&k.server],
        )?,
        signed("serial changed after signing", answer.clone(), &[&k.server])?.tampered(|o| {
            o.insert("serial".into(), Serial::from_number(1).to_string().into());
        })?,
        signed(
            "signed by a key that is not the pinned server key (a man in the middle)",
            answer.clone(),
            &[&k.server_next],
        )?
        .claimed_by(0, &k.server),
        signed(
            "an activation signed as `device_status`",
            retyped(answer, DeviceStatus::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
    ])
}

pub fn login_request() -> ApprovalRequest {
    ApprovalRequest {
        iat: T0,
        exp: T0 + 120,
        request_id: "req-7d2e9b40c1".into(),
        nonce: "ZkRr8XvW0m3bQy1nWc5u7A".into(),
        user: USER.into(),
        rp_id: "webshop".into(),
        rp_name: "Example Webshop".into(),
        kind: RequestKind::Login,
        title: "Sign in".into(),
        message: "Sign in to Example Webshop".into(),
        amount: None,
        payee: None,
        context: RequestContext {
            ip: Some("203.0.113.7".into()),
            location: Some("Copenhagen, Denmark".into()),
            user_agent: Some("Firefox 133 on Linux".into()),
        },
        code_length: 6,
        user_verification: UserVerification::Any,
        origin_binding: OriginBinding::Preferred,
        rp_origins: vec![WEBSHOP_ORIGIN.into()],
    }
}

/// The web origin registered for the login request's relying party.
pub const WEBSHOP_ORIGIN: &str = "https://webshop.example";
/// A lookalike of it, as a phishing page would be served from.
pub const LOOKALIKE_ORIGIN: &str = "https://webshop-example.login.test";

pub fn approval_request(k: &Keys) -> Result<Vec<Vector>> {
    let hashed = |v: Vector| {
        let hash = b64::sha256_b64(&v.canonical);
        v.with("hash", hash.into())
    };
    let login = object(&login_request())?;
    let payment = object(&ApprovalRequest {
        iat: T0 + 1000,
        exp: T0 + 1600,
        request_id: "req-0b8e51aa77".into(),
        nonce: "p8YvN0c2kq5Ue1xT9dLwMg".into(),
        rp_id: "bank".into(),
        rp_name: "Example Bank".into(),
        kind: RequestKind::Payment,
        title: "Betaling".into(),
        message: "Overfør til \"Æblegården ApS\"\nFaktura 2026-001 ✓ 🍎".into(),
        amount: Some(Amount {
            value: "1250.00".into(),
            currency: "DKK".into(),
        }),
        payee: Some("Æblegården ApS, DK12345678".into()),
        code_length: 8,
        user_verification: UserVerification::Hardware,
        origin_binding: OriginBinding::Required,
        rp_origins: vec![
            "https://bank.example".into(),
            "https://xn--bnk-qla.example:8443".into(),
        ],
        ..login_request()
    })?;
    let action = object(&ApprovalRequest {
        request_id: "req-31c4f09e2d".into(),
        kind: RequestKind::Action,
        title: "Delete repository".into(),
        message: "Delete the repository example/website".into(),
        context: RequestContext::default(),
        code_length: 4,
        user_verification: UserVerification::Pin,
        origin_binding: OriginBinding::Off,
        rp_origins: Vec::new(),
        ..login_request()
    })?;
    Ok(vec![
        hashed(
            signed(
                "a login, judged 10 s after issue",
                login.clone(),
                &[&k.server],
            )?
            .at(T0 + 10),
        ),
        hashed(
            signed(
                "a payment with amount, payee, quotes, a newline and emoji; origin binding \
                 required, two origins (one IDN in punycode, one with a port)",
                payment,
                &[&k.server],
            )?
            .at(T0 + 1599),
        ),
        hashed(signed(
            "an action with an empty context, a 4-digit code and origin binding off",
            action,
            &[&k.server],
        )?),
        hashed(signed("expired: judged at exp", login.clone(), &[&k.server])?.at(T0 + 120))
            .invalid("time"),
        hashed(
            signed("title changed after signing", login.clone(), &[&k.server])?.tampered(|o| {
                o.insert("title".into(), "Sign in (safe)".into());
            })?,
        ),
        hashed(
            signed(
                "signed by a device key listed as the server key",
                login.clone(),
                &[&k.device],
            )?
            .claimed_by(0, &k.server),
        ),
        hashed(
            signed(
                "a request signed as a `decision`",
                retyped(login, Decision::TYPE),
                &[&k.server],
            )?
            .invalid("type"),
        ),
    ])
}

pub fn device_status(k: &Keys) -> Result<Vec<Vector>> {
    let status = |state, reason: Option<&str>| {
        object(&DeviceStatus {
            iat: T0,
            device_id: DEVICE_ID.into(),
            status: state,
            reason: reason.map(Into::into),
        })
    };
    let revoked = status(DeviceState::Revoked, Some("revoked by the user"))?;
    Ok(vec![
        signed("revoked", revoked.clone(), &[&k.server])?,
        signed(
            "blocked after five wrong PINs",
            status(DeviceState::Blocked, Some("wrong_pin"))?,
            &[&k.server],
        )?,
        signed(
            "active, no reason",
            status(DeviceState::Active, None)?,
            &[&k.server],
        )?,
        signed(
            "device_id changed after signing",
            revoked.clone(),
            &[&k.server],
        )?
        .tampered(|o| {
            o.insert("device_id".into(), OTHER_DEVICE_ID.into());
        })?,
        signed(
            "signed by the device key, not the server key",
            revoked.clone(),
            &[&k.device],
        )?
        .claimed_by(0, &k.server),
        signed(
            "a status signed as a `heartbeat`",
            retyped(revoked, Heartbeat::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
    ])
}

pub fn request_closed(k: &Keys) -> Result<Vec<Vector>> {
    let closed = |reason| {
        object(&RequestClosed {
            iat: T0 + 40,
            device_id: DEVICE_ID.into(),
            request_id: "req-7d2e9b40c1".into(),
            reason,
        })
    };
    let withdrawn = closed(CloseReason::Withdrawn)?;
    Ok(vec![
        signed(
            "withdrawn: decided on another device",
            withdrawn.clone(),
            &[&k.server],
        )?,
        signed("superseded", closed(CloseReason::Superseded)?, &[&k.server])?,
        signed("expired", closed(CloseReason::Expired)?, &[&k.server])?,
        signed(
            "failed: 3 wrong codes, or the last device ended",
            closed(CloseReason::Failed)?,
            &[&k.server],
        )?,
        signed(
            "reason changed after signing",
            withdrawn.clone(),
            &[&k.server],
        )?
        .tampered(|o| {
            o.insert("reason".into(), "expired".into());
        })?,
        signed(
            "signed by another key",
            withdrawn.clone(),
            &[&k.server_next],
        )?
        .claimed_by(0, &k.server),
        signed(
            "signed as a `device_status`",
            retyped(withdrawn, DeviceStatus::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
    ])
}

pub fn heartbeat(k: &Keys) -> Result<Vec<Vector>> {
    let beat = object(&Heartbeat {
        iat: T0 + 15,
        device_id: DEVICE_ID.into(),
    })?;
    Ok(vec![
        signed("heartbeat", beat.clone(), &[&k.server])?,
        signed("iat changed after signing", beat.clone(), &[&k.server])?.tampered(|o| {
            o.insert("iat".into(), (T0 + 3600).into());
        })?,
        signed("signed by another key", beat.clone(), &[&k.device])?.claimed_by(0, &k.server),
        signed(
            "signed as a `request_closed`",
            retyped(beat.clone(), RequestClosed::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
        // Numbers a verifier must refuse before checking any signature (§1): their
        // canonical form is not one-to-one, though the signatures here do verify.
        signed(
            "iat with a fraction: not an integer",
            with_number(&beat, "iat", Value::from(1_767_225_615.5_f64)), // T0 + 15.5
            &[&k.server],
        )?
        .invalid("number"),
        signed(
            "iat 2^53 + 1: canonicalises as 2^53, so the signature covers two numbers",
            with_number(&beat, "iat", Value::from((1_u64 << 53) + 1)),
            &[&k.server],
        )?
        .invalid("number"),
    ])
}

/// `object` with `field` set to `value` before signing.
fn with_number(object: &Value, field: &str, value: Value) -> Value {
    let mut object = object.clone();
    object[field] = value;
    object
}

pub fn unlock_challenge(k: &Keys) -> Result<Vec<Vector>> {
    let challenge = object(&UnlockChallenge {
        iat: T0 + 300,
        exp: T0 + 360,
        device_id: DEVICE_ID.into(),
        challenge: CHALLENGE.into(),
    })?;
    Ok(vec![
        signed(
            "challenge, judged 1 s after issue",
            challenge.clone(),
            &[&k.server],
        )?
        .at(T0 + 301),
        signed("expired: judged at exp", challenge.clone(), &[&k.server])?
            .at(T0 + 360)
            .invalid("time"),
        signed(
            "challenge changed after signing",
            challenge.clone(),
            &[&k.server],
        )?
        .tampered(|o| {
            o.insert(
                "challenge".into(),
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
            );
        })?,
        signed(
            "signed by another key",
            challenge.clone(),
            &[&k.server_next],
        )?
        .claimed_by(0, &k.server),
        signed(
            "a challenge signed as an `unlock`",
            retyped(challenge, UnlockProof::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
    ])
}

#[allow(
    clippy::too_many_lines,
    reason = "a flat table of vectors reads best in one place"
)]
pub fn rp_result(k: &Keys) -> Result<Vec<Vector>> {
    let request = login_request();
    let sealed = |kind, signers: &[&ed25519_dalek::SigningKey]| -> Result<Envelope> {
        Ok(Envelope::seal(
            &decision_of(kind, T0 + 30, &request)?,
            signers,
        )?)
    };
    let ed = |key: &Key| match &key.signer {
        Signer::Ed25519(s) => Ok(s.clone()),
        _ => Err("not an ed25519 key"),
    };
    let (device, pin) = (ed(&k.device)?, ed(&k.pin)?);
    let result = |status, decision: Option<&Envelope>, uv| -> Result<RpResult> {
        Ok(RpResult {
            iat: T0 + 31,
            request_id: request.request_id.clone(),
            rp_id: request.rp_id.clone(),
            user: USER.into(),
            status,
            decision: decision.map(|e| e.payload.clone()),
            // The device key's signature only: an RP never gets the PIN signature.
            device_signature: decision.map(|e| e.signatures[0].clone()),
            device_key: decision.map(|_| k.device.b64()),
            user_verification: uv,
            origin_verified: false,
            origin: None,
            suspected_phishing: false,
        })
    };
    let approved_env = sealed(DecisionKind::Approve, &[&device, &pin])?;
    let approved = object(&result(
        RequestState::Approved,
        Some(&approved_env),
        Some(UvKind::Pin),
    )?)?;
    let denied = object(&result(
        RequestState::Denied,
        Some(&sealed(DecisionKind::Deny, &[&device])?),
        None,
    )?)?;
    let handed_off = |kind, origin: &str, signers: &[&ed25519_dalek::SigningKey]| {
        let mut decision = decision_of(kind, T0 + 30, &request)?;
        decision.code = None;
        decision.origin = Some(origin.into());
        Ok::<_, Box<dyn std::error::Error>>(Envelope::seal(&decision, signers)?)
    };
    let verified = object(&RpResult {
        origin_verified: true,
        origin: Some(WEBSHOP_ORIGIN.into()),
        ..result(
            RequestState::Approved,
            Some(&handed_off(
                DecisionKind::Approve,
                WEBSHOP_ORIGIN,
                &[&device, &pin],
            )?),
            Some(UvKind::Pin),
        )?
    })?;
    let phished = object(&RpResult {
        origin: Some(LOOKALIKE_ORIGIN.into()),
        suspected_phishing: true,
        ..result(
            RequestState::NotMe,
            Some(&handed_off(
                DecisionKind::NotMe,
                LOOKALIKE_ORIGIN,
                &[&device],
            )?),
            None,
        )?
    })?;
    let mut forged = approved.clone();
    forged["decision"]["code"] = "111111".into();
    Ok(vec![
        signed(
            "approved with the PIN: decision and device signature inside",
            approved.clone(),
            &[&k.server],
        )?,
        signed("denied", denied, &[&k.server])?,
        signed(
            "expired, no decision",
            object(&result(RequestState::Expired, None, None)?)?,
            &[&k.server],
        )?,
        signed(
            "approved with the PIN alone after a hand-off from the relying party's origin: \
             origin_verified",
            verified.clone(),
            &[&k.server],
        )?,
        signed(
            "not me after a hand-off from a lookalike origin: suspected_phishing",
            phished,
            &[&k.server],
        )?,
        signed(
            "origin_verified set after signing",
            approved.clone(),
            &[&k.server],
        )?
        .tampered(|o| {
            o.insert("origin_verified".into(), true.into());
        })?,
        signed(
            "server-signed, but the decision inside was changed after the device signed it",
            forged,
            &[&k.server],
        )?
        .invalid("inner_signature"),
        signed(
            "status changed after signing",
            approved.clone(),
            &[&k.server],
        )?
        .tampered(|o| {
            o.insert("status".into(), "denied".into());
        })?,
        signed("signed by another key", approved.clone(), &[&k.server_next])?
            .claimed_by(0, &k.server),
        signed(
            "a result signed as a `decision`",
            retyped(approved, Decision::TYPE),
            &[&k.server],
        )?
        .invalid("type"),
    ])
}
