//! The admin API's request bodies (`/v1/admin/...`, the admin CLI's operations for
//! remote tooling) and the rules the server checks their fields by, beyond the id
//! rules (`crate::ids`) and origins (`crate::origin::normalise_origins`).

use serde::{Deserialize, Serialize};

use crate::{ErrorCode, Problem};

/// Longest relying-party name, in characters (devices show it in every request).
pub const MAX_RP_NAME_CHARS: usize = 80;
/// The default overlap of a key rotation: a day, time for a deployment to pick up
/// the new key.
pub const DEFAULT_OVERLAP_SECONDS: i64 = 24 * 3600;
/// The longest overlap: a leaked key should not be allowed to linger for months.
pub const MAX_OVERLAP_SECONDS: i64 = 30 * 24 * 3600;

/// `POST /v1/admin/users` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    /// The user id relying parties send, e.g. an e-mail address.
    pub user: String,
    /// A display name; defaults to the id.
    pub name: Option<String>,
}

/// `POST /v1/admin/rps` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRpBody {
    /// The relying party's id.
    pub rp_id: String,
    /// The name devices show for it (`rp_name` in approval requests).
    pub name: String,
    /// Its web origins, e.g. `https://shop.example` (scheme, host and port only),
    /// signed into each of its approval requests (PROTOCOL.md §7.3).
    #[serde(default)]
    pub origins: Vec<String>,
}

/// `PATCH /v1/admin/rps/{rp}` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RpUpdateBody {
    /// The relying party's web origins, replacing the ones it had (`[]` removes
    /// them all). Requests already made keep the origins they were signed with.
    pub origins: Vec<String>,
}

/// `POST /v1/admin/rps/{rp}/rotate-key` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RotateKeyBody {
    /// How long the current key keeps working, in seconds: 0 to 2592000 (30 days);
    /// 0 stops it at once. Default 86400 (a day).
    #[serde(default = "default_overlap")]
    #[cfg_attr(
        feature = "openapi",
        schema(default = 86400, minimum = 0, maximum = 2_592_000)
    )]
    pub overlap_seconds: i64,
}

fn default_overlap() -> i64 {
    DEFAULT_OVERLAP_SECONDS
}

/// `POST /v1/admin/activations` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewActivationBody {
    /// The user the device will belong to.
    pub user: String,
}

/// A relying party's name: not blank, at most [`MAX_RP_NAME_CHARS`] characters.
pub fn check_rp_name(name: &str) -> Result<(), Box<Problem>> {
    if name.trim().is_empty() || name.chars().count() > MAX_RP_NAME_CHARS {
        return Err(Box::new(Problem::new(
            ErrorCode::BadRequest,
            format!("the name must be 1 to {MAX_RP_NAME_CHARS} characters"),
        )));
    }
    Ok(())
}

/// A key rotation's overlap: 0 (the current key stops at once) to
/// [`MAX_OVERLAP_SECONDS`].
pub fn check_overlap(overlap_seconds: i64) -> Result<(), Box<Problem>> {
    if !(0..=MAX_OVERLAP_SECONDS).contains(&overlap_seconds) {
        return Err(Box::new(Problem::new(
            ErrorCode::BadRequest,
            "the overlap must be between 0 seconds and 30 days",
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_as_the_admin_api_documents_them() {
        let rp: NewRpBody = serde_json::from_str(r#"{"rp_id":"shop","name":"Shop"}"#).unwrap();
        assert!(rp.origins.is_empty(), "origins default to none");
        let rotate: RotateKeyBody = serde_json::from_str("{}").unwrap();
        assert_eq!(rotate.overlap_seconds, DEFAULT_OVERLAP_SECONDS);
        assert!(serde_json::from_str::<RotateKeyBody>(r#"{"overlap":5}"#).is_err());
        assert!(serde_json::from_str::<RpUpdateBody>(r#"{"origins":[],"x":1}"#).is_err());
        let user: NewUser = serde_json::from_str(r#"{"user":"alice"}"#).unwrap();
        assert_eq!(user.name, None);
    }

    #[test]
    fn names_and_overlaps_have_their_limits() {
        assert!(check_rp_name("Shop").is_ok());
        assert!(
            check_rp_name(&"æ".repeat(80)).is_ok(),
            "characters, not bytes"
        );
        for bad in ["", "   ", &"x".repeat(81)] {
            assert!(check_rp_name(bad).is_err(), "{bad:?}");
        }
        for ok in [0, 1, MAX_OVERLAP_SECONDS] {
            assert!(check_overlap(ok).is_ok(), "{ok}");
        }
        for bad in [-1, MAX_OVERLAP_SECONDS + 1, i64::MIN, i64::MAX] {
            assert!(check_overlap(bad).is_err(), "{bad}");
        }
    }
}
