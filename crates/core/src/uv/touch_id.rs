//! The macOS user-verification signer: a P-256 key made inside the Secure Enclave
//! whose access control requires the currently enrolled fingers
//! (`BiometryCurrentSet | PrivateKeyUsage`). The Touch ID check runs inside
//! `SecKeyCreateSignature`; the private key never leaves the Enclave, and enrolling
//! another finger makes the key unusable (then biometrics must be turned on again).
//!
//! The key lives in the data-protection keychain, which needs a signed build with a
//! keychain entitlement; unsigned builds get errSecMissingEntitlement (-34018) and
//! offer the PIN with a message saying why (`apple_status::UNSIGNED_BUILD`). What the
//! codes mean is in `apple_status` (tested on every platform).
//!
//! The Security framework's calls block until the user answers, so each runs on
//! tokio's blocking pool, never on the app's UI thread.
#![allow(unsafe_code)]

use std::ptr::{self, NonNull};
use std::sync::Arc;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use godkend_protocol::messages::UvKind;
use godkend_protocol::{Algorithm, PublicKey};
use objc2::rc::Retained;
use objc2_core_foundation::{
    CFBoolean, CFData, CFDictionary, CFError, CFNumber, CFRetained, CFString, CFType,
};
use objc2_foundation::NSString;
use objc2_local_authentication::{LAContext, LAPolicy};
use objc2_security::{
    SecAccessControl, SecAccessControlCreateFlags, SecItemCopyMatching, SecItemDelete, SecKey,
    kSecAttrAccessControl, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, kSecAttrApplicationTag,
    kSecAttrIsPermanent, kSecAttrKeySizeInBits, kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom,
    kSecAttrTokenID, kSecAttrTokenIDSecureEnclave, kSecClass, kSecClassKey,
    kSecKeyAlgorithmECDSASignatureMessageX962SHA256, kSecPrivateKeyAttrs, kSecReturnRef,
    kSecUseAuthenticationContext, kSecUseDataProtectionKeychain,
};

use super::apple_status::{self, ErrorDomain};
use super::{Availability, UvError, UvSigner, es256};

/// A Secure Enclave key of this app (see the module's note).
#[derive(Debug)]
pub struct TouchIdSigner {
    /// The keychain's application tag naming the key.
    tag: Vec<u8>,
    public: PublicKey,
}

impl TouchIdSigner {
    /// Whether Touch ID can hold and use a key here, before any key exists: biometry
    /// enrolled and not locked out, and a build allowed to use the keychain.
    pub async fn platform_availability() -> Availability {
        blocking(|| {
            let context = new_context(None, false);
            // SAFETY: a plain preflight on a context this thread owns.
            let biometry = unsafe {
                context.canEvaluatePolicy_error(LAPolicy::DeviceOwnerAuthenticationWithBiometrics)
            }
            .map_err(|error| i64::try_from(error.code()).unwrap_or(i64::MIN));
            // A look-up that may not prompt: it finds nothing (-25300), or says the
            // build lacks the entitlement (-34018).
            let probe = new_context(None, true);
            let status = copy_key(b"godkend.availability-probe", &probe).err();
            apple_status::availability(biometry, status.unwrap_or(0))
        })
        .await
        .unwrap_or_else(|error| Availability::Unavailable(error.to_string()))
    }

    /// Makes a new Enclave key named `name`, replacing one of that name. No prompt:
    /// Touch ID is asked when the key signs.
    pub async fn create(name: &str) -> Result<Self, UvError> {
        let tag = name.as_bytes().to_vec();
        blocking(move || {
            delete(&tag)?;
            let key = create_key(&tag)?;
            let public = public_key(&key)?;
            Ok(TouchIdSigner { tag, public })
        })
        .await?
    }

    /// The existing key named `name`, without a prompt. A key that is not there is
    /// `Unavailable`.
    pub async fn open(name: &str) -> Result<Self, UvError> {
        let tag = name.as_bytes().to_vec();
        blocking(move || {
            let key = copy_key(&tag, &new_context(None, true)).map_err(status_error)?;
            let public = public_key(&key)?;
            Ok(TouchIdSigner { tag, public })
        })
        .await?
    }

    /// Deletes the key named `name`, if there is one.
    pub async fn delete(name: &str) -> Result<(), UvError> {
        let tag = name.as_bytes().to_vec();
        blocking(move || delete(&tag)).await?
    }
}

/// Runs a blocking Security call on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<T, UvError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|_| UvError::Failed("the Touch ID call stopped unexpectedly".into()))
}

/// An `LAContext` showing `reason`; `quiet` forbids any prompt (look-ups only).
fn new_context(reason: Option<&str>, quiet: bool) -> Retained<LAContext> {
    // SAFETY: plain Objective-C object creation and property setters.
    unsafe {
        let context = LAContext::new();
        if let Some(reason) = reason {
            context.setLocalizedReason(&NSString::from_str(reason));
        }
        context.setInteractionNotAllowed(quiet);
        context
    }
}

