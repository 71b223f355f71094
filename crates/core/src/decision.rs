//! Building decisions. Approve is signed by the device key and the PIN key; deny and
//! "not me" by the device key alone, so they work while the app is locked. The
//! timestamp is written in server time (design.md §4).

use godkend_protocol::Envelope;
use godkend_protocol::messages::{Decision, DecisionKind};

use crate::CoreError;
use crate::client::{DeviceClient, VerifiedRequest};
use crate::keys::PinKey;

/// A signed decision and the exact bytes to send (and re-send) for it.
#[derive(Debug, Clone)]
pub struct SignedDecision {
    pub request_id: String,
    pub kind: DecisionKind,
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
    /// Server time after which the server no longer accepts it (the request's `exp`
    /// plus the grace): the outbox stops trying then.
    pub deadline: i64,
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
            code,
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
    /// user-verification key (released by a biometric check).
    pub fn approve_with_uv(
        &self,
        request: &VerifiedRequest,
        code: &str,
        uv_key: &ed25519_dalek::SigningKey,
    ) -> Result<SignedDecision, CoreError> {
        let decision = self.decision(request, DecisionKind::Approve, Some(code.trim().to_owned()));
        seal(decision, request, &[self.key().signing_key(), uv_key])
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
    let bytes = envelope.to_json()?.into_bytes();
    Ok(SignedDecision {
        request_id: decision.request_id,
        kind: decision.decision,
        envelope,
        bytes,
        deadline: request.request.exp + godkend_protocol::rules::DECISION_GRACE_SECONDS,
    })
}
