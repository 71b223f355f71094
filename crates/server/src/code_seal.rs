//! Activation codes sealed at rest. The server needs the code itself to check the
//! device's HMAC proof (a hash cannot serve), so an open code is stored encrypted with
//! XChaCha20-Poly1305 under a key derived (HKDF-SHA256) from the data secret in the
//! key file. The secret is not the signing key: `key rotate` replaces that, and codes
//! issued before a rotation must still open. A copy of the database alone holds no
//! usable code.

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Marks the sealed form (and its version) in the `code` column.
const PREFIX: &str = "sealed1:";
const NONCE_LEN: usize = 24;
const KEY_INFO: &[u8] = b"godkend activation code v1";

/// Seals and opens activation codes.
pub struct CodeSeal {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for CodeSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeSeal(..)")
    }
}

impl CodeSeal {
    /// The seal for a 32-byte data secret.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, secret)
            .expand(KEY_INFO, key.as_mut())
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        CodeSeal {
            cipher: XChaCha20Poly1305::new((&*key).into()),
        }
    }

    /// Seals `code` for the activation `id` of `user` (both bound as associated data,
    /// so a sealed code moved to another row or user does not open).
    pub fn seal(&self, id: &str, user: &str, code: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: code.as_bytes(),
                    aad: &aad(id, user),
                },
            )
            .unwrap_or_else(|_| unreachable!("encryption of a short code cannot fail"));
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", godkend_protocol::b64::encode(bytes))
    }

    /// The code, or `None` if `stored` is not a code sealed for this row under this
    /// secret (another deployment's key file, a tampered row, a used code).
    pub fn open(&self, id: &str, user: &str, stored: &str) -> Option<Zeroizing<String>> {
        let bytes = godkend_protocol::b64::decode(stored.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad(id, user),
                    },
                )
                .ok()?,
        );
        String::from_utf8(plain.to_vec()).ok().map(Zeroizing::new)
    }
}

fn aad(id: &str, user: &str) -> Vec<u8> {
    // NUL cannot occur in either id, so the split is unambiguous.
    format!("activation\0{id}\0{user}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_without_the_code_in_clear_and_opens_only_for_its_row() {
        let seal = CodeSeal::from_secret(&[9; 32]);
        let sealed = seal.seal("act_1", "alice", "ABCDEFGHJKMN");
        assert!(!sealed.contains("ABCDEFGHJKMN"));
        assert_eq!(
            seal.open("act_1", "alice", &sealed)
                .as_deref()
                .map(String::as_str),
            Some("ABCDEFGHJKMN")
        );
        assert!(seal.open("act_2", "alice", &sealed).is_none());
        assert!(seal.open("act_1", "bob", &sealed).is_none());
        assert!(
            CodeSeal::from_secret(&[8; 32])
                .open("act_1", "alice", &sealed)
                .is_none()
        );
        assert!(seal.open("act_1", "alice", "ABCDEFGHJKMN").is_none());
        assert!(seal.open("act_1", "alice", "").is_none());
    }
}
