//! Building decisions. Approve is signed by the device key and the PIN key (or a
//! user-verification key, through its signer's check); deny and "not me" by the
//! device key alone, so they work while the app is locked. The timestamp is written
//! in server time (design.md §4).

use godkend_protocol::Envelope;
use godkend_protocol::messages::{Decision, DecisionKind};

use crate::CoreError;
use crate::client::DeviceClient;
use crate::keys::PinKey;
use crate::push::VerifiedRequest;
use crate::uv::{self, UvSigner};

/// A signed decision and the exact bytes to send (and re-send) for it.
#[derive(Clone)]
pub struct SignedDecision {
    pub request_id: String,
    pub kind: DecisionKind,
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
    /// Server time after which the server no longer accepts it (the request's `exp`
    /// plus the grace): the outbox stops trying then.
    pub deadline: i64,
}

/// The payload holds the typed code: a debug print shows which decision it is, not
/// what it says.
impl std::fmt::Debug for SignedDecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedDecision")
            .field("request_id", &self.request_id)
            .field("kind", &self.kind)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl DeviceClient {
    fn decision(
        &self,
        request: &VerifiedRequest,
        kind: DecisionKind,
        code: Option<String>,
    ) -> Decision {
        Decision {
            // Never before the request's own time, whatever the local clock says.
            iat: self.server.server_now().max(request.request.iat),
            device_id: self.device_id.clone(),
            request_id: request.request.request_id.clone(),
            nonce: request.request.nonce.clone(),
            request_hash: request.hash.clone(),
            decision: kind,
            // An approval the browser vouched for needs no typed code (PROTOCOL.md
            // §7.3): an empty one is left out rather than sent as a wrong one.
            code: code.filter(|code| !code.is_empty()),
            uv_kid: None,
            origin: request.handed_off.clone(),
        }
    }

    /// Approve with the typed code, signed by the device and PIN keys.
    pub fn approve(
        &self,
        request: &VerifiedRequest,
        code: &str,
        pin: &PinKey,
    ) -> Result<SignedDecision, CoreError> {
        let decision = self.decision(request, DecisionKind::Approve, Some(code.trim().to_owned()));
        seal(
            decision,
            request,
            &[self.key().signing_key(), pin.signing_key()],
        )
    }

    /// Approve with the typed code, signed by the device key and an ed25519
    /// user-verification key that is already released (tests; the app goes through
    /// `approve_with`, where the signer's check is the signing call).
    pub fn approve_with_uv(
        &self,
        request: &VerifiedRequest,
        code: &str,
        uv_key: &ed25519_dalek::SigningKey,
    ) -> Result<SignedDecision, CoreError> {
        let mut decision =
            self.decision(request, DecisionKind::Approve, Some(code.trim().to_owned()));
        decision.uv_kid = Some(godkend_protocol::PublicKey::from_signing_key(uv_key).kid());
        seal(decision, request, &[self.key().signing_key(), uv_key])
    }

    /// Approve with the typed code, signed by the device key and the
    /// user-verification key of `signer`, which verifies the user first (showing
    /// `reason`). Works for every algorithm the signer may use (ed25519, rs256,
    /// es256). Dropping the future cancels the check.
    pub async fn approve_with(
        &self,
        request: &VerifiedRequest,
        code: &str,
        signer: &dyn UvSigner,
        reason: &str,
    ) -> Result<SignedDecision, CoreError> {
        let mut decision =
            self.decision(request, DecisionKind::Approve, Some(code.trim().to_owned()));
        decision.uv_kid = Some(signer.public_key().kid());
        let mut envelope = Envelope::seal(&decision, &[self.key().signing_key()])?;
        uv::sign_envelope(&mut envelope, signer, reason).await?;
        finish(decision, envelope, request)
    }

    /// Deny, or report "this was not me"; the device key alone signs.
    pub fn refuse(
        &self,
        request: &VerifiedRequest,
        not_me: bool,
    ) -> Result<SignedDecision, CoreError> {
        let kind = if not_me {
            DecisionKind::NotMe
        } else {
            DecisionKind::Deny
        };
        seal(
            self.decision(request, kind, None),
            request,
            &[self.key().signing_key()],
        )
    }
}

fn seal(
    decision: Decision,
    request: &VerifiedRequest,
    keys: &[&ed25519_dalek::SigningKey],
) -> Result<SignedDecision, CoreError> {
    let envelope = Envelope::seal(&decision, keys)?;
    finish(decision, envelope, request)
}

/// The signed decision with the exact bytes to send.
fn finish(
    decision: Decision,
    envelope: Envelope,
    request: &VerifiedRequest,
) -> Result<SignedDecision, CoreError> {
    let bytes = envelope.to_json()?.into_bytes();
    Ok(SignedDecision {
        request_id: decision.request_id,
        kind: decision.decision,
        envelope,
        bytes,
        deadline: request.request.exp + godkend_protocol::rules::DECISION_GRACE_SECONDS,
    })
}

#[cfg(test)]
mod tests {
    use godkend_protocol::PublicKey;
    use godkend_protocol::messages::RequestKind;

    use super::*;
    use crate::client::ServerClient;
    use crate::keys::DeviceKey;
    use crate::pinned_server::local_now;

    /// A device whose clock runs an hour behind the server's, with no offset learnt.
    fn slow_device() -> DeviceClient {
        let server_key =
            PublicKey::from_signing_key(&ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
        let server = ServerClient::new("http://127.0.0.1:9".parse().unwrap(), server_key).unwrap();
        server.set_local_clock_skew(-3600);
        DeviceClient::new(
            server,
            "dev-1".into(),
            "alice".into(),
            DeviceKey::generate(),
        )
    }

    #[test]
    fn decision_time_is_never_before_the_request_time() {
        let device = slow_device();
        let request =
            crate::test_support::signed_request("req_1", local_now(), RequestKind::Login, "m");
        for signed in [
            device.refuse(&request, false).unwrap(),
            device
                .approve_with_uv(
                    &request,
                    "123456",
                    &ed25519_dalek::SigningKey::from_bytes(&[2; 32]),
                )
                .unwrap(),
        ] {
            let decision: Decision = signed.envelope.peek().unwrap();
            assert_eq!(decision.iat, request.request.iat);
        }
    }

    #[tokio::test]
    async fn approve_with_a_signer_signs_like_approve_with_uv() {
        let device = slow_device();
        let request =
            crate::test_support::signed_request("req_1", local_now(), RequestKind::Login, "m");
        let uv = crate::uv::software::SoftwareSigner::from_seed(&[2; 32]);
        let signed = device
            .approve_with(&request, " 123456 ", &uv, "Approve")
            .await
            .unwrap();
        let device_key = PublicKey::from_signing_key(device.key().signing_key());
        let decision: Decision = signed
            .envelope
            .open(&[&device_key, &uv.public_key()])
            .unwrap();
        assert_eq!(decision.code.as_deref(), Some("123456"));
        assert_eq!(decision.decision, DecisionKind::Approve);
        assert_eq!(signed.envelope.signatures.len(), 2);
        assert_eq!(
            signed.bytes,
            signed.envelope.to_json().unwrap().into_bytes()
        );
    }
}
