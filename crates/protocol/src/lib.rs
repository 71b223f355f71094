//! Godkend protocol: wire types, RFC 8785 canonical JSON, envelopes, signatures and the
//! protocol's timing and format rules. No I/O: the server, the device core and tests
//! all build on this crate, so independent implementations agree (see PROTOCOL.md).

// Unit tests may unwrap: a panic there is a test failure with a location.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod b64;
pub mod canonical;
pub mod envelope;
pub mod error;
pub mod ids;
pub mod keys;
pub mod messages;
pub mod origin;
pub mod problem;
pub mod rules;
pub mod serial;

pub use envelope::{Envelope, SignatureEntry, SignedObject};
pub use error::ProtocolError;
pub use keys::{Algorithm, PublicKey, kid_of};
pub use problem::{ErrorCode, Problem};
pub use serial::Serial;

/// The protocol version every signed object carries in `v`.
pub const PROTOCOL_VERSION: u64 = 1;
