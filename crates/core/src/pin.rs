//! The PIN: its rules, and its key. seed = HKDF-SHA256(ikm = Argon2id(PIN, salt),
//! salt = pepper, info = "godkend pin key v1"). There is no local PIN verifier: a
//! wrong PIN simply derives another key, which only the server can tell.

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::CoreError;
use crate::keys::PinKey;

/// Shortest PIN accepted.
pub const MIN_PIN_LENGTH: usize = 6;
/// Longest PIN accepted.
pub const MAX_PIN_LENGTH: usize = 12;

/// Whether `pin` can be a PIN at all: digits only, `MIN_PIN_LENGTH` to
/// `MAX_PIN_LENGTH` of them. What a PIN field waits for before it offers to send
/// (only the server can tell a right PIN; a new PIN is judged by [`check_pin_rules`]).
pub fn pin_ready(pin: &str) -> bool {
    (MIN_PIN_LENGTH..=MAX_PIN_LENGTH).contains(&pin.len())
        && pin.bytes().all(|b| b.is_ascii_digit())
}

/// Argon2id parameters, stored in the config with the salt. Fails closed: the app
/// refuses parameters weaker than the minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl KdfParams {
    /// OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane.
    pub const MINIMUM: KdfParams = KdfParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// Are these at least as strong as the minimum?
    pub fn strong_enough(&self) -> bool {
        self.m_kib >= Self::MINIMUM.m_kib && self.t >= Self::MINIMUM.t && self.p >= 1
    }
}

/// Why a new PIN is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinProblem {
    TooShort,
    TooLong,
    NotDigits,
    TooSimple,
    Mismatch,
}

impl PinProblem {
    pub fn message(self) -> &'static str {
        match self {
            PinProblem::TooShort => "the PIN must have at least 6 digits",
            PinProblem::TooLong => "the PIN can have at most 12 digits",
            PinProblem::NotDigits => "the PIN can contain only digits",
            PinProblem::TooSimple => "this PIN is too easy to guess",
            PinProblem::Mismatch => "the two PINs are not the same",
        }
    }
}

/// Checks a newly chosen PIN and its repetition.
pub fn check_new_pin(pin: &str, again: &str) -> Result<(), PinProblem> {
    check_pin_rules(pin)?;
    if pin != again {
        return Err(PinProblem::Mismatch);
    }
    Ok(())
}

/// The rules alone: length, digits, and no easy patterns.
pub fn check_pin_rules(pin: &str) -> Result<(), PinProblem> {
    if !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PinProblem::NotDigits);
    }
    if pin.len() < MIN_PIN_LENGTH {
        return Err(PinProblem::TooShort);
    }
    if pin.len() > MAX_PIN_LENGTH {
        return Err(PinProblem::TooLong);
    }
    if is_easy(pin.as_bytes()) {
        return Err(PinProblem::TooSimple);
    }
    Ok(())
}

/// Repeats (000000), runs up or down (123456, 654321), a repeated short block
/// (121212, 112233 is pairs, 123123), and a few famous ones.
fn is_easy(pin: &[u8]) -> bool {
    const FAMOUS: &[&str] = &[
        "112233", "121212", "123123", "159753", "147258", "258369", "696969", "520520", "102030",
        "101010",
    ];
    if FAMOUS.iter().any(|f| f.as_bytes() == pin) {
        return true;
    }
    let steps: Vec<i16> = pin
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    let constant_step =
        steps.windows(2).all(|w| w[0] == w[1]) && steps.first().is_some_and(|s| s.abs() <= 1);
    if constant_step {
        return true;
    }
    // Doubled digits ascending or descending: 112233, 998877.
    let pairs = pin.len().is_multiple_of(2) && pin.chunks(2).all(|c| c[0] == c[1]);
    if pairs {
        let firsts: Vec<i16> = pin.chunks(2).map(|c| i16::from(c[0])).collect();
        if firsts.windows(2).all(|w| (w[1] - w[0]).abs() <= 1) {
            return true;
        }
    }
    // A block of 1–3 digits repeated: 121212, 123123, 100100.
    (1..=3).any(|n| {
        pin.len().is_multiple_of(n) && pin.len() / n >= 2 && pin.chunks(n).all(|c| c == &pin[..n])
    })
}

