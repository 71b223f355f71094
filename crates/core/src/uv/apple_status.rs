//! What the Security framework's and LocalAuthentication's error codes mean for the
//! Touch ID signer, as pure functions of (domain, code), so these rules compile and
//! are tested on every platform; `touch_id.rs` only reads the codes from `CFError`.
//!
//! A signature by a Secure Enclave key whose access control requires biometry runs
//! the Touch ID check inside `SecKeyCreateSignature`; its error names the outcome in
//! one of three domains, depending on which layer gave up.

use super::{Availability, UvError};

/// Why an unsigned build offers only the PIN: without a code signature carrying a
/// keychain entitlement the Secure Enclave refuses to hold a key
/// (errSecMissingEntitlement, -34018).
pub const UNSIGNED_BUILD: &str =
    "this copy of Godkend is not signed, so Touch ID cannot hold its key; use the PIN";

/// The domain of a `CFError`/`NSError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorDomain {
    /// `NSOSStatusErrorDomain`: a Security framework `OSStatus`.
    OsStatus,
    /// `com.apple.LocalAuthentication` (`LAError`).
    LocalAuthentication,
    /// `CryptoTokenKit` (`TKError`), which the Secure Enclave's token uses.
    CryptoTokenKit,
    Other,
}

impl ErrorDomain {
    /// The domain from its name as `CFErrorGetDomain` gives it.
    pub fn from_name(name: &str) -> Self {
        match name {
            "NSOSStatusErrorDomain" => ErrorDomain::OsStatus,
            "com.apple.LocalAuthentication" => ErrorDomain::LocalAuthentication,
            "CryptoTokenKit" => ErrorDomain::CryptoTokenKit,
            _ => ErrorDomain::Other,
        }
    }
}

// Security framework OSStatus codes (SecBase.h).
const ERR_SEC_USER_CANCELED: i64 = -128;
const ERR_SEC_AUTH_FAILED: i64 = -25293;
const ERR_SEC_NOT_AVAILABLE: i64 = -25291;
const ERR_SEC_INTERACTION_NOT_ALLOWED: i64 = -25308;
const ERR_SEC_ITEM_NOT_FOUND: i64 = -25300;
const ERR_SEC_MISSING_ENTITLEMENT: i64 = -34018;

const KEY_GONE: &str = "the Touch ID key is gone; turn Touch ID on again in the settings";

/// The signer's error for a failed Touch ID signature (or key look-up).
pub fn uv_error(domain: ErrorDomain, code: i64) -> UvError {
    match (domain, code) {
        (ErrorDomain::OsStatus, ERR_SEC_USER_CANCELED)
        // LAError userCancel, userFallback ("Use password..."), systemCancel,
        // appCancel, invalidContext (the app invalidated it to cancel).
        | (ErrorDomain::LocalAuthentication, -2 | -3 | -4 | -9 | -10)
        // TKError canceledByUser.
        | (ErrorDomain::CryptoTokenKit, -4) => UvError::Cancelled,
        // A finger that did not match: the only failed attempt.
        (ErrorDomain::OsStatus, ERR_SEC_AUTH_FAILED)
        | (ErrorDomain::LocalAuthentication, -1)
        | (ErrorDomain::CryptoTokenKit, -5) => UvError::NoMatch,
        (ErrorDomain::OsStatus, ERR_SEC_MISSING_ENTITLEMENT) => {
            UvError::Unavailable(UNSIGNED_BUILD.into())
        }
        (ErrorDomain::OsStatus, ERR_SEC_ITEM_NOT_FOUND)
        | (ErrorDomain::CryptoTokenKit, -6 | -7) => UvError::Unavailable(KEY_GONE.into()),
        (ErrorDomain::OsStatus, ERR_SEC_INTERACTION_NOT_ALLOWED | ERR_SEC_NOT_AVAILABLE) => {
            UvError::Unavailable("the Mac cannot show the Touch ID prompt now".into())
        }
        (ErrorDomain::LocalAuthentication, code) => match biometry_unavailable(code) {
            Some(why) => UvError::Unavailable(why.into()),
            None => UvError::Failed(format!("Touch ID answered {code}")),
        },
        (_, code) => UvError::Failed(format!("the Security framework answered {code}")),
    }
}

/// Why Touch ID cannot run, for the `LAError` codes that say so.
fn biometry_unavailable(code: i64) -> Option<&'static str> {
    Some(match code {
        -5 => "this Mac has no login password, which Touch ID needs",
        -6 => "this Mac has no Touch ID",
        -7 => "no finger is enrolled in Touch ID",
        -8 => "Touch ID is locked after too many tries; unlock the Mac with its password",
        -11 | -12 => "the Touch ID keyboard is not connected",
        -1004 => "the Mac cannot show the Touch ID prompt now",
        _ => return None,
    })
}

