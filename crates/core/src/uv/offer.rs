//! Which second factors a screen offers. The PIN is always offered ("Use PIN
//! instead"); the biometric check only where it can succeed: a key is registered,
//! biometrics are not suspended, the request's `user_verification` takes the key's
//! kind (the server's own rule, `rules::uv_kind_qualifies`), and, for a `software`
//! key, the server accepts those for approvals.

use godkend_protocol::messages::{UserVerification, UvKind};
use godkend_protocol::rules::uv_kind_qualifies;

use super::suspension::ScanLimit;

/// What the server does with `software` keys (`serve --allow-software-uv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftwareUvPolicy {
    /// They unlock and approve.
    Approves,
    /// They unlock only; approvals need the PIN (the server's default).
    UnlocksOnly,
}

/// The user-verification key this device has registered, and its scan limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UvSetup {
    /// The registered key's kind; `None` without biometrics.
    pub kind: Option<UvKind>,
    pub limit: ScanLimit,
}

impl SoftwareUvPolicy {
    /// The policy the server signed into its info.
    pub fn of(info: &godkend_protocol::messages::ServerInfo) -> Self {
        if info.software_uv_approves {
            SoftwareUvPolicy::Approves
        } else {
            SoftwareUvPolicy::UnlocksOnly
        }
    }
}

impl UvSetup {
    /// Whether the unlock screen offers the biometric check beside the PIN. Any
    /// registered key unlocks (unlocking only opens the app for viewing).
    pub fn offers_for_unlock(self) -> bool {
        self.usable_kind().is_some()
    }

    /// Whether the request screen offers the biometric check for a request that
    /// requires `required`.
    pub fn offers_for_approval(self, required: UserVerification, policy: SoftwareUvPolicy) -> bool {
        self.usable_kind().is_some_and(|kind| {
            uv_kind_qualifies(required, kind)
                && (kind != UvKind::Software || policy == SoftwareUvPolicy::Approves)
        })
    }

    fn usable_kind(self) -> Option<UvKind> {
        // A key registered as `pin` is not a biometric key (the server never records
        // one); it offers nothing.
        self.kind
            .filter(|kind| *kind != UvKind::Pin && !self.limit.is_suspended())
    }
}

#[cfg(test)]
mod tests {
    use UserVerification::{Any, Hardware, Pin};
    use UvKind::{Hardware as Hw, Software as Sw};

    use super::*;
    use crate::uv::UvError;

    fn setup(kind: Option<UvKind>) -> UvSetup {
        UvSetup {
            kind,
            limit: ScanLimit::default(),
        }
    }

    #[test]
    fn a_request_offers_only_what_qualifies() {
        use SoftwareUvPolicy::{Approves, UnlocksOnly};
        let table = [
            // (registered, required, policy, offered)
            (Some(Hw), Any, UnlocksOnly, true),
            (Some(Hw), Hardware, UnlocksOnly, true),
            (Some(Hw), Pin, Approves, false),
            (Some(Sw), Any, Approves, true),
            (Some(Sw), Any, UnlocksOnly, false),
            (Some(Sw), Hardware, Approves, false),
            (Some(Sw), Pin, Approves, false),
            (None, Any, Approves, false),
            (Some(UvKind::Pin), Any, Approves, false),
        ];
        for (kind, required, policy, offered) in table {
            assert_eq!(
                setup(kind).offers_for_approval(required, policy),
                offered,
                "{kind:?} {required:?} {policy:?}"
            );
        }
    }

    #[test]
    fn any_registered_key_unlocks_whatever_the_policy() {
        assert!(setup(Some(Sw)).offers_for_unlock());
        assert!(setup(Some(Hw)).offers_for_unlock());
        assert!(!setup(None).offers_for_unlock());
    }

    #[test]
    fn a_suspension_offers_only_the_pin() {
        let mut suspended = setup(Some(Hw));
        for _ in 0..crate::uv::suspension::MAX_FAILED_SCANS {
            suspended.limit.record_failure(&UvError::NoMatch);
        }
        assert!(!suspended.offers_for_unlock());
        assert!(!suspended.offers_for_approval(Any, SoftwareUvPolicy::Approves));
        suspended.limit.record_pin_unlock();
        assert!(suspended.offers_for_unlock());
    }
}
