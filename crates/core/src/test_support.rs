//! Fixtures shared by this crate's unit tests.

use godkend_protocol::Envelope;
use godkend_protocol::messages::{ApprovalRequest, RequestContext, RequestKind, UserVerification};

use crate::push::VerifiedRequest;

/// A request for alice from "Shop", signed by a fixed test key.
pub(crate) fn signed_request(
    id: &str,
    iat: i64,
    kind: RequestKind,
    message: &str,
) -> VerifiedRequest {
    let request = ApprovalRequest {
        iat,
        exp: iat + 120,
        request_id: id.into(),
        nonce: "n".into(),
        user: "alice".into(),
        rp_id: "shop".into(),
        rp_name: "Shop".into(),
        kind,
        title: "Sign in".into(),
        message: message.into(),
        amount: None,
        payee: None,
        context: RequestContext::default(),
        code_length: 6,
        user_verification: UserVerification::Any,
        origin_binding: godkend_protocol::messages::OriginBinding::default(),
        rp_origins: Vec::new(),
    };
    let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    let envelope = Envelope::seal(&request, &[&key]).expect("a test request seals");
    VerifiedRequest {
        hash: envelope.payload_hash().expect("hashable"),
        envelope,
        request,
        handed_off: None,
    }
}
