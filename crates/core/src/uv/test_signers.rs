//! Test doubles of platform signers, for the shared logic's tests and the server's
//! API tests: P-256 (standing in for a Secure Enclave key; it signs DER and converts,
//! as the macOS backend must) and RSA-2048 PKCS#1 v1.5 (standing in for a Windows
//! Hello key). They check nobody; `fail_next` makes the next checks fail as a
//! platform would. Built only for tests and with the `test-signers` feature.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use godkend_protocol::messages::UvKind;
use godkend_protocol::{Algorithm, PublicKey};

use super::{Availability, UvError, UvSigner, es256};

/// A fixed RSA-2048 key (PKCS#8 DER, standard base64), made once with `openssl
/// genpkey -algorithm RSA` for these doubles; test use only.
const RSA_A_PKCS8_BASE64: &str = "\
    MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQClBF0o2+ofM9fYySkYwIA9pf4C\
    9meehhbPVq//CmTSyaOBCFCYgaTFvwL4t50cmE7mmnwPcBBGDXQl1bHPQGfhWb+Buy7lgIUTm2a5\
    5ZyW0g7XbfgaVqvN108qIv1PKt1/xlXjaTld5PBpFBzjsGmxInxjQmxgtgJMsk1LIkQ+sRGbu0VP\
    QveMC7Sg0Om+sccm0XdVZgVaI1AZ2SXC66oWwpV6PH5Hm7Sg5Akzfl/XMzkRYjIqIz2ZKk1FO8FE\
    ja2JId0hO1w4qP4jMqyVE/KoQqKA9QokoVZMt4a8fH9f0PkuDOb07WbXRLZ1kDdxjC/mhH9o51Pb\
    cFlehD1s/ww7AgMBAAECggEAFQYzz6yz17WKvCI7sV12rqQTSLxXzQYyKh4rfo02oEveyuX3eB7D\
    ErYN7QizzzyxMhyfpCCNKj0KPcx2rZGmn+WyimxXWBfiR0e8NFYb98lGk82n18SQJMHYYmV31u9+\
    rgoOelK3OOPIz5J88HN9sSWpfxoA5ed6mTFPELy1FjQotcjxLC3aiTpYlaBLwRvRwxnuRDqzW1NF\
    VUbXSXjQC3PkGUN3MUBLqVjzTcleC6HUMaJz2eVySwpbg+XfBO6cqJIKff9bS61DHhKZ2nwiXZm+\
    AQ32lkjUrqg4SUL3nBTdZyNYc8f9ljMIOiC/ueW0AIioWPnuN7qtw5TE4KCQSQKBgQDpInVryoHb\
    2nRGru1vG3sFzXgcTD0FsCBF9lw/7TTdswyH9IfHZkkEsJ2ujmFmFM9kAkrDMsGDdxDbPcxywQbe\
    oYaFEu9zQ+qP0zVtBD3fAMHeiRtUEnPUDGH7vQqxgSHgDmeEuGbxPfEprfN6NDvpWfQCJeAT2bAj\
    QilCNPrCYwKBgQC1M5w6euBJhZGB/JekT8MbdYjLcXQwHs32qIYAbBML7Ygg9J56PqkVLSFNg/m3\
    rFmL2c0bBU1acNp4MvWKbZX6CBl8DxPutW+OU2lJ76pytMz7NlR4x9TdEyFJMs0jFfvhNMHvW3ZT\
    j7DKzb6u+8quSFugR+ZU0dF1Gj/FwI9KSQKBgQCRFZm/gCI6gQPVrS0j9RUlck4qRiO/s3ESORQF\
    0IgS5EeLIFmTdQtB+OvYYtEoZxD9qxN90MtvFh0OY7IlRA0TZbBChpsvv3dtFELuWjJq4pzD8c1p\
    D6a3sxETSf0qpDNBrZUsmlmuDh9UEeYxCeqy+QEKiSmfEN01xAnLIw9fAwKBgDcHgHemH31Uihce\
    3fKxooAxVqTqRK3kfQperattJu+laIURpRtc8j6TIR0IaoskVWGKeKavGonP4hlE6JrsovJ3CT5K\
    2fPRuBpSLJSeq3YAgIv+OPMhRP0KtT4kpnX0VDVVr1wAu9OuvLMqfrFnmGsLYIAxtbqmqeTVXu6w\
    hxO5AoGBAI+kauTNFSWAHxFCWEhyQQU47hrgkooXjn4qtS9n96G0CaY67XPHpxTqXby76a3JYfUo\
    B6ZOu+1pWjaBgrh+tkswOFSJToYtf9bpgY8jlcZk459TnyKPV7ZWzTP0A7ChFDYYiIh9WPwxSidy\
    /4diuVY/ZEWWbkMho6XbEXePhyxK";

