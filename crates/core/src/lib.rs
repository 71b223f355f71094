//! godkend-core: everything the desktop app does that is not drawing. Keys, the PIN
//! as a key, activation, the signed server client, push events and decisions. A
//! plain async library that the GUI and the tests drive.

// The pure parts: they hold the keys and read and check what arrives (config files,
// activation links, push events) without the network or the OS, so the fuzz
// targets link them alone (`default-features = false`).
pub mod activation;
pub mod config;
pub mod error;
pub mod files;
pub mod keys;
pub mod pin;
pub mod pinned_server;
pub mod push;
pub mod retry;
pub mod secret;
pub mod settings;
pub mod standing;

// What talks to the network or the OS: the `os` feature, on by default.
#[cfg(feature = "os")]
pub mod activation_exchange;
#[cfg(feature = "os")]
pub mod agent;
#[cfg(feature = "os")]
pub mod answer;
#[cfg(feature = "os")]
pub mod autostart;
#[cfg(feature = "os")]
pub mod client;
#[cfg(feature = "os")]
pub mod connection;
#[cfg(feature = "os")]
pub mod decision;
#[cfg(feature = "os")]
pub mod device;
#[cfg(feature = "os")]
pub mod handoff;
#[cfg(feature = "os")]
pub mod history;
#[cfg(feature = "os")]
pub mod inbox;
#[cfg(feature = "os")]
pub mod os_session;
#[cfg(feature = "os")]
pub mod outbox;
#[cfg(feature = "os")]
pub mod policy;
#[cfg(all(windows, feature = "os"))]
pub mod process_user;
#[cfg(feature = "os")]
pub mod profile;
#[cfg(feature = "os")]
pub mod session;
// Two attributes, not `all(test, ...)`: clippy allows `expect` in tests by `cfg(test)`.
#[cfg(feature = "os")]
#[cfg(test)]
mod test_support;
#[cfg(feature = "os")]
pub mod uv;
#[cfg(feature = "os")]
pub mod vault;

#[cfg(feature = "os")]
pub use client::ServerClient;
pub use error::CoreError;
pub use keys::{DeviceKey, PinKey};
pub use pinned_server::PinnedServer;
