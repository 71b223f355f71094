//! The approval request the server signs and every device of the user receives.

use serde::{Deserialize, Serialize};

use crate::origin::OriginBinding;
use crate::{ProtocolError, SignedObject};

/// What is being approved; decides the notification's generic wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Login,
    Payment,
    Action,
}

/// The user verification a relying party requires for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    /// PIN or any registered biometric key.
    #[default]
    Any,
    /// The PIN only.
    Pin,
    /// A hardware-backed biometric key (or the PIN).
    Hardware,
}

/// Money as a decimal string, never a JSON number (JCS numbers are doubles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Amount {
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 32, pattern = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
    )]
    pub value: String,
    /// ISO 4217 code, three upper-case letters.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
}

impl Amount {
    /// Checks the decimal string (`-?digits(.digits)?`, no exponent, no leading `+`)
    /// and the currency code.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        let bad = |why: &str| ProtocolError::InvalidAmount(why.into());
        let digits = self.value.strip_prefix('-').unwrap_or(&self.value);
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(bad(
                "the value must be a decimal string such as \"1250.00\"",
            ));
        }
        if whole.len() > 1 && whole.starts_with('0') {
            return Err(bad("the value has a leading zero"));
        }
        if self.value.len() > 32 {
            return Err(bad("the value is too long"));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(bad(
                "the currency must be three upper-case letters, e.g. DKK",
            ));
        }
        Ok(())
    }
}

/// Where and how the action was started, as the relying party saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub user_agent: Option<String>,
}

/// Server-signed: exactly what the user is asked to approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRequest {
    pub iat: i64,
    pub exp: i64,
    pub request_id: String,
    pub nonce: String,
    pub user: String,
    pub rp_id: String,
    /// The name registered for the relying party at the server, not request text.
    pub rp_name: String,
    pub kind: RequestKind,
    pub title: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<String>,
    #[serde(default)]
    pub context: RequestContext,
    pub code_length: u8,
    pub user_verification: UserVerification,
    /// Whether an approval must come with a browser hand-off from one of
    /// `rp_origins` (PROTOCOL.md §7.3). Absent in requests of older servers: `off`
    /// is what they meant, but they never sent it, so a missing member reads as the
    /// default and `rp_origins` is then empty, which binds nothing.
    #[serde(default)]
    pub origin_binding: OriginBinding,
    /// The relying party's registered web origins when the request was made, in
    /// their ASCII serialisation: the only origins a hand-off may verify.
    #[serde(default)]
    pub rp_origins: Vec<String>,
}

impl SignedObject for ApprovalRequest {
    const TYPE: &'static str = "approval_request";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(value: &str, currency: &str) -> Amount {
        Amount {
            value: value.into(),
            currency: currency.into(),
        }
    }

    #[test]
    fn amounts_must_be_plain_decimal_strings() {
        assert!(amount("1250.00", "DKK").validate().is_ok());
        assert!(amount("0.5", "EUR").validate().is_ok());
        assert!(amount("-3", "EUR").validate().is_ok());
        for bad in ["1e3", "+1", "01", "1.", ".5", "", "1,00", "NaN", "1 000"] {
            assert!(amount(bad, "DKK").validate().is_err(), "{bad} accepted");
        }
        assert!(amount("1", "dkk").validate().is_err());
        assert!(amount("1", "DKKK").validate().is_err());
    }
}
