//! The Windows user-verification signer: a Windows Hello key credential
//! (`KeyCredentialManager`). Hello makes the RSA-2048 key, keeps it (in the TPM
//! where there is one) and signs with it only after its own face, finger or Hello PIN
//! check, which runs inside `RequestSignAsync`: the key never reaches Godkend.
//!
//! What Hello's numbers mean is in `hello_status` (tested on every platform). Hello's
//! WinRT calls are awaited through `windows-future`'s `IntoFuture`, which wakes the
//! task from Hello's completion callback: no thread blocks, the app's UI thread
//! least of all.

use futures::FutureExt as _;
use futures::future::BoxFuture;
use godkend_protocol::messages::UvKind;
use godkend_protocol::{Algorithm, PublicKey};
use windows::Security::Credentials::{
    KeyCredential, KeyCredentialCreationOption, KeyCredentialManager, KeyCredentialRetrievalResult,
};
use windows::Security::Cryptography::Core::CryptographicPublicKeyBlobType;
use windows::Security::Cryptography::CryptographicBuffer;
use windows::Storage::Streams::IBuffer;
use windows::core::{Array, HSTRING};
use windows_future::IAsyncOperation;

use super::hello_status::{self, HelloStatus};
use super::{Availability, UvError, UvSigner};

/// A Windows Hello key credential of this app (see the module's note).
pub struct HelloSigner {
    name: HSTRING,
    credential: KeyCredential,
    public: PublicKey,
    kind: UvKind,
}

impl std::fmt::Debug for HelloSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelloSigner")
            .field("name", &self.name.to_string_lossy())
            .field("kid", &self.public.kid())
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl HelloSigner {
    /// Whether Hello is set up for this user (`IsSupportedAsync`), before any key
    /// exists. Where Hello's classes are missing (old Windows, Wine) the call fails,
    /// and that too is "not available".
    pub async fn platform_availability() -> Availability {
        let supported = match KeyCredentialManager::IsSupportedAsync() {
            Ok(operation) => finish(operation).await,
            Err(error) => Err(error),
        };
        hello_status::availability(supported.map_err(|e| describe(&e)))
    }

    /// Makes a new key named `name`, replacing one of that name; Hello asks the user
    /// to confirm with face, finger or Hello PIN.
    pub async fn create(name: &str) -> Result<Self, UvError> {
        let name = HSTRING::from(name);
        let operation = KeyCredentialManager::RequestCreateAsync(
            &name,
            KeyCredentialCreationOption::ReplaceExisting,
        )
        .map_err(|e| failed(&e))?;
        let retrieved = finish(operation).await.map_err(|e| failed(&e))?;
        Self::from_retrieved(name, &retrieved).await
    }

    /// The existing key named `name` (no prompt). A key that is not there is
    /// `Unavailable`.
    pub async fn open(name: &str) -> Result<Self, UvError> {
        let name = HSTRING::from(name);
        let operation = KeyCredentialManager::OpenAsync(&name).map_err(|e| failed(&e))?;
        let retrieved = finish(operation).await.map_err(|e| failed(&e))?;
        Self::from_retrieved(name, &retrieved).await
    }

    /// Deletes the key named `name` without opening it.
    pub async fn delete(name: &str) -> Result<(), UvError> {
        let operation =
            KeyCredentialManager::DeleteAsync(&HSTRING::from(name)).map_err(|e| failed(&e))?;
        operation.await.map_err(|e| failed(&e))
    }

    async fn from_retrieved(
        name: HSTRING,
        retrieved: &KeyCredentialRetrievalResult,
    ) -> Result<Self, UvError> {
        let status = retrieved.Status().map_err(|e| failed(&e))?;
        hello_status::check(HelloStatus::from_raw(status.0))?;
        let credential = retrieved.Credential().map_err(|e| failed(&e))?;
        // The protocol registers RSA keys as DER SubjectPublicKeyInfo; ask for that
        // form by name rather than rely on the default.
        let spki = credential
            .RetrievePublicKeyWithBlobType(CryptographicPublicKeyBlobType::X509SubjectPublicKeyInfo)
            .and_then(|buffer| bytes(&buffer))
            .map_err(|e| failed(&e))?;
        let public = PublicKey::new(Algorithm::Rs256, spki)
            .map_err(|_| UvError::Failed("Windows Hello's key is not an RSA-2048 key".into()))?;
        let kind = hello_status::kind(attestation_status(&credential).await);
        Ok(HelloSigner {
            name,
            credential,
            public,
            kind,
        })
    }
}

