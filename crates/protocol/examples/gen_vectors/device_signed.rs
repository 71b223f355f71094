//! Vectors of the objects a device signs.

use godkend_protocol::envelope::payload_of;
use godkend_protocol::messages::{
    ApprovalRequest, Decision, DecisionKind, DeviceRequestHeader, DeviceRevocation, Heartbeat,
    PinChange, UnlockChallenge, UnlockProof, UserVerificationKey, UvKind,
};
use godkend_protocol::{Envelope, SignatureEntry, SignedObject, b64, canonical};
use serde_json::Value;

use super::kit::{Key, Keys, Vector, object, retyped, signed};
use super::server_signed::{LOOKALIKE_ORIGIN, WEBSHOP_ORIGIN, login_request};
use super::{CHALLENGE, DEVICE_ID, OTHER_DEVICE_ID, Result, T0};

pub fn device_request(k: &Keys) -> Result<Vec<Vector>> {
    let header = |method: &str, path: &str, nonce: &str, body: &str| {
        object(&DeviceRequestHeader {
            iat: T0 + 300,
            device_id: DEVICE_ID.into(),
            method: method.into(),
            path: path.into(),
            nonce: nonce.into(),
            body_sha256: b64::sha256_b64(body),
        })
    };
    let get = header("GET", "/v1/device/events", "3q2-7wAAAAAAAAAAAAAAAA", "")?;
    let body = r#"{"payload":{"challenge":"c2VydmVyIGNoYWxsZW5nZSAwMDAwMDAwMDAwMDE","device_id":"dev-5c1f0e7a","iat":1767225900,"type":"unlock","v":1},"signatures":[]}"#;
    let post = header("POST", "/v1/device/unlock", "AAECAwQFBgcICQoLDA0ODw", body)?;
    let first = signed("GET /v1/device/events, no body", get.clone(), &[&k.device])?;
    let envelope = Envelope {
        payload: first.object.clone(),
        signatures: first
            .signatures
            .iter()
            .map(|s| SignatureEntry {
                kid: s.kid.clone(),
                alg: s.alg,
                sig: s.signature.clone(),
            })
            .collect(),
    };
    let authorization = godkend_protocol::messages::device_request::to_header_value(&envelope)?;
    Ok(vec![
        first
            .at(T0 + 300)
            .with("body", "".into())
            .with("authorization", authorization.into()),
        signed(
            "POST with a body, judged 60 s before its iat",
            post.clone(),
            &[&k.device],
        )?
        .at(T0 + 240)
        .with("body", body.into()),
        signed("judged 60 s after its iat", get.clone(), &[&k.device])?
            .at(T0 + 360)
            .with("body", "".into()),
        signed("61 s old at the server", get.clone(), &[&k.device])?
            .at(T0 + 361)
            .with("body", "".into())
            .invalid("time"),
        signed("61 s ahead of the server", get.clone(), &[&k.device])?
            .at(T0 + 239)
            .with("body", "".into())
            .invalid("time"),
        signed(
            "the body was changed on the way",
            post.clone(),
            &[&k.device],
        )?
        .at(T0 + 300)
        .with("body", body.replace("dev-5c1f0e7a", "dev-9a3b44d1").into())
        .invalid("body"),
        signed("path changed after signing", get.clone(), &[&k.device])?
            .at(T0 + 300)
            .with("body", "".into())
            .tampered(|o| {
                o.insert("path".into(), "/v1/device/devices".into());
            })?,
        signed(
            "signed by another device's key",
            get.clone(),
            &[&k.other_device],
        )?
        .at(T0 + 300)
        .with("body", "".into())
        .claimed_by(0, &k.device),
        signed(
            "a header signed as a `heartbeat`",
            retyped(get, Heartbeat::TYPE),
            &[&k.device],
        )?
        .at(T0 + 300)
        .with("body", "".into())
        .invalid("type"),
    ])
}