/// An Objective-C object as the `CFType` a keychain dictionary holds.
fn as_cf(context: &LAContext) -> &CFType {
    let pointer: *const LAContext = context;
    // SAFETY: every Objective-C object is toll-free bridged to `CFTypeRef`
    // (CFRetain/CFRelease work on it), and the borrow keeps it alive as long.
    unsafe { &*pointer.cast::<CFType>() }
}

fn dictionary(entries: &[(&CFString, &CFType)]) -> CFRetained<CFDictionary<CFString, CFType>> {
    let keys: Vec<&CFString> = entries.iter().map(|(k, _)| *k).collect();
    let values: Vec<&CFType> = entries.iter().map(|(_, v)| *v).collect();
    CFDictionary::from_slices(&keys, &values)
}

/// The query naming this app's Enclave key `tag` (the attributes of Apple's
/// "Storing keys in the Secure Enclave" look-up, in the data-protection keychain).
fn key_query<'a>(
    tag: &'a CFData,
    extra: &[(&'a CFString, &'a CFType)],
) -> Vec<(&'a CFString, &'a CFType)> {
    // SAFETY: reading the Security framework's constant keys and values.
    let mut entries: Vec<(&CFString, &CFType)> = unsafe {
        vec![
            (kSecClass, kSecClassKey),
            (kSecAttrApplicationTag, tag),
            (kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom),
            (kSecUseDataProtectionKeychain, CFBoolean::new(true)),
        ]
    };
    entries.extend_from_slice(extra);
    entries
}

/// Looks the key up through `context` (which carries the reason, or forbids a
/// prompt); `Err` is the `OSStatus`.
fn copy_key(tag: &[u8], context: &LAContext) -> Result<CFRetained<SecKey>, i64> {
    let tag = CFData::from_bytes(tag);
    // SAFETY: constant keys; the dictionary retains what it holds.
    let extra = unsafe {
        [
            (kSecReturnRef, &**CFBoolean::new(true)),
            (kSecUseAuthenticationContext, as_cf(context)),
        ]
    };
    let query = dictionary(&key_query(&tag, &extra));
    let mut found: *const CFType = ptr::null();
    // SAFETY: a valid query dictionary and an out-pointer this frame owns; with
    // kSecReturnRef the result is one SecKey, returned retained (Copy rule).
    let status = unsafe { SecItemCopyMatching(query.as_opaque(), &raw mut found) };
    if status != 0 {
        return Err(i64::from(status));
    }
    let found = NonNull::new(found.cast_mut()).ok_or(-25300_i64)?;
    // SAFETY: as above: a +1 reference to a SecKey, now owned here.
    Ok(unsafe { CFRetained::from_raw(found.cast::<SecKey>()) })
}

/// Deletes the key `tag`; one that is not there is fine.
fn delete(tag: &[u8]) -> Result<(), UvError> {
    let tag = CFData::from_bytes(tag);
    let query = dictionary(&key_query(&tag, &[]));
    // SAFETY: a valid query dictionary.
    let status = unsafe { SecItemDelete(query.as_opaque()) };
    match status {
        0 | -25300 => Ok(()),
        other => Err(status_error(i64::from(other))),
    }
}

fn status_error(status: i64) -> UvError {
    apple_status::uv_error(ErrorDomain::OsStatus, status)
}

/// Takes the `CFError` a Security call wrote (Create rule: ours to release).
fn take_error(error: *mut CFError) -> UvError {
    let Some(error) = NonNull::new(error) else {
        return UvError::Failed("the Security framework failed without saying why".into());
    };
    // SAFETY: a +1 CFError the call handed over.
    let error = unsafe { CFRetained::from_raw(error) };
    let domain = error.domain().map(|d| d.to_string()).unwrap_or_default();
    apple_status::uv_error(
        ErrorDomain::from_name(&domain),
        i64::try_from(error.code()).unwrap_or(i64::MIN),
    )
}

