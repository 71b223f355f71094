//! Windows: the process that owns the peer's connection, from `GetExtendedTcpTable`
//! (the row whose local end is the peer and remote end the listener; the IPv6 table
//! too, for a dual-stack client), then the user of that process's access token,
//! compared with this process's. A process that cannot be opened (another account's
//! elevated one) is not this user's.
#![allow(
    unsafe_code,
    reason = "Win32 calls for the TCP table and the owning process's token"
)]

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use windows_sys::Win32::Foundation::{ERROR_INSUFFICIENT_BUFFER, NO_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetExtendedTcpTable, MIB_TCP6ROW_OWNER_PID, MIB_TCPROW_OWNER_PID,
    TCP_TABLE_OWNER_PID_CONNECTIONS,
};
use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};

use super::{PeerError, same_end};
use crate::process_user::ProcessUser;

pub(super) const SUPPORTED: bool = true;

pub(super) fn is_own_user(peer: SocketAddr, local: SocketAddr) -> Result<bool, PeerError> {
    let pid = owning_pid(peer, local)?;
    let me = ProcessUser::of_this_process().map_err(|e| PeerError::Table(e.to_string()))?;
    match ProcessUser::of_process(pid) {
        Ok(owner) => Ok(owner.is(&me)),
        Err(_) => Ok(false),
    }
}

/// The pid owning the connection from `peer` to `local`.
fn owning_pid(peer: SocketAddr, local: SocketAddr) -> Result<u32, PeerError> {
    let v4 = tcp_table(AF_INET)?;
    // SAFETY: filled by GetExtendedTcpTable for AF_INET with an OWNER_PID class.
    let v4_rows = unsafe { rows::<MIB_TCPROW_OWNER_PID>(&v4) };
    let found = v4_rows.iter().find(|row| {
        let row_local = SocketAddr::from((ipv4(row.dwLocalAddr), port(row.dwLocalPort)));
        let row_remote = SocketAddr::from((ipv4(row.dwRemoteAddr), port(row.dwRemotePort)));
        same_end(row_local, peer) && same_end(row_remote, local)
    });
    if let Some(row) = found {
        return Ok(row.dwOwningPid);
    }
    let v6 = tcp_table(AF_INET6)?;
    // SAFETY: filled by GetExtendedTcpTable for AF_INET6 with an OWNER_PID class.
    let rows = unsafe { rows::<MIB_TCP6ROW_OWNER_PID>(&v6) };
    rows.iter()
        .find(|row| {
            let row_local =
                SocketAddr::from((Ipv6Addr::from(row.ucLocalAddr), port(row.dwLocalPort)));
            let row_remote =
                SocketAddr::from((Ipv6Addr::from(row.ucRemoteAddr), port(row.dwRemotePort)));
            same_end(row_local, peer) && same_end(row_remote, local)
        })
        .map(|row| row.dwOwningPid)
        .ok_or(PeerError::NotFound)
}

/// An IPv4 address as the table holds it: in network byte order in memory.
fn ipv4(addr: u32) -> Ipv4Addr {
    Ipv4Addr::from(addr.to_ne_bytes())
}

/// A port as the table holds it: the first two bytes in memory, network byte order.
fn port(port: u32) -> u16 {
    let [high, low, _, _] = port.to_ne_bytes();
    u16::from_be_bytes([high, low])
}

/// The connections table of `family`, with owning pids, in an 8-aligned buffer. The
/// table can grow between asking its size and reading it: asked again then.
fn tcp_table(family: u16) -> Result<Vec<u64>, PeerError> {
    let mut size = 0u32;
    for _ in 0..4 {
        let mut buffer = vec![0u64; (size as usize).div_ceil(8).max(1)];
        let mut asked = u32::try_from(buffer.len() * 8).unwrap_or(u32::MAX);
        // SAFETY: `buffer` holds `asked` bytes; the call writes at most that many and
        // sets `asked` to the size it needs when that is more.
        let result = unsafe {
            GetExtendedTcpTable(
                buffer.as_mut_ptr().cast(),
                &raw mut asked,
                0,
                u32::from(family),
                TCP_TABLE_OWNER_PID_CONNECTIONS,
                0,
            )
        };
        match result {
            NO_ERROR => return Ok(buffer),
            ERROR_INSUFFICIENT_BUFFER => size = asked.saturating_add(1024),
            error => {
                let error = io::Error::from_raw_os_error(i32::try_from(error).unwrap_or(i32::MAX));
                return Err(PeerError::Table(error.to_string()));
            }
        }
    }
    Err(PeerError::Table(
        "the connections table kept growing".to_owned(),
    ))
}

/// The rows of a table `GetExtendedTcpTable` wrote into `buffer`: a u32 count, then
/// the rows from byte 4 (they are 4-aligned).
///
/// # Safety
/// `buffer` must hold a table of `R` rows written by `GetExtendedTcpTable`.
unsafe fn rows<R>(buffer: &[u64]) -> &[R] {
    const { assert!(align_of::<R>() <= 4) };
    let bytes = buffer.len() * 8;
    // SAFETY: the buffer is at least 8 bytes long and starts with the count.
    let count = unsafe { buffer.as_ptr().cast::<u32>().read() } as usize;
    let count = count.min(bytes.saturating_sub(4) / size_of::<R>());
    // SAFETY: `count` rows of `R` fit after the count, at a 4-aligned offset of an
    // 8-aligned buffer; they live as long as `buffer`.
    unsafe { std::slice::from_raw_parts(buffer.as_ptr().cast::<u8>().add(4).cast::<R>(), count) }
}
