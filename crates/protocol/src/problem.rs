//! RFC 9457 problem details with a stable machine `code`.

use serde::{Deserialize, Serialize};

use crate::Envelope;

/// Every error code the server answers with. Stable: clients match on these.
/// A code this build does not know reads as [`ErrorCode::Unknown`] and is judged by
/// the answer's HTTP status (PROTOCOL.md §10, [`is_final_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    MalformedJson,
    PayloadTooLarge,
    Unauthorized,
    InvalidSignature,
    ReplayedNonce,
    ClockSkew,
    HttpsRequired,
    NotFound,
    UserNotFound,
    UserExists,
    RpExists,
    ActivationInvalid,
    ActivationExpired,
    ActivationBurnt,
    DeviceLimit,
    DeviceRevoked,
    DeviceBlocked,
    WrongPin,
    CodeMismatch,
    RequestExpired,
    RequestNotPending,
    DecisionConflict,
    UserVerificationInsufficient,
    /// An approval signed by a `software` user-verification key, which this server
    /// does not accept for approvals (`serve --allow-software-uv` is off).
    UvNotAllowed,
    /// Signed by a user-verification key the server does not hold (removed by a PIN
    /// change, an admin or another device): biometrics must be set up again. Not
    /// counted as a wrong PIN.
    UvKeyUnknown,
    /// An approval whose hand-off came from an origin that is not one of the
    /// request's `rp_origins`, or of a request that has seen such a hand-off: never
    /// approved; nothing counted as a wrong PIN or code (PROTOCOL.md §7.3).
    OriginMismatch,
    /// An approval without a hand-off for a request whose `origin_binding` is
    /// `required`: nothing counted; the request stays pending (PROTOCOL.md §7.3).
    OriginRequired,
    RateLimited,
    PushesBlocked,
    Internal,
    /// The server is busy with this very call (a resend of a decision it is still
    /// judging): send the same bytes again after `retry_after`.
    RetryLater,
    /// The server cannot reach its database, or it is out of space, for now: nothing
    /// was done; send the same request again after `retry_after`.
    Unavailable,
    /// A code newer than this build. Never sent; judged by the HTTP status.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::ReplayedNonce => "replayed_nonce",
            ErrorCode::ClockSkew => "clock_skew",
            ErrorCode::HttpsRequired => "https_required",
            ErrorCode::NotFound => "not_found",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::UserExists => "user_exists",
            ErrorCode::RpExists => "rp_exists",
            ErrorCode::ActivationInvalid => "activation_invalid",
            ErrorCode::ActivationExpired => "activation_expired",
            ErrorCode::ActivationBurnt => "activation_burnt",
            ErrorCode::DeviceLimit => "device_limit",
            ErrorCode::DeviceRevoked => "device_revoked",
            ErrorCode::DeviceBlocked => "device_blocked",
            ErrorCode::WrongPin => "wrong_pin",
            ErrorCode::CodeMismatch => "code_mismatch",
            ErrorCode::RequestExpired => "request_expired",
            ErrorCode::RequestNotPending => "request_not_pending",
            ErrorCode::DecisionConflict => "decision_conflict",
            ErrorCode::UserVerificationInsufficient => "user_verification_insufficient",
            ErrorCode::UvNotAllowed => "uv_not_allowed",
            ErrorCode::UvKeyUnknown => "uv_key_unknown",
            ErrorCode::OriginMismatch => "origin_mismatch",
            ErrorCode::OriginRequired => "origin_required",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PushesBlocked => "pushes_blocked",
            ErrorCode::Internal => "internal",
            ErrorCode::RetryLater => "retry_later",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// The HTTP status this code is sent with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::MalformedJson | ErrorCode::HttpsRequired => 400,
            ErrorCode::Unauthorized
            | ErrorCode::InvalidSignature
            | ErrorCode::ReplayedNonce
            | ErrorCode::ClockSkew => 401,
            ErrorCode::WrongPin
            | ErrorCode::CodeMismatch
            | ErrorCode::ActivationInvalid
            | ErrorCode::DeviceRevoked
            | ErrorCode::DeviceBlocked
            | ErrorCode::UserVerificationInsufficient
            | ErrorCode::UvNotAllowed
            | ErrorCode::UvKeyUnknown
            | ErrorCode::OriginMismatch
            | ErrorCode::OriginRequired => 403,
            ErrorCode::NotFound | ErrorCode::UserNotFound => 404,
            ErrorCode::UserExists
            | ErrorCode::RpExists
            | ErrorCode::DeviceLimit
            | ErrorCode::RequestNotPending
            | ErrorCode::DecisionConflict => 409,
            ErrorCode::ActivationExpired
            | ErrorCode::ActivationBurnt
            | ErrorCode::RequestExpired => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::RateLimited | ErrorCode::PushesBlocked => 429,
            // Unknown is never sent; a received one keeps the status it came with.
            ErrorCode::Internal | ErrorCode::Unknown => 500,
            ErrorCode::RetryLater | ErrorCode::Unavailable => 503,
        }
    }
}

