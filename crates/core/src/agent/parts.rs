//! What the agent needs of an activated device, and the two devices it runs on: the
//! desktop app's [`Device`] (keys in the OS keyring, outbox and activity log on
//! disk) and the terminal stand-in's [`MemoryDevice`] (everything in memory, gone at
//! exit).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use godkend_protocol::Envelope;

use crate::client::DeviceClient;
use crate::device::Device;
use crate::history::History;
use crate::outbox::Outbox;

/// An activated device as the agent uses it.
pub trait DeviceParts: Send + Sync + 'static {
    /// The signed client of this device.
    fn client(&self) -> &Arc<DeviceClient>;
    /// Where decisions wait until the server has answered.
    fn outbox(&self) -> &Outbox;
    /// The activity log, locked.
    fn history(&self) -> MutexGuard<'_, History>;
    /// Wipes what this device keeps if `envelope` is a server-signed status saying
    /// that this device is revoked or blocked; whether it did. Blocking (keyring).
    fn wipe_if_ended(&self, envelope: &Envelope) -> Result<bool, String>;
}

impl DeviceParts for Device {
    fn client(&self) -> &Arc<DeviceClient> {
        &self.client
    }

    fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    fn history(&self) -> MutexGuard<'_, History> {
        Device::history(self)
    }

    fn wipe_if_ended(&self, envelope: &Envelope) -> Result<bool, String> {
        Device::wipe_if_ended(self, envelope).map_err(|e| e.to_string())
    }
}

/// A device whose keys, outbox and log live only in this process.
#[derive(Debug)]
pub struct MemoryDevice {
    client: Arc<DeviceClient>,
    outbox: Outbox,
    history: Mutex<History>,
}

impl MemoryDevice {
    pub fn new(client: Arc<DeviceClient>) -> Self {
        MemoryDevice {
            client,
            outbox: Outbox::in_memory(),
            history: Mutex::new(History::in_memory()),
        }
    }
}

impl DeviceParts for MemoryDevice {
    fn client(&self) -> &Arc<DeviceClient> {
        &self.client
    }

    fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    fn history(&self) -> MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Nothing on disk to wipe; the same checks decide whether the device ended.
    fn wipe_if_ended(&self, envelope: &Envelope) -> Result<bool, String> {
        Ok(self.client.signed_end(envelope).is_some())
    }
}