/// Availability from `LAContext.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics)`
/// (`Err` carries its `LAError` code) and from a look-up of the key in the
/// data-protection keychain (its `OSStatus`: 0 found, -25300 not there yet, -34018
/// this build is not signed).
pub fn availability(biometry: Result<(), i64>, keychain_status: i64) -> Availability {
    if keychain_status == ERR_SEC_MISSING_ENTITLEMENT {
        return Availability::Unavailable(UNSIGNED_BUILD.into());
    }
    if let Err(code) = biometry {
        let why = biometry_unavailable(code).map_or_else(
            || format!("Touch ID is not available ({code})"),
            str::to_owned,
        );
        return Availability::Unavailable(why);
    }
    match keychain_status {
        0 | ERR_SEC_ITEM_NOT_FOUND => Availability::Available,
        other => Availability::Unavailable(format!("the keychain cannot be used ({other})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uv::suspension::ScanLimit;

    #[test]
    fn an_unsigned_build_says_why_and_offers_the_pin() {
        assert_eq!(
            uv_error(ErrorDomain::OsStatus, -34018),
            UvError::Unavailable(UNSIGNED_BUILD.into())
        );
        // Even with Touch ID ready, and before any other reason.
        for biometry in [Ok(()), Err(-7)] {
            assert_eq!(
                availability(biometry, -34018),
                Availability::Unavailable(UNSIGNED_BUILD.into())
            );
        }
        assert!(UNSIGNED_BUILD.contains("not signed") && UNSIGNED_BUILD.contains("PIN"));
    }

    #[test]
    fn only_a_finger_that_did_not_match_counts_toward_the_suspension() {
        let mut limit = ScanLimit::default();
        for (domain, code) in [
            (ErrorDomain::OsStatus, -128),
            (ErrorDomain::LocalAuthentication, -2),
            (ErrorDomain::LocalAuthentication, -3),
            (ErrorDomain::LocalAuthentication, -4),
            (ErrorDomain::LocalAuthentication, -9),
            (ErrorDomain::LocalAuthentication, -10),
            (ErrorDomain::CryptoTokenKit, -4),
        ] {
            assert_eq!(
                uv_error(domain, code),
                UvError::Cancelled,
                "{domain:?} {code}"
            );
            limit.record_failure(&uv_error(domain, code));
        }
        assert_eq!(limit, ScanLimit::default());
        for (domain, code) in [
            (ErrorDomain::OsStatus, -25293),
            (ErrorDomain::LocalAuthentication, -1),
            (ErrorDomain::CryptoTokenKit, -5),
        ] {
            assert_eq!(
                uv_error(domain, code),
                UvError::NoMatch,
                "{domain:?} {code}"
            );
        }
    }

    #[test]
    fn unavailable_and_unknown_codes_are_told_apart() {
        for (domain, code) in [
            (ErrorDomain::OsStatus, -25300),
            (ErrorDomain::OsStatus, -25308),
            (ErrorDomain::LocalAuthentication, -6),
            (ErrorDomain::LocalAuthentication, -7),
            (ErrorDomain::LocalAuthentication, -8),
            (ErrorDomain::CryptoTokenKit, -6),
        ] {
            assert!(
                matches!(uv_error(domain, code), UvError::Unavailable(_)),
                "{domain:?} {code}"
            );
        }
        for (domain, code) in [
            (ErrorDomain::OsStatus, -1),
            (ErrorDomain::LocalAuthentication, -99),
            (ErrorDomain::Other, -128),
        ] {
            assert!(
                matches!(uv_error(domain, code), UvError::Failed(_)),
                "{domain:?} {code}"
            );
        }
        assert_eq!(
            ErrorDomain::from_name("com.apple.LocalAuthentication"),
            ErrorDomain::LocalAuthentication
        );
        assert_eq!(
            ErrorDomain::from_name("NSOSStatusErrorDomain"),
            ErrorDomain::OsStatus
        );
        assert_eq!(
            ErrorDomain::from_name("NSCocoaErrorDomain"),
            ErrorDomain::Other
        );
    }

    #[test]
    fn availability_needs_biometry_and_a_usable_keychain() {
        assert_eq!(availability(Ok(()), 0), Availability::Available);
        assert_eq!(availability(Ok(()), -25300), Availability::Available);
        assert_eq!(
            availability(Err(-7), 0),
            Availability::Unavailable("no finger is enrolled in Touch ID".into())
        );
        assert!(
            matches!(availability(Err(-42), 0), Availability::Unavailable(w) if w.contains("-42"))
        );
        assert!(
            matches!(availability(Ok(()), -25291), Availability::Unavailable(w) if w.contains("-25291"))
        );
    }
}
