//! Linux: the peer socket's owner from `/proc/net/tcp{,6}` of this network namespace.
//! The peer's own row has the peer's address as its local end and the listener's as
//! its remote end; its `uid` column is the user that created the socket. A client on
//! a dual-stack IPv6 socket that connects to `::ffff:127.0.0.1` appears in `tcp6`
//! with mapped addresses, so both tables are read.

use std::net::SocketAddr;

use procfs::net::TcpNetEntry;

use super::{PeerError, same_end};

pub(super) const SUPPORTED: bool = true;

pub(super) fn is_own_user(peer: SocketAddr, local: SocketAddr) -> Result<bool, PeerError> {
    let me = rustix::process::geteuid().as_raw();
    let v4 = procfs::net::tcp().map_err(|e| PeerError::Table(e.to_string()))?;
    let owner = if let Some(uid) = owner_of(peer, local, &v4) {
        uid
    } else {
        // No IPv6 at all (disabled in the kernel) leaves no tcp6 table: not found.
        let v6 = procfs::net::tcp6().unwrap_or_default();
        owner_of(peer, local, &v6).ok_or(PeerError::NotFound)?
    };
    Ok(owner == me)
}

/// The uid of the socket whose local end is `peer` and remote end is `local`.
fn owner_of(peer: SocketAddr, local: SocketAddr, table: &[TcpNetEntry]) -> Option<u32> {
    table
        .iter()
        .find(|row| same_end(row.local_address, peer) && same_end(row.remote_address, local))
        .map(|row| row.uid)
}

#[cfg(test)]
mod tests {
    use std::net::{SocketAddr, TcpListener, TcpStream};

    use super::is_own_user;
    use crate::handoff::peer::same_end as same;

    #[test]
    fn mapped_addresses_are_their_ipv4_address() {
        let v4: SocketAddr = "127.0.0.1:47470".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:47470".parse().unwrap();
        assert!(same(v4, mapped));
        assert!(!same(v4, "127.0.0.1:47471".parse().unwrap()));
        assert!(!same(v4, "[::1]:47470".parse().unwrap()));
    }

    #[test]
    fn a_connection_of_this_process_is_its_own_user() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server_side, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert!(is_own_user(peer, server_side.local_addr().unwrap()).unwrap());
    }

    #[test]
    fn a_dual_stack_client_is_found_in_the_ipv6_table() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // An IPv6 socket reaching the IPv4 listener through a mapped address.
        let Ok(_client) = TcpStream::connect(format!("[::ffff:127.0.0.1]:{port}")) else {
            eprintln!(
                "!!!!!!!! SKIPPED: no IPv6 here: the tcp6 path of the peer check is untested !!!!!!!!"
            );
            return;
        };
        let (server_side, peer) = listener.accept().unwrap();
        assert!(peer.is_ipv4());
        assert!(is_own_user(peer, server_side.local_addr().unwrap()).unwrap());
    }

    #[test]
    fn a_peer_that_is_gone_is_not_found() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        // An address no socket has: port 1 of another loopback address.
        let nobody: SocketAddr = "127.0.0.9:1".parse().unwrap();
        assert!(matches!(
            is_own_user(nobody, local),
            Err(super::PeerError::NotFound)
        ));
    }
}
