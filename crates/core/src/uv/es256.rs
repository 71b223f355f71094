//! ES256 signatures in the protocol's form. Platforms (the Secure Enclave through
//! `SecKeyCreateSignature`) give ECDSA P-256 signatures as DER; the protocol carries
//! raw r‖s (64 bytes, as JOSE does). The p256 crate does the conversion.

use super::UvError;

/// Converts a DER-encoded ECDSA P-256 signature to raw r‖s.
pub fn der_to_raw(der: &[u8]) -> Result<Vec<u8>, UvError> {
    let signature = p256::ecdsa::Signature::from_der(der)
        .map_err(|_| UvError::Failed("the platform's P-256 signature is not valid DER".into()))?;
    Ok(signature.to_bytes().to_vec())
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
    fn malformed_der_is_refused_in_words() {
        for bad in [&[][..], &[0x30, 0x02, 0x01], &[0u8; 64]] {
            assert!(matches!(der_to_raw(bad), Err(UvError::Failed(_))));
        }
    }
}
