//! Only the user's own browser counts: loopback TCP does not separate OS users, so a
//! hand-off is taken only from a peer socket owned by the app's own OS user.
//!
//! - Linux: the owner (uid) of the peer's socket, from `/proc/net/tcp` and
//!   `/proc/net/tcp6` (the row whose local end is the peer's address and whose remote
//!   end is the listener's), compared with this process's effective uid.
//! - Windows: the process owning the peer's row of `GetExtendedTcpTable` (IPv4 and
//!   IPv6 tables), then the user of that process's access token, compared with this
//!   process's token user.
//! - macOS and the rest: not yet. [`SUPPORTED`] is false there and the listener does
//!   not start unless the operator turns the hand-off on without the check.

use std::net::SocketAddr;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(any(target_os = "linux", windows)))]
mod unsupported;
#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
use linux as platform;
#[cfg(not(any(target_os = "linux", windows)))]
use unsupported as platform;
#[cfg(windows)]
use windows as platform;

/// Whether this platform can tell who owns a loopback peer socket.
pub const SUPPORTED: bool = platform::SUPPORTED;

/// Why a peer could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("this platform cannot tell which OS user owns a loopback connection")]
    Unsupported,
    #[error("the peer's socket was not found in the system's socket table")]
    NotFound,
    #[error("the system's socket table could not be read: {0}")]
    Table(String),
}

/// Whether the connection from `peer` to our `local` address comes from a socket
/// owned by this process's own OS user. Reads a system table: call it off the async
/// threads.
pub fn is_own_user(peer: SocketAddr, local: SocketAddr) -> Result<bool, PeerError> {
    platform::is_own_user(peer, local)
}

/// Equal socket addresses, an IPv4-mapped IPv6 address being its IPv4 address.
#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
fn same_end(a: SocketAddr, b: SocketAddr) -> bool {
    a.ip().to_canonical() == b.ip().to_canonical() && a.port() == b.port()
}