pub fn decision_of(kind: DecisionKind, iat: i64, request: &ApprovalRequest) -> Result<Decision> {
    Ok(Decision {
        iat,
        device_id: DEVICE_ID.into(),
        request_id: request.request_id.clone(),
        nonce: request.nonce.clone(),
        request_hash: b64::sha256_b64(canonical::to_vec(&payload_of(request)?)?),
        decision: kind,
        code: (kind == DecisionKind::Approve).then(|| "482913".into()),
        uv_kid: None,
        origin: None,
    })
}

/// `decision` without its code, with `origin` when given: what the app signs after a
/// hand-off (PROTOCOL.md §7.3).
fn handed_off(decision: &Value, origin: Option<&str>) -> Value {
    let mut o = decision.clone();
    if let Some(map) = o.as_object_mut() {
        map.remove("code");
        if let Some(origin) = origin {
            map.insert("origin".into(), origin.into());
        }
    }
    o
}

#[allow(
    clippy::too_many_lines,
    reason = "a flat table of vectors reads best in one place"
)]
pub fn decision(k: &Keys) -> Result<Vec<Vector>> {
    let request = login_request();
    let seen = object(&request)?;
    let at = |kind, iat| -> Result<Value> { object(&decision_of(kind, iat, &request)?) };
    let approve = at(DecisionKind::Approve, T0 + 30)?;
    let deny = at(DecisionKind::Deny, T0 + 30)?;
    let v = |description: &str, object: Value, signers: &[&Key], now: i64| -> Result<Vector> {
        Ok(signed(description, object, signers)?
            .at(now)
            .with("request", seen.clone()))
    };
    let (device, pin) = (&k.device, &k.pin);
    let other_request_hash = {
        let mut other = request.clone();
        other.message = "Sign in to Example Webshop from Lagos".into();
        b64::sha256_b64(canonical::to_vec(&payload_of(&other)?)?)
    };
    Ok(vec![
        v(
            "approve, signed by the device and PIN keys",
            approve.clone(),
            &[device, pin],
            T0 + 31,
        )?,
        v(
            "approve with a Windows Hello RS256 key",
            approve.clone(),
            &[device, &k.uv_rs256],
            T0 + 31,
        )?,
        v(
            "approve with a Touch ID ES256 key (raw r‖s)",
            approve.clone(),
            &[device, &k.uv_es256],
            T0 + 31,
        )?,
        v(
            "deny, signed by the device key alone",
            deny.clone(),
            &[device],
            T0 + 31,
        )?,
        v(
            "not me, signed by the device key alone",
            at(DecisionKind::NotMe, T0 + 31)?,
            &[device],
            T0 + 32,
        )?,
        v(
            "signed just before exp, retried 60 s after exp",
            at(DecisionKind::Approve, T0 + 119)?,
            &[device, pin],
            T0 + 180,
        )?,
        v(
            "arrived 61 s after exp",
            at(DecisionKind::Approve, T0 + 119)?,
            &[device, pin],
            T0 + 181,
        )?
        .invalid("time"),
        v(
            "iat after the request's exp",
            at(DecisionKind::Deny, T0 + 121)?,
            &[device],
            T0 + 121,
        )?
        .invalid("time"),
        v(
            "iat before the request's iat",
            at(DecisionKind::Deny, T0 - 1)?,
            &[device],
            T0 + 5,
        )?
        .invalid("time"),
        v(
            "code changed after signing",
            approve.clone(),
            &[device, pin],
            T0 + 31,
        )?
        .tampered(|o| {
            o.insert("code".into(), "000000".into());
        })?,
        v(
            "a wrong PIN: another key signed for the PIN key",
            approve.clone(),
            &[device, &k.wrong_pin],
            T0 + 31,
        )?
        .claimed_by(1, pin),
        v(
            "ES256 signature with one flipped bit",
            approve.clone(),
            &[device, &k.uv_es256],
            T0 + 31,
        )?
        .flipped(1, 40)?,
        v(
            "deny changed to approve after signing",
            deny.clone(),
            &[device],
            T0 + 31,
        )?
        .tampered(|o| {
            o.insert("decision".into(), "approve".into());
            o.insert("code".into(), "482913".into());
        })?,
        v(
            "request_hash of a request the user did not see",
            {
                let mut o = approve.clone();
                o["request_hash"] = other_request_hash.into();
                o
            },
            &[device, pin],
            T0 + 31,
        )?
        .invalid("request"),
        v(
            "a deny carrying a code",
            {
                let mut o = deny.clone();
                o["code"] = "482913".into();
                o
            },
            &[device],
            T0 + 31,
        )?
        .invalid("request"),
        v(
            "approve without a code after a hand-off from the request's origin",
            handed_off(&approve, Some(WEBSHOP_ORIGIN)),
            &[device, pin],
            T0 + 31,
        )?,
        v(
            "approve with the code after a hand-off from the request's origin",
            {
                let mut o = approve.clone();
                o["origin"] = WEBSHOP_ORIGIN.into();
                o
            },
            &[device, pin],
            T0 + 31,
        )?,
        v(
            "not me after a hand-off from a lookalike origin (the server records it)",
            handed_off(&at(DecisionKind::NotMe, T0 + 31)?, Some(LOOKALIKE_ORIGIN)),
            &[device],
            T0 + 32,
        )?,
        v(
            "origin changed to the request's after signing",
            handed_off(&approve, Some(LOOKALIKE_ORIGIN)),
            &[device, pin],
            T0 + 31,
        )?
        .tampered(|o| {
            o.insert("origin".into(), WEBSHOP_ORIGIN.into());
        })?,
        v(
            "approve without a code after a hand-off from a lookalike origin",
            handed_off(&approve, Some(LOOKALIKE_ORIGIN)),
            &[device, pin],
            T0 + 31,
        )?
        .invalid("request"),
        v(
            "approve without a code and without a hand-off",
            handed_off(&approve, None),
            &[device, pin],
            T0 + 31,
        )?
        .invalid("request"),
        v(
            "a decision signed as an `unlock`",
            retyped(deny, UnlockProof::TYPE),
            &[device],
            T0 + 31,
        )?
        .invalid("type"),
    ])
}