/// A second fixed RSA-2048 key, made the same way: the "wrong key".
const RSA_B_PKCS8_BASE64: &str = "\
    MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCniu4oI7MGiVKTkxa+65RO8m5o\
    3smPUXQQ0C6eMhcSsiJjMTxUMakqFxNtJp1cnQ7dbYLfs/VvJbJO7If/F3RpBnilGfylpTaRu4Hg\
    7s84heJRoK4jtnc/RtbjOq7rIsp7YqkJbXhHKExU5A2dTH/X31AybkdaqDriSkVRbWSN+xMYEf+c\
    d2PjqwmFp5BcfwO1J4yXrfTlWYRfQhz/1vAUUSa+KZ9T4Z+Ljmb1KPMbSPCJzYsEtg7RzlGcZ4+1\
    avqLHWfe29SL6x2mpjGMzWXTaA+sTUtYGgqjVUY9UVbBJD+dWvZaOjW6CuCzqBD5dj3CoZjtn2/S\
    tPUN99pMUdIVAgMBAAECggEAC7j/T+Srjo4GLpgwk7w0/M8epYzNCo+W8OQ4Fs6HacH4APu9bmCp\
    Ju5FaDI2+XdtxlV2vkM/rX60Oqx3GYShGwYeY+LtGAP2zPyTKlNbQWewvahh9tK6Bj3lJDIDciVV\
    iIuPKz8zFrt9l8T7JOHo4ghYeqbXrEKwGAw9TGS8j+h/2t6oUvBhwr0GnpO863NS3vy2i016VzvP\
    Tq3NiyBEk2EGhNr/i/kJO5TIZp9opbX5SoC0GfawbV8kKUR4SsAwb3I8CMjVrKdoPy4HlKNXOWkx\
    zVWVm+Q8h3eSwVxNoIRCWhomsC/1sIXHoiltrFrsLTAAteZp0t9589F2+EfgAwKBgQDY4mG+LlE4\
    efIB18pTDa6TMiJtSu20U7VCu6MOj0P/zlbyne1nAIzKk6mR/4JHK00G51x2xOO7erknsIGJn4Xp\
    EaFdaGp8FbgcOrOqCc5Op8nDbKeFxw5Wu1e8UhWxL7BcxkeQWt8ziRDzVgS0WIbdI1f0hx2meUDB\
    4Jfn+Ft8zwKBgQDFwm46XNS0hSyaKp7EmM0EGqUDKVrN8SCVWqXTvYsqzQxFDGpPxmN5rsk50YNR\
    POiRbWe//sshOyMJBBCW5DVzTkq+5fBbXYvq3LuUdFiQFIKROQKlIbumTPpQ8y9ry8ypAomunGt0\
    8nNRGySya7KULGIg5xKCLjLAS1vwVRZj2wKBgD6hGNKfc2rYpA7uLonPQKNW7eQbqArTxVsQ7iQt\
    MNi00BzdiAmfegihnW0AmLFOir68ntHZR14DMWaJrM5+F2BXa/6aQW21o+Xa+bjXfhDumO/q93FF\
    KxnWnZ5PId55w/b2dwHzi9LI+PEb3N3rVn6TTznYrrI8/3s9DQC6kki3AoGBAJ/KPHqX6555RNLE\
    wUilFnLMfKyTS7W/sc48UmVGcB6DU/iu0W/oIxR9MEaxjWOkzV5EgmJWJBeTyvlL+YOSncWvayHY\
    dV+9tIJvHHoVkEHK8L0azZJUMWVsKY4jERwOri2ZyVn3NbRm+tp8DijEcKTdP+TKEOBzJ7rMqVsF\
    xXOlAoGAcTZ7wNwCkN36dhuIilfn0eHmHBQ2PhuMjUVJ4J/E6EsHB5x8eNy4E9gkZ3lBGhDv/89i\
    7kA5wtMV9lMrrRHVE/+tP7ekmEO0aKDch/8O9R+9OlwHIGPY3Jlo9ZE/urPElsEZZLN75egSandH\
    H8C/P29QTPni29XvfZi5lxzyX9w=";