/// Derives the PIN key. Slow on purpose (Argon2id); run it off the UI thread.
pub fn derive_pin_key(
    pin: &str,
    salt: &[u8],
    params: KdfParams,
    pepper: &[u8; 32],
) -> Result<PinKey, CoreError> {
    if !params.strong_enough() {
        return Err(CoreError::Kdf(
            "the stored Argon2id parameters are weaker than allowed".into(),
        ));
    }
    let argon = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(params.m_kib, params.t, params.p, Some(32))
            .map_err(|e| CoreError::Kdf(e.to_string()))?,
    );
    let mut stretched = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pin.as_bytes(), salt, stretched.as_mut())
        .map_err(|e| CoreError::Kdf(e.to_string()))?;
    let hkdf = Hkdf::<Sha256>::new(Some(pepper), stretched.as_ref());
    let mut seed = Zeroizing::new([0u8; 32]);
    hkdf.expand(b"godkend pin key v1", seed.as_mut())
        .map_err(|e| CoreError::Kdf(e.to_string()))?;
    Ok(PinKey::from_seed(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_pins_are_refused() {
        for pin in [
            "123456", "000000", "112233", "121212", "654321", "111111", "987654", "123123",
            "998877", "012345",
        ] {
            assert_eq!(check_pin_rules(pin), Err(PinProblem::TooSimple), "{pin}");
        }
    }

    #[test]
    fn reasonable_pins_pass_and_format_rules_hold() {
        assert_eq!(check_pin_rules("403917"), Ok(()));
        assert_eq!(check_pin_rules("28461937"), Ok(()));
        assert_eq!(check_pin_rules("40391"), Err(PinProblem::TooShort));
        assert_eq!(check_pin_rules("40391a"), Err(PinProblem::NotDigits));
        assert_eq!(check_pin_rules("4039174039174"), Err(PinProblem::TooLong));
        assert_eq!(check_new_pin("403917", "403918"), Err(PinProblem::Mismatch));
    }

    #[test]
    fn a_pin_is_ready_at_six_to_twelve_digits() {
        assert!(!pin_ready(""));
        assert!(!pin_ready("40391"));
        assert!(pin_ready("403917"));
        assert!(pin_ready("403917403917"));
        assert!(!pin_ready("4039174039174"));
        assert!(!pin_ready("40391a"));
    }

    #[test]
    fn pin_key_depends_on_pin_salt_and_pepper() {
        let p = KdfParams::MINIMUM;
        let a = derive_pin_key("403917", b"salt-salt-salt-1", p, &[1; 32])
            .unwrap()
            .public();
        assert_eq!(
            a,
            derive_pin_key("403917", b"salt-salt-salt-1", p, &[1; 32])
                .unwrap()
                .public()
        );
        assert_ne!(
            a,
            derive_pin_key("403918", b"salt-salt-salt-1", p, &[1; 32])
                .unwrap()
                .public()
        );
        assert_ne!(
            a,
            derive_pin_key("403917", b"salt-salt-salt-2", p, &[1; 32])
                .unwrap()
                .public()
        );
        assert_ne!(
            a,
            derive_pin_key("403917", b"salt-salt-salt-1", p, &[2; 32])
                .unwrap()
                .public()
        );
    }

    /// The test vector of PROTOCOL.md §5.4, computed independently (Python
    /// `cryptography`): doc and code must not drift apart.
    #[test]
    fn pin_key_derivation_matches_the_protocol_vector() {
        let salt: Vec<u8> = (0u8..16).collect();
        let key = derive_pin_key("403917", &salt, KdfParams::MINIMUM, &[0x2a; 32]).unwrap();
        let mut seed = String::new();
        for byte in key.signing_key().to_bytes() {
            use std::fmt::Write as _;
            let _ = write!(seed, "{byte:02x}");
        }
        assert_eq!(
            seed,
            "09539ab4ee37fe2182d39a3ae8f0010f17c3f5de5f5ddae400106cab29c95150"
        );
        assert_eq!(
            key.public().to_b64(),
            "MkX-h_9MVus-lGd8G5R5f056msI5StmnwT5CejNdIH4"
        );
        assert_eq!(key.public().kid(), "wzSkGBvSNbv-FNkH");
    }

    #[test]
    fn weak_parameters_are_refused() {
        let weak = KdfParams {
            m_kib: 1024,
            t: 1,
            p: 1,
        };
        assert!(derive_pin_key("403917", b"salt-salt-salt-1", weak, &[1; 32]).is_err());
    }
}