pub fn unlock(k: &Keys) -> Result<Vec<Vector>> {
    let proof = object(&UnlockProof {
        iat: T0 + 305,
        device_id: DEVICE_ID.into(),
        challenge: CHALLENGE.into(),
        uv_kid: None,
    })?;
    let d = &k.device;
    Ok(vec![
        signed("device key + PIN key", proof.clone(), &[d, &k.pin])?,
        signed(
            "device key + Windows Hello RS256 key",
            proof.clone(),
            &[d, &k.uv_rs256],
        )?,
        signed(
            "device key + Touch ID ES256 key (raw r‖s)",
            proof.clone(),
            &[d, &k.uv_es256],
        )?,
        signed(
            "device key + fprintd ed25519 key",
            proof.clone(),
            &[d, &k.uv_ed25519],
        )?,
        signed(
            "a wrong PIN: another key signed for the PIN key",
            proof.clone(),
            &[d, &k.wrong_pin],
        )?
        .claimed_by(1, &k.pin),
        signed(
            "ES256 signature with one flipped bit",
            proof.clone(),
            &[d, &k.uv_es256],
        )?
        .flipped(1, 5)?,
        signed(
            "RS256 signature with one flipped bit",
            proof.clone(),
            &[d, &k.uv_rs256],
        )?
        .flipped(1, 255)?,
        signed(
            "challenge changed after an RS256 signature",
            proof.clone(),
            &[d, &k.uv_rs256],
        )?
        .tampered(|o| {
            o.insert("challenge".into(), "b3RoZXIgY2hhbGxlbmdl".into());
        })?,
        signed(
            "an unlock signed as an `unlock_challenge`",
            retyped(proof, UnlockChallenge::TYPE),
            &[d, &k.pin],
        )?
        .invalid("type"),
    ])
}

