//! The user's decision on one approval request.

use serde::{Deserialize, Serialize};

use crate::SignedObject;
use crate::messages::rp::RequestState;

/// What the user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Deny,
    /// "This was not me": deny and report.
    NotMe,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Deny => "deny",
            DecisionKind::NotMe => "not_me",
        }
    }
}

/// Signed by the device key; for approve also by the PIN or user-verification key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub iat: i64,
    pub device_id: String,
    pub request_id: String,
    /// The request's own nonce, echoed.
    pub nonce: String,
    /// base64url(SHA-256(canonical approval request payload)) of what the user saw.
    pub request_hash: String,
    pub decision: DecisionKind,
    /// The code typed from the login screen; approve only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The kid of the user-verification key that signs this approval, when one does
    /// instead of the PIN. Declared so that a key the server no longer holds is told
    /// apart from a wrong PIN (both are signatures by a key it does not know) and
    /// never counts as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uv_kid: Option<String>,
    /// The web origin that handed this request off to the app from the browser on
    /// this computer, exactly as the app received it in `Origin`, whether or not it
    /// is one of the request's `rp_origins` (PROTOCOL.md §7.3). Absent when no
    /// hand-off arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl SignedObject for Decision {
    const TYPE: &'static str = "decision";
}

/// `POST /v1/device/requests/{id}/decision` answer to an accepted decision. The server
/// stores these bytes and answers a resent decision with them unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionAccepted {
    pub request_id: String,
    /// The request's new state.
    pub status: RequestState,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire form PROTOCOL.md §3 gives, `{"request_id", "status"}`, byte for byte:
    /// stored answers of older servers replay in this form.
    #[test]
    fn decision_accepted_wire_form() {
        let accepted = DecisionAccepted {
            request_id: "req_1".into(),
            status: RequestState::NotMe,
        };
        let json = serde_json::to_string(&accepted).unwrap();
        assert_eq!(json, r#"{"request_id":"req_1","status":"not_me"}"#);
        assert_eq!(
            serde_json::from_str::<DecisionAccepted>(&json).unwrap(),
            accepted
        );
    }
}
