//! ES256 signatures in the protocol's form. Platforms (the Secure Enclave through
//! `SecKeyCreateSignature`) give ECDSA P-256 signatures as DER; the protocol carries
//! raw r‖s (64 bytes, as JOSE does). The p256 crate does the conversion. The same
//! goes for the public key: `SecKeyCopyExternalRepresentation` gives the X9.63 point
//! (0x04‖x‖y), the protocol registers DER SubjectPublicKeyInfo.

use godkend_protocol::{Algorithm, PublicKey};

use super::UvError;

/// Converts a DER-encoded ECDSA P-256 signature to raw r‖s.
pub fn der_to_raw(der: &[u8]) -> Result<Vec<u8>, UvError> {
    let signature = p256::ecdsa::Signature::from_der(der)
        .map_err(|_| UvError::Failed("the platform's P-256 signature is not valid DER".into()))?;
    Ok(signature.to_bytes().to_vec())
}

/// The protocol's ES256 public key from an uncompressed X9.63 P-256 point.
pub fn public_key_from_x963(point: &[u8]) -> Result<PublicKey, UvError> {
    use p256::pkcs8::EncodePublicKey as _;
    let bad = || UvError::Failed("the platform's P-256 public key is not a valid point".into());
    let key = p256::PublicKey::from_sec1_bytes(point).map_err(|_| bad())?;
    let der = key.to_public_key_der().map_err(|_| bad())?;
    PublicKey::new(Algorithm::Es256, der.as_bytes().to_vec()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{DerSignature, Signature, SigningKey};
    use p256::pkcs8::EncodePublicKey as _;

    use super::*;

    #[test]
    fn der_becomes_the_raw_form_the_protocol_verifies() {
        let key = SigningKey::from_slice(&[9; 32]).unwrap();
        let public = godkend_protocol::PublicKey::new(
            godkend_protocol::Algorithm::Es256,
            key.verifying_key()
                .to_public_key_der()
                .unwrap()
                .as_bytes()
                .to_vec(),
        )
        .unwrap();
        for message in [&b"decision"[..], b"", b"another payload"] {
            let der: DerSignature = key.sign(message);
            let raw = der_to_raw(der.as_bytes()).unwrap();
            assert_eq!(raw.len(), 64);
            // Not the DER bytes (70-72 of them, starting with a SEQUENCE tag).
            assert_eq!(der.as_bytes()[0], 0x30);
            let expected: Signature = key.sign(message);
            assert_eq!(raw, expected.to_bytes().to_vec());
            public.verify(message, &raw).unwrap();
            assert!(public.verify(message, der.as_bytes()).is_err());
        }
    }

    #[test]
    fn the_secure_enclave_point_becomes_the_key_the_test_double_registers() {
        use crate::uv::UvSigner as _;
        use crate::uv::test_signers::TestSigner;
        use godkend_protocol::messages::UvKind;
        let key = SigningKey::from_slice(&[9; 32]).unwrap();
        let point = key.verifying_key().to_sec1_point(false);
        assert_eq!(point.as_bytes().len(), 65);
        let public = public_key_from_x963(point.as_bytes()).unwrap();
        assert_eq!(public, TestSigner::es256(9, UvKind::Hardware).public_key());
        for bad in [&[][..], &point.as_bytes()[..64], &[4u8; 65]] {
            assert!(matches!(public_key_from_x963(bad), Err(UvError::Failed(_))));
        }
    }

    #[test]
    fn malformed_der_is_refused_in_words() {
        for bad in [&[][..], &[0x30, 0x02, 0x01], &[0u8; 64]] {
            assert!(matches!(der_to_raw(bad), Err(UvError::Failed(_))));
        }
    }
}