pub fn pin_change(k: &Keys) -> Result<Vec<Vector>> {
    let change = object(&PinChange {
        iat: T0 + 400,
        device_id: DEVICE_ID.into(),
        nonce: "Yk3c1JvQe0tW8nRrL2xPzA".into(),
        new_pin_key: k.new_pin.b64(),
    })?;
    let d = &k.device;
    Ok(vec![
        signed("device key + the old PIN key", change.clone(), &[d, &k.pin])?,
        signed(
            "signed by the new PIN key instead of the old one",
            change.clone(),
            &[d, &k.new_pin],
        )?
        .claimed_by(1, &k.pin),
        signed(
            "new_pin_key swapped after signing",
            change.clone(),
            &[d, &k.pin],
        )?
        .tampered(|o| {
            o.insert("new_pin_key".into(), k.wrong_pin.b64().into());
        })?,
        signed(
            "a PIN change signed as a `device_revoke`",
            retyped(change, DeviceRevocation::TYPE),
            &[d, &k.pin],
        )?
        .invalid("type"),
    ])
}

pub fn device_revoke(k: &Keys) -> Result<Vec<Vector>> {
    let revoke = |target: &str| {
        object(&DeviceRevocation {
            iat: T0 + 500,
            device_id: DEVICE_ID.into(),
            nonce: "wq8Jd0ZbN4cS1fHk6uLmVg".into(),
            target_device_id: target.into(),
        })
    };
    let other = revoke(OTHER_DEVICE_ID)?;
    let d = &k.device;
    Ok(vec![
        signed(
            "revoke another device of the same user",
            other.clone(),
            &[d, &k.pin],
        )?,
        signed(
            "revoke this device itself",
            revoke(DEVICE_ID)?,
            &[d, &k.pin],
        )?,
        signed("target changed after signing", other.clone(), &[d, &k.pin])?.tampered(|o| {
            o.insert("target_device_id".into(), "dev-00000001".into());
        })?,
        signed(
            "signed by another device's key",
            other.clone(),
            &[&k.other_device, &k.pin],
        )?
        .claimed_by(0, d),
        signed(
            "a revocation signed as a `pin_change`",
            retyped(other, PinChange::TYPE),
            &[d, &k.pin],
        )?
        .invalid("type"),
    ])
}

pub fn uv_key(k: &Keys) -> Result<Vec<Vector>> {
    let register = |key: &Key, kind| {
        object(&UserVerificationKey {
            iat: T0 + 600,
            device_id: DEVICE_ID.into(),
            nonce: "Q2Vx4kP0aL7mZ9sT3bN1Rw".into(),
            alg: key.public.alg(),
            public_key: key.b64(),
            kind,
        })
    };
    let hello = register(&k.uv_rs256, UvKind::Hardware)?;
    let fprintd = register(&k.uv_ed25519, UvKind::Software)?;
    let d = &k.device;
    Ok(vec![
        signed(
            "Windows Hello RS256 key (DER SPKI), hardware",
            hello.clone(),
            &[d, &k.pin],
        )?,
        signed(
            "Touch ID ES256 key (DER SPKI), hardware",
            register(&k.uv_es256, UvKind::Hardware)?,
            &[d, &k.pin],
        )?,
        signed(
            "fprintd ed25519 key (raw), software",
            fprintd.clone(),
            &[d, &k.pin],
        )?,
        signed(
            "kind raised to hardware after signing",
            fprintd,
            &[d, &k.pin],
        )?
        .tampered(|o| {
            o.insert("kind".into(), "hardware".into());
        })?,
        signed("signed with a wrong PIN", hello.clone(), &[d, &k.wrong_pin])?.claimed_by(1, &k.pin),
        signed(
            "a registration signed as a `pin_change`",
            retyped(hello, PinChange::TYPE),
            &[d, &k.pin],
        )?
        .invalid("type"),
    ])
}