fn create_key(tag: &[u8]) -> Result<CFRetained<SecKey>, UvError> {
    let mut error: *mut CFError = ptr::null_mut();
    // SAFETY: a constant protection class and an out-pointer this frame owns.
    let access = unsafe {
        SecAccessControl::with_flags(
            None,
            kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
            SecAccessControlCreateFlags::PrivateKeyUsage
                | SecAccessControlCreateFlags::BiometryCurrentSet,
            &raw mut error,
        )
    }
    .ok_or_else(|| take_error(error))?;
    let tag = CFData::from_bytes(tag);
    let bits = CFNumber::new_i32(256);
    // SAFETY: constant keys and values.
    let private = unsafe {
        dictionary(&[
            (kSecAttrIsPermanent, CFBoolean::new(true)),
            (kSecAttrApplicationTag, &tag),
            (kSecAttrAccessControl, &access),
        ])
    };
    // SAFETY: as above.
    let parameters = unsafe {
        dictionary(&[
            (kSecAttrKeyType, kSecAttrKeyTypeECSECPrimeRandom),
            (kSecAttrKeySizeInBits, &bits),
            (kSecAttrTokenID, kSecAttrTokenIDSecureEnclave),
            (kSecUseDataProtectionKeychain, CFBoolean::new(true)),
            (kSecPrivateKeyAttrs, &private),
        ])
    };
    let mut error: *mut CFError = ptr::null_mut();
    // SAFETY: a key-generation dictionary of the documented keys, and an out-pointer.
    unsafe { SecKey::new_random_key(parameters.as_opaque(), &raw mut error) }
        .ok_or_else(|| take_error(error))
}

/// The protocol's form of the Enclave key's public half.
fn public_key(private: &SecKey) -> Result<PublicKey, UvError> {
    // SAFETY: a valid key.
    let public = unsafe { private.public_key() }
        .ok_or_else(|| UvError::Failed("the Secure Enclave key has no public half".into()))?;
    let mut error: *mut CFError = ptr::null_mut();
    // SAFETY: a valid key and an out-pointer this frame owns.
    let point = unsafe { public.external_representation(&raw mut error) }
        .ok_or_else(|| take_error(error))?;
    es256::public_key_from_x963(&point.to_vec())
}

/// An `LAContext` shared with the task that may cancel the check.
struct SharedContext(Retained<LAContext>);

// SAFETY: the context is configured before it is shared, then used by one thread
// at a time (the blocking thread that signs with it) except for `invalidate`, which
// exists to cancel an evaluation that is running and so necessarily waiting on
// another thread (here, blocked in SecKeyCreateSignature); LocalAuthentication
// synchronises that call itself. Not verified on a Mac from here.
unsafe impl Send for SharedContext {}
// SAFETY: as above.
unsafe impl Sync for SharedContext {}

/// Invalidates the context when the signing future is dropped before it finished:
/// the Touch ID prompt closes and `SecKeyCreateSignature` returns "cancelled" on
/// its thread, so no prompt outlives the screen that asked.
struct CancelOnDrop(Option<Arc<SharedContext>>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(context) = self.0.take() {
            // SAFETY: see `SharedContext`.
            unsafe { context.0.invalidate() };
        }
    }
}

fn sign_blocking(tag: &[u8], context: &LAContext, bytes: &[u8]) -> Result<Vec<u8>, UvError> {
    let key = copy_key(tag, context).map_err(status_error)?;
    let data = CFData::from_bytes(bytes);
    let mut error: *mut CFError = ptr::null_mut();
    // SAFETY: a valid key, a constant algorithm, and an out-pointer this frame owns.
    // The key was looked up through `context`, so the Touch ID prompt shows its
    // reason. ECDSA over SHA-256 of the message, as DER.
    let der = unsafe {
        key.signature(
            kSecKeyAlgorithmECDSASignatureMessageX962SHA256,
            &data,
            &raw mut error,
        )
    }
    .ok_or_else(|| take_error(error))?;
    es256::der_to_raw(&der.to_vec())
}

impl UvSigner for TouchIdSigner {
    fn availability(&self) -> BoxFuture<'_, Availability> {
        async move {
            match Self::platform_availability().await {
                Availability::Available => {}
                unavailable @ Availability::Unavailable(_) => return unavailable,
            }
            let tag = self.tag.clone();
            // Removed behind our back, or unusable after a finger was enrolled.
            match blocking(move || copy_key(&tag, &new_context(None, true)).map(drop)).await {
                Ok(Ok(())) => Availability::Available,
                Ok(Err(status)) => Availability::Unavailable(status_error(status).to_string()),
                Err(error) => Availability::Unavailable(error.to_string()),
            }
        }
        .boxed()
    }

    fn kind(&self) -> UvKind {
        UvKind::Hardware
    }

    fn alg(&self) -> Algorithm {
        Algorithm::Es256
    }

    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    fn sign<'a>(
        &'a self,
        bytes: &'a [u8],
        reason: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, UvError>> {
        async move {
            let context = Arc::new(SharedContext(new_context(Some(reason), false)));
            let mut cancel = CancelOnDrop(Some(Arc::clone(&context)));
            let (tag, bytes) = (self.tag.clone(), bytes.to_vec());
            let signed = blocking(move || sign_blocking(&tag, &context.0, &bytes)).await;
            cancel.0 = None;
            signed?
        }
        .boxed()
    }

    fn delete_key(&self) -> BoxFuture<'_, Result<(), UvError>> {
        let tag = self.tag.clone();
        async move { blocking(move || delete(&tag)).await? }.boxed()
    }
}
