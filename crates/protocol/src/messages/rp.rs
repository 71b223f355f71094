//! The relying-party API: creating a request and the server-signed result.

use serde::{Deserialize, Serialize};

use crate::messages::device::UvKind;
use crate::messages::request::{Amount, RequestContext, RequestKind, UserVerification};
use crate::origin::OriginBinding;
use crate::{Envelope, SignatureEntry, SignedObject};

/// `POST /v1/rp/requests` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub user: String,
    pub kind: RequestKind,
    /// 1–120 characters, not only white space.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 120, pattern = r"\S")
    )]
    pub title: String,
    /// At most 1000 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// At most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub payee: Option<String>,
    #[serde(default)]
    pub context: RequestContext,
    /// 4–8 digits; default 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 4, maximum = 8))]
    pub code_length: Option<u8>,
    #[serde(default)]
    pub user_verification: UserVerification,
    /// Seconds until expiry, 10 to 600; default 120.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 600))]
    pub ttl_seconds: Option<u32>,
    /// Where to POST the signed result once the request is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Default `preferred`; `required` needs the RP to have registered origins.
    #[serde(default)]
    pub origin_binding: OriginBinding,
}

/// Longest title a relying party may send, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;
/// Longest context field (IP, location, user agent) and payee, in characters.
pub const MAX_CONTEXT_FIELD_CHARS: usize = 200;

impl CreateRequest {
    /// The short texts a device shows, each within [`MAX_CONTEXT_FIELD_CHARS`]: the
    /// context's IP, location and user agent, and the payee, where given.
    pub fn short_texts(&self) -> impl Iterator<Item = &str> {
        let context = &self.context;
        [
            &context.ip,
            &context.location,
            &context.user_agent,
            &self.payee,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
    }

    /// The texts a device shows within their lengths (a title that is not blank) and
    /// the amount well formed. The reason, when not, is for the relying party. The
    /// server checks the webhook URL, the code length and the TTL after this.
    pub fn check_texts(&self) -> Result<(), String> {
        if self.title.trim().is_empty() || self.title.chars().count() > MAX_TITLE_CHARS {
            return Err(format!("title must be 1 to {MAX_TITLE_CHARS} characters"));
        }
        if self.message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(format!(
                "message must be at most {MAX_MESSAGE_CHARS} characters"
            ));
        }
        if self
            .short_texts()
            .any(|field| field.chars().count() > MAX_CONTEXT_FIELD_CHARS)
        {
            return Err(format!(
                "context fields and payee must be at most {MAX_CONTEXT_FIELD_CHARS} characters"
            ));
        }
        if let Some(amount) = &self.amount {
            amount.validate().map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// The answer to a create: the code to show the user on the login screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedRequest {
    pub request_id: String,
    pub code: String,
    pub exp: i64,
}

/// Life cycle of a request as the relying party sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved,
    Denied,
    NotMe,
    Expired,
    Superseded,
    /// The code was typed wrong three times.
    Failed,
}

impl RequestState {
    pub fn is_final(self) -> bool {
        self != RequestState::Pending
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Denied => "denied",
            RequestState::NotMe => "not_me",
            RequestState::Expired => "expired",
            RequestState::Superseded => "superseded",
            RequestState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::from(text)).ok()
    }
}

/// Server-signed final result for the relying party. Carries the decision and the
/// device-key signature, never the PIN signature or PIN key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RpResult {
    pub iat: i64,
    pub request_id: String,
    pub rp_id: String,
    pub user: String,
    pub status: RequestState,
    /// The decision payload as the device signed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_signature: Option<SignatureEntry>,
    /// The device's ed25519 public key, base64url, to check `device_signature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    /// The kind of user verification the server checked (approve only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<UvKind>,
    /// The decision came with a hand-off from one of the RP's registered origins
    /// (PROTOCOL.md §7.3). `false` for every result without one.
    #[serde(default)]
    pub origin_verified: bool,
    /// The origin that handed the request off, as the device saw and signed it
    /// (matching or not); absent when none did or the request's binding was `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// A hand-off from an origin that is not the RP's reached the user's device for
    /// this request: someone may have relayed the sign-in through a lookalike site.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspected_phishing: bool,
}

impl SignedObject for RpResult {
    const TYPE: &'static str = "rp_result";
}

/// `GET /v1/rp/requests/{id}` and the long-poll answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestStatus {
    pub request_id: String,
    pub status: RequestState,
    pub exp: i64,
    /// Present once the request is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Envelope>,
}