/// The private half of a double.
enum TestKey {
    Es256(p256::ecdsa::SigningKey),
    Rs256(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
}

/// A platform signer's stand-in with a fixed key.
pub struct TestSigner {
    key: TestKey,
    public: PublicKey,
    kind: UvKind,
    /// Outcomes of the next checks, oldest first.
    failures: Mutex<VecDeque<UvError>>,
    deleted: AtomicBool,
}

impl TestSigner {
    /// A P-256 key whose 32-byte scalar is `byte` repeated (`byte` from 1 to 0xfe).
    pub fn es256(byte: u8, kind: UvKind) -> Self {
        use p256::pkcs8::EncodePublicKey as _;
        let key = p256::ecdsa::SigningKey::from_slice(&[byte; 32])
            .unwrap_or_else(|_| panic!("{byte:#x} repeated is not a P-256 scalar"));
        let der = key
            .verifying_key()
            .to_public_key_der()
            .unwrap_or_else(|e| panic!("P-256 public key: {e}"));
        Self::new(
            TestKey::Es256(key),
            Algorithm::Es256,
            der.as_bytes().to_vec(),
            kind,
        )
    }

    /// The first fixed RSA-2048 key.
    pub fn rs256(kind: UvKind) -> Self {
        Self::rsa(RSA_A_PKCS8_BASE64, kind)
    }

    /// The second fixed RSA-2048 key (another key than `rs256`'s).
    pub fn rs256_other(kind: UvKind) -> Self {
        Self::rsa(RSA_B_PKCS8_BASE64, kind)
    }

    fn rsa(pkcs8_base64: &str, kind: UvKind) -> Self {
        use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
        use rsa::signature::Keypair as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(pkcs8_base64)
            .unwrap_or_else(|e| panic!("fixed RSA key: {e}"));
        let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::from_pkcs8_der(&der)
            .unwrap_or_else(|e| panic!("fixed RSA key: {e}"));
        let spki = key
            .verifying_key()
            .to_public_key_der()
            .unwrap_or_else(|e| panic!("RSA public key: {e}"));
        Self::new(
            TestKey::Rs256(Box::new(key)),
            Algorithm::Rs256,
            spki.as_bytes().to_vec(),
            kind,
        )
    }

    fn new(key: TestKey, alg: Algorithm, public: Vec<u8>, kind: UvKind) -> Self {
        TestSigner {
            key,
            public: PublicKey::new(alg, public).unwrap_or_else(|e| panic!("{e}")),
            kind,
            failures: Mutex::new(VecDeque::new()),
            deleted: AtomicBool::new(false),
        }
    }

    /// The next check ends with `error` instead of a signature.
    pub fn fail_next(&self, error: UvError) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.push_back(error);
        }
    }

    fn sign_now(&self, bytes: &[u8]) -> Vec<u8> {
        match &self.key {
            TestKey::Es256(key) => {
                use p256::ecdsa::signature::Signer as _;
                // DER first, as the Secure Enclave answers.
                let der: p256::ecdsa::DerSignature = key.sign(bytes);
                es256::der_to_raw(der.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
            }
            TestKey::Rs256(key) => {
                use rsa::signature::{SignatureEncoding as _, Signer as _};
                key.sign(bytes).to_vec()
            }
        }
    }
}