/// Whether an answer with this HTTP status is final: a 4xx other than 408 (request
/// timeout) and 429 (too many requests). A 5xx, 408 or 429 says "not now", so the
/// same request may be sent again. This is how a client judges a problem whose code
/// it does not know (PROTOCOL.md §10).
pub fn is_final_status(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

/// An `application/problem+json` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `https://godkend.dev/problems/<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Human-readable summary; clients match on `code`, never on this.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Wrong PIN or code: tries left before the device is blocked or the request fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// Clock skew: the server's time, so the device can correct its offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<i64>,
    /// The signed `device_status` when the device is blocked or revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_status: Option<Envelope>,
    /// Seconds to wait before trying again (rate limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The media type of problem bodies.
pub const CONTENT_TYPE: &str = "application/problem+json";

impl Problem {
    /// A problem with `code`'s status and a human-readable title.
    pub fn new(code: ErrorCode, title: impl Into<String>) -> Self {
        Problem {
            problem_type: format!("https://godkend.dev/problems/{}", code.as_str()),
            title: title.into(),
            status: code.http_status(),
            code,
            detail: None,
            attempts_left: None,
            server_time: None,
            device_status: None,
            retry_after: None,
        }
    }

    /// Whether this refusal is final, so sending the same request again cannot
    /// change it. Judged by the status, except `clock_skew` (401): the device corrects
    /// its clock from `server_time` and signs a fresh header, so it is not final.
    pub fn is_final(&self) -> bool {
        self.code != ErrorCode::ClockSkew && is_final_status(self.status)
    }

    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    #[must_use]
    pub fn with_attempts_left(mut self, left: u32) -> Self {
        self.attempts_left = Some(left);
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in [
            ErrorCode::WrongPin,
            ErrorCode::UserVerificationInsufficient,
            ErrorCode::UvNotAllowed,
            ErrorCode::UvKeyUnknown,
            ErrorCode::OriginMismatch,
            ErrorCode::OriginRequired,
            ErrorCode::NotFound,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn an_unknown_code_parses_and_is_judged_by_its_status() {
        let later = r#"{"type":"https://godkend.dev/problems/overloaded","title":"t",
            "status":503,"code":"overloaded"}"#;
        let problem: Problem = serde_json::from_str(later).unwrap();
        assert_eq!(problem.code, ErrorCode::Unknown);
        assert!(!problem.is_final());
        let gone = later.replace("503", "422");
        let problem: Problem = serde_json::from_str(&gone).unwrap();
        assert_eq!(problem.code, ErrorCode::Unknown);
        assert!(problem.is_final());
    }

    #[test]
    fn finality_follows_the_status_and_clock_skew_is_retried() {
        for (status, is_final) in [(400, true), (403, true), (408, false), (409, true)] {
            assert_eq!(is_final_status(status), is_final, "{status}");
        }
        for (status, is_final) in [(410, true), (429, false), (500, false), (503, false)] {
            assert_eq!(is_final_status(status), is_final, "{status}");
        }
        assert!(!Problem::new(ErrorCode::ClockSkew, "skew").is_final());
        assert!(!Problem::new(ErrorCode::RetryLater, "busy").is_final());
        assert!(!Problem::new(ErrorCode::Unavailable, "database down").is_final());
        assert!(!Problem::new(ErrorCode::RateLimited, "slow").is_final());
        assert!(Problem::new(ErrorCode::CodeMismatch, "code").is_final());
        // Newer than some apps: they judge it by its 403, final.
        assert_eq!(ErrorCode::UvNotAllowed.http_status(), 403);
        assert!(Problem::new(ErrorCode::UvNotAllowed, "software uv").is_final());
    }
}
