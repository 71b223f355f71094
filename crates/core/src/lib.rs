//! godkend-core: everything the desktop app does that is not drawing. Keys, the PIN
//! as a key, activation, the signed server client, push events and decisions. A
//! plain async library that the GUI and the tests drive.

pub mod activation;
pub mod agent;
pub mod answer;
pub mod autostart;
pub mod client;
pub mod config;
pub mod connection;
pub mod decision;
pub mod device;
pub mod error;
pub mod files;
pub mod handoff;
pub mod history;
pub mod inbox;
pub mod keys;
pub mod os_session;
pub mod outbox;
pub mod pin;
pub mod policy;
#[cfg(windows)]
pub mod process_user;
pub mod profile;
pub mod push;
pub mod retry;
pub mod secret;
pub mod session;
pub mod settings;
pub mod standing;
#[cfg(test)]
mod test_support;
pub mod uv;
pub mod vault;

pub use client::ServerClient;
pub use error::CoreError;
pub use keys::{DeviceKey, PinKey};