impl UvSigner for TestSigner {
    fn availability(&self) -> BoxFuture<'_, Availability> {
        futures::future::ready(if self.deleted.load(Ordering::SeqCst) {
            Availability::Unavailable("the test key was deleted".into())
        } else {
            Availability::Available
        })
        .boxed()
    }

    fn kind(&self) -> UvKind {
        self.kind
    }

    fn alg(&self) -> Algorithm {
        self.public.alg()
    }

    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    fn sign<'a>(
        &'a self,
        bytes: &'a [u8],
        _reason: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, UvError>> {
        let scripted = self.failures.lock().ok().and_then(|mut f| f.pop_front());
        let outcome = if let Some(error) = scripted {
            Err(error)
        } else if self.deleted.load(Ordering::SeqCst) {
            Err(UvError::Unavailable("the test key was deleted".into()))
        } else {
            Ok(self.sign_now(bytes))
        };
        futures::future::ready(outcome).boxed()
    }

    fn delete_key(&self) -> BoxFuture<'_, Result<(), UvError>> {
        self.deleted.store(true, Ordering::SeqCst);
        futures::future::ready(Ok(())).boxed()
    }
}

#[cfg(test)]
mod tests {
    use godkend_protocol::Envelope;
    use godkend_protocol::messages::UnlockProof;

    use super::*;
    use crate::uv::sign_envelope;

    fn proof() -> Envelope {
        let device = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
        let proof = UnlockProof {
            iat: 1,
            device_id: "dev-1".into(),
            challenge: "c".into(),
            uv_kid: None,
        };
        Envelope::seal(&proof, &[&device]).unwrap()
    }

    #[tokio::test]
    async fn rsa_and_p256_signatures_verify_in_an_envelope() {
        for signer in [
            TestSigner::es256(9, UvKind::Hardware),
            TestSigner::rs256(UvKind::Hardware),
            TestSigner::rs256_other(UvKind::Software),
        ] {
            let mut envelope = proof();
            sign_envelope(&mut envelope, &signer, "why").await.unwrap();
            envelope.verify(&signer.public_key()).unwrap();
            assert_eq!(envelope.signatures[1].alg, signer.alg());
        }
        assert_ne!(
            TestSigner::rs256(UvKind::Hardware).public_key(),
            TestSigner::rs256_other(UvKind::Hardware).public_key()
        );
    }

    #[tokio::test]
    async fn scripted_failures_come_first_and_add_nothing() {
        let signer = TestSigner::es256(9, UvKind::Hardware);
        signer.fail_next(UvError::NoMatch);
        signer.fail_next(UvError::Cancelled);
        let mut envelope = proof();
        for expected in [UvError::NoMatch, UvError::Cancelled] {
            assert_eq!(
                sign_envelope(&mut envelope, &signer, "why").await,
                Err(expected)
            );
        }
        assert_eq!(envelope.signatures.len(), 1);
        sign_envelope(&mut envelope, &signer, "why").await.unwrap();
        signer.delete_key().await.unwrap();
        assert!(matches!(
            signer.availability().await,
            Availability::Unavailable(_)
        ));
    }

    /// A backend whose key is not the one it registered (or that forgot the DER
    /// conversion) fails before anything is sent.
    #[tokio::test]
    async fn a_signature_that_does_not_verify_locally_is_not_added() {
        struct Impostor(TestSigner, TestSigner);
        impl UvSigner for Impostor {
            fn availability(&self) -> BoxFuture<'_, Availability> {
                self.0.availability()
            }
            fn kind(&self) -> UvKind {
                self.0.kind()
            }
            fn alg(&self) -> Algorithm {
                self.0.alg()
            }
            fn public_key(&self) -> PublicKey {
                self.0.public_key()
            }
            fn sign<'a>(
                &'a self,
                bytes: &'a [u8],
                reason: &'a str,
            ) -> BoxFuture<'a, Result<Vec<u8>, UvError>> {
                self.1.sign(bytes, reason)
            }
            fn delete_key(&self) -> BoxFuture<'_, Result<(), UvError>> {
                self.0.delete_key()
            }
        }
        let impostor = Impostor(
            TestSigner::rs256(UvKind::Hardware),
            TestSigner::rs256_other(UvKind::Hardware),
        );
        let mut envelope = proof();
        assert!(matches!(
            sign_envelope(&mut envelope, &impostor, "why").await,
            Err(UvError::Failed(_))
        ));
        assert_eq!(envelope.signatures.len(), 1);
    }
}
