//! base64url without padding and SHA-256, the only byte encodings on the wire.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::ProtocolError;

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; padding or the standard alphabet is rejected.
pub fn decode(text: &str) -> Result<Vec<u8>, ProtocolError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| ProtocolError::Base64(e.to_string()))
}

/// Decodes base64url into exactly `N` bytes.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], ProtocolError> {
    let bytes = decode(text)?;
    bytes
        .try_into()
        .map_err(|v: Vec<u8>| ProtocolError::Base64(format!("expected {N} bytes, got {}", v.len())))
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: impl AsRef<[u8]>) -> [u8; 32] {
    Sha256::digest(bytes.as_ref()).into()
}

/// base64url(SHA-256(bytes)), the protocol's hash notation.
pub fn sha256_b64(bytes: impl AsRef<[u8]>) -> String {
    encode(sha256(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_without_padding() {
        let text = encode([0xfb, 0xff, 0x01]);
        assert_eq!(text, "-_8B");
        assert_eq!(decode(&text).unwrap(), vec![0xfb, 0xff, 0x01]);
    }

    #[test]
    fn rejects_padding_and_standard_alphabet() {
        assert!(decode("-_8B==").is_err() || decode("AA==").is_err());
        assert!(decode("+/8B").is_err());
    }

    #[test]
    fn empty_string_hash_is_the_known_value() {
        assert_eq!(
            sha256_b64(b""),
            "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }

    #[test]
    fn decode_array_checks_length() {
        assert!(decode_array::<4>(&encode([1, 2, 3])).is_err());
        assert_eq!(decode_array::<3>(&encode([1, 2, 3])).unwrap(), [1, 2, 3]);
    }
}