/// `KeyCredentialAttestationStatus` as a number; a call that fails is "unknown
/// error" (1), so the key counts as `software`.
async fn attestation_status(credential: &KeyCredential) -> i32 {
    let Ok(operation) = credential.GetAttestationAsync() else {
        return 1;
    };
    match finish(operation).await.and_then(|result| result.Status()) {
        Ok(status) => status.0,
        Err(_) => 1,
    }
}

/// Awaits a Hello operation. Dropping the returned future half-way (the app's
/// Cancel, a closed screen) calls `IAsyncInfo.Cancel` on the operation. What that
/// can do is Hello's choice: the operation completes as cancelled and its result is
/// never read, so no signature comes out of it; whether the system dialog already on
/// screen closes at once is not documented (it is owned by Windows, not by this
/// process), and the user may have to close it. It cannot stay waiting for Godkend
/// forever: Hello's dialog ends on the user's answer or its own time-out.
async fn finish<T>(operation: IAsyncOperation<T>) -> windows::core::Result<T>
where
    T: windows::core::RuntimeType + 'static,
{
    struct CancelOnDrop<T: windows::core::RuntimeType + 'static>(Option<IAsyncOperation<T>>);
    impl<T: windows::core::RuntimeType + 'static> Drop for CancelOnDrop<T> {
        fn drop(&mut self) {
            if let Some(operation) = self.0.take() {
                // Cancelling a finished operation is harmless; an error here has
                // nobody left to tell.
                let _ = operation.Cancel();
            }
        }
    }
    let mut guard = CancelOnDrop(Some(operation.clone()));
    let result = operation.await;
    guard.0 = None;
    result
}

fn bytes(buffer: &IBuffer) -> windows::core::Result<Vec<u8>> {
    let mut array = Array::<u8>::new();
    CryptographicBuffer::CopyToByteArray(buffer, &mut array)?;
    Ok(array.to_vec())
}

/// An HRESULT and Windows' text for it; never data.
fn describe(error: &windows::core::Error) -> String {
    // HRESULTs read as unsigned hex (0x80040154), as Microsoft documents them.
    #[allow(clippy::cast_sign_loss)]
    let code = error.code().0 as u32;
    let message = error.message();
    if message.is_empty() {
        format!("{code:#010x}")
    } else {
        format!("{message} ({code:#010x})")
    }
}

fn failed(error: &windows::core::Error) -> UvError {
    UvError::Failed(format!("Windows Hello: {}", describe(error)))
}

impl UvSigner for HelloSigner {
    fn availability(&self) -> BoxFuture<'_, Availability> {
        async move {
            match Self::platform_availability().await {
                Availability::Available => {}
                unavailable @ Availability::Unavailable(_) => return unavailable,
            }
            // The credential may have been removed behind our back (Hello reset,
            // another PIN set-up): opening it again tells.
            match KeyCredentialManager::OpenAsync(&self.name) {
                Ok(operation) => match finish(operation).await.and_then(|r| r.Status()) {
                    Ok(status) => match hello_status::check(HelloStatus::from_raw(status.0)) {
                        Ok(()) => Availability::Available,
                        Err(error) => Availability::Unavailable(error.to_string()),
                    },
                    Err(error) => Availability::Unavailable(failed(&error).to_string()),
                },
                Err(error) => Availability::Unavailable(failed(&error).to_string()),
            }
        }
        .boxed()
    }

    fn kind(&self) -> UvKind {
        self.kind
    }

    fn alg(&self) -> Algorithm {
        Algorithm::Rs256
    }

    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// Hello shows its own dialog; it has no place for `reason`, so the app shows the
    /// reason in its window behind the dialog.
    fn sign<'a>(
        &'a self,
        bytes_to_sign: &'a [u8],
        _reason: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, UvError>> {
        async move {
            // The buffer is not `Send`; it is dropped before the await.
            let operation = CryptographicBuffer::CreateFromByteArray(bytes_to_sign)
                .and_then(|data| self.credential.RequestSignAsync(&data))
                .map_err(|e| failed(&e))?;
            let result = finish(operation).await.map_err(|e| failed(&e))?;
            let status = result.Status().map_err(|e| failed(&e))?;
            hello_status::check(HelloStatus::from_raw(status.0))?;
            // RSA PKCS#1 v1.5 over SHA-256 of the bytes: the protocol's rs256.
            result
                .Result()
                .and_then(|buffer| bytes(&buffer))
                .map_err(|e| failed(&e))
        }
        .boxed()
    }

    fn delete_key(&self) -> BoxFuture<'_, Result<(), UvError>> {
        async move {
            let operation =
                KeyCredentialManager::DeleteAsync(&self.name).map_err(|e| failed(&e))?;
            operation.await.map_err(|e| failed(&e))
        }
        .boxed()
    }
}
