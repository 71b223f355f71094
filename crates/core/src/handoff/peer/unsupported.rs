//! Platforms without a peer-owner check yet (macOS, the BSDs): the check
//! says so, and the hand-off stays off unless the operator turns it on.

use std::net::SocketAddr;

use super::PeerError;

pub(super) const SUPPORTED: bool = false;

pub(super) fn is_own_user(_peer: SocketAddr, _local: SocketAddr) -> Result<bool, PeerError> {
    Err(PeerError::Unsupported)
}
