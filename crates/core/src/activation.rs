//! What an activation starts from and ends with: the server URL, user and code a
//! person typed or a `godkend://activate?...` link carried, and the device the server
//! accepted. The exchange itself (with the HMAC proof both ways, design.md §4) is in
//! `activation_exchange`.

use godkend_protocol::PublicKey;
use godkend_protocol::messages::{Activation, ActivationLink};

use crate::CoreError;
use crate::keys::DeviceKey;

/// What the user typed or the link carried.
#[derive(Debug, Clone)]
pub struct ActivationInput {
    pub server_url: url::Url,
    pub user: String,
    pub code: String,
    /// The server key id from the link; a server presenting another key is refused.
    pub expected_kid: Option<String>,
    pub device_name: String,
}

impl ActivationInput {
    /// From a link; `device_name` names this computer in the device list.
    pub fn from_link(link: &str, device_name: &str) -> Result<Self, CoreError> {
        let link = ActivationLink::parse(link)?;
        let server_url = url::Url::parse(&link.server_url)
            .map_err(|e| CoreError::InsecureUrl(format!("the server address is invalid: {e}")))?;
        Ok(ActivationInput {
            server_url,
            user: link.user,
            code: link.code,
            expected_kid: link.server_kid,
            device_name: device_name.into(),
        })
    }
}

/// A device the server accepted.
#[derive(Debug)]
pub struct Activated {
    pub activation: Activation,
    pub server_key: PublicKey,
    pub device_key: DeviceKey,
}
