//! The device's server calls made with a user-verification signer: unlock, and the
//! registration and removal of its key.

use super::{UvSigner, sign_envelope};
use crate::client::DeviceClient;
use crate::{CoreError, PinKey};

impl DeviceClient {
    /// Unlock with the user-verification key: the signer verifies the user (showing
    /// `reason`) and signs a fresh server challenge next to the device key. The
    /// challenge lives 60 s, which bounds how long the check may take.
    pub async fn unlock_with(&self, signer: &dyn UvSigner, reason: &str) -> Result<(), CoreError> {
        let mut proof = self.unlock_proof(Some(signer.public_key().kid())).await?;
        sign_envelope(&mut proof, signer, reason).await?;
        self.send_unlock(&proof).await
    }

    /// Registers `signer`'s key (its algorithm, public key and kind) at the server,
    /// replacing any earlier one; authorised by the PIN, never by a biometric key.
    pub async fn register_uv(&self, signer: &dyn UvSigner, pin: &PinKey) -> Result<(), CoreError> {
        let public = signer.public_key();
        self.register_uv_key(public.alg(), &public.to_b64(), signer.kind(), pin)
            .await
    }

    /// Turns biometrics off: removes the key at the server, then where it lives.
    /// The server goes first, so a key that cannot be deleted locally can no longer
    /// sign anything the server accepts. A revoked, blocked or wiped device calls
    /// `signer.delete_key()` alone: the server has already dropped an ended
    /// device's key, and refuses this call.
    pub async fn remove_uv(&self, signer: &dyn UvSigner) -> Result<(), CoreError> {
        self.remove_uv_key().await?;
        signer.delete_key().await?;
        Ok(())
    }
}
