//! The Windows side of the single-instance pipe. A pipe name is global, so another
//! account signed in to the same PC could create ours first and receive the links a
//! launch hands over; so the pipe is created for this user only, and a launch checks
//! that the process at the other end runs as this user before it says anything.
use std::io;

use godkend_core::process_user::ProcessUser;
use interprocess::local_socket::Stream as LocalStream;
use interprocess::local_socket::traits::StreamCommon as _;
use interprocess::os::windows::security_descriptor::SecurityDescriptor;

/// A security descriptor whose access list lets this user, and nobody else, open
/// the pipe (`P`: nothing inherited from above).
pub(super) fn only_this_user() -> io::Result<SecurityDescriptor> {
    let me = ProcessUser::of_this_process()?;
    let sddl = format!("D:P(A;;GA;;;{})", me.sid_string()?);
    let sddl = widestring::U16CString::from_str(sddl).map_err(io::Error::other)?;
    SecurityDescriptor::deserialize(&sddl)
}

/// Refuses a pipe whose server end is a process of another account.
pub(super) fn check_server_is_this_user(stream: &LocalStream) -> io::Result<()> {
    let refused = || {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the single-instance pipe is held by another account; no link was handed over",
        )
    };
    let pid = stream.peer_creds()?.pid().ok_or_else(refused)?;
    // Another account's process cannot usually even be opened: refused too.
    let server = ProcessUser::of_process(pid).map_err(|_| refused())?;
    if server.is(&ProcessUser::of_this_process()?) {
        Ok(())
    } else {
        Err(refused())
    }
}
