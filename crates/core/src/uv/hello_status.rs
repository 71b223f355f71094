//! What Windows Hello's answers mean for the signer, as pure functions of the numbers
//! Hello gives (`KeyCredentialStatus`, `KeyCredentialAttestationStatus`), so these
//! rules compile and are tested on every platform; `hello.rs` only reads the numbers.
//!
//! Hello runs its own face/finger retries and falls back to its own PIN, so it never
//! reports "did not match": a Hello check ends signed, cancelled or unavailable, and
//! Godkend's five-failed-scans suspension never counts one. Hello's own limits (and
//! the TPM's lock-out of wrong Hello PINs, `SecurityDeviceLocked`) apply instead.

use godkend_protocol::messages::UvKind;

use super::{Availability, UvError};

/// What the app shows when Hello is not set up (no face, finger or Hello PIN).
pub const NOT_SET_UP: &str = "Windows Hello is not set up on this computer";

/// `KeyCredentialStatus`, by its documented numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloStatus {
    Success,
    UnknownError,
    NotFound,
    UserCanceled,
    UserPrefersPassword,
    CredentialAlreadyExists,
    SecurityDeviceLocked,
    /// A number a later Windows may add.
    Other(i32),
}

impl HelloStatus {
    pub fn from_raw(raw: i32) -> Self {
        match raw {
            0 => HelloStatus::Success,
            1 => HelloStatus::UnknownError,
            2 => HelloStatus::NotFound,
            3 => HelloStatus::UserCanceled,
            4 => HelloStatus::UserPrefersPassword,
            5 => HelloStatus::CredentialAlreadyExists,
            6 => HelloStatus::SecurityDeviceLocked,
            other => HelloStatus::Other(other),
        }
    }
}

/// Whether a Hello call (create, open, sign) succeeded, and if not, why in the
/// signer's terms.
pub fn check(status: HelloStatus) -> Result<(), UvError> {
    match status {
        HelloStatus::Success => Ok(()),
        // "Use my password" in Hello's dialog: the user chose another way, which for
        // Godkend is its own PIN.
        HelloStatus::UserCanceled | HelloStatus::UserPrefersPassword => Err(UvError::Cancelled),
        HelloStatus::NotFound => Err(UvError::Unavailable(
            "the Windows Hello key is gone; turn Windows Hello on again in the settings".into(),
        )),
        HelloStatus::SecurityDeviceLocked => Err(UvError::Unavailable(
            "the security chip is locked after too many wrong Windows Hello PINs".into(),
        )),
        HelloStatus::CredentialAlreadyExists => Err(UvError::Failed(
            "Windows Hello already holds a key of that name".into(),
        )),
        HelloStatus::UnknownError => Err(UvError::Failed("Windows Hello reported an error".into())),
        HelloStatus::Other(raw) => Err(UvError::Failed(format!(
            "Windows Hello answered with status {raw}"
        ))),
    }
}

/// Availability from `KeyCredentialManager.IsSupportedAsync`: `Ok(false)` is a
/// computer without Hello set up; an error (`error` describes it, e.g. the
/// "class not registered" HRESULT of Windows without Hello, or of Wine) means Hello
/// cannot run here at all.
pub fn availability(supported: Result<bool, String>) -> Availability {
    match supported {
        Ok(true) => Availability::Available,
        Ok(false) => Availability::Unavailable(NOT_SET_UP.into()),
        Err(error) => Availability::Unavailable(format!(
            "Windows Hello is not available on this computer ({error})"
        )),
    }
}

/// The kind registered at the server, from `KeyCredentialAttestationStatus` (0 is
/// `Success`): only a key whose attestation Hello could produce is TPM-bound, so
/// `hardware`; "not supported" (no TPM, software Hello), a temporary failure or an
/// error all mean `software`. The server does not check the attestation itself.
pub fn kind(attestation_status: i32) -> UvKind {
    if attestation_status == 0 {
        UvKind::Hardware
    } else {
        UvKind::Software
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uv::suspension::ScanLimit;

    #[test]
    fn cancel_and_prefer_password_are_cancels_and_never_count_as_failed_scans() {
        let mut limit = ScanLimit::default();
        for raw in [3, 4] {
            let error = check(HelloStatus::from_raw(raw)).unwrap_err();
            assert_eq!(error, UvError::Cancelled);
            for _ in 0..10 {
                limit.record_failure(&error);
            }
        }
        assert_eq!(limit, ScanLimit::default());
    }

    #[test]
    fn every_status_maps_to_what_the_app_tells_apart() {
        assert_eq!(check(HelloStatus::from_raw(0)), Ok(()));
        for unavailable in [2, 6] {
            assert!(
                matches!(
                    check(HelloStatus::from_raw(unavailable)),
                    Err(UvError::Unavailable(_))
                ),
                "{unavailable}"
            );
        }
        for failed in [1, 5, 7, -1] {
            assert!(
                matches!(
                    check(HelloStatus::from_raw(failed)),
                    Err(UvError::Failed(_))
                ),
                "{failed}"
            );
        }
        // Hello never says "no match": its own retries happen inside the dialog.
        for raw in -1..10 {
            assert_ne!(check(HelloStatus::from_raw(raw)), Err(UvError::NoMatch));
        }
        assert_eq!(HelloStatus::from_raw(42), HelloStatus::Other(42));
    }

    #[test]
    fn availability_tells_not_set_up_from_not_there() {
        assert_eq!(availability(Ok(true)), Availability::Available);
        assert_eq!(
            availability(Ok(false)),
            Availability::Unavailable(NOT_SET_UP.into())
        );
        let Availability::Unavailable(why) =
            availability(Err("class not registered (0x80040154)".into()))
        else {
            panic!("an error is not availability");
        };
        assert!(
            why.contains("not available") && why.contains("0x80040154"),
            "{why}"
        );
    }

    #[test]
    fn only_a_successful_attestation_is_hardware() {
        assert_eq!(kind(0), UvKind::Hardware);
        for status in [1, 2, 3, 99, -1] {
            assert_eq!(kind(status), UvKind::Software, "{status}");
        }
    }
}
