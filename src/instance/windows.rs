//! The Windows side of the single-instance pipe. A pipe name is global, so another
//! account signed in to the same PC could create ours first and receive the links a
//! launch hands over; so the pipe is created for this user only, and a launch checks
//! that the process at the other end runs as this user before it says anything.
#![allow(
    unsafe_code,
    reason = "Win32 calls for the pipe's owner and access list"
)]

use std::io;
use std::os::windows::io::{AsRawHandle as _, FromRawHandle as _, OwnedHandle};

use interprocess::local_socket::Stream as LocalStream;
use interprocess::local_socket::traits::StreamCommon as _;
use interprocess::os::windows::security_descriptor::SecurityDescriptor;
use windows_sys::Win32::Foundation::{HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::ConvertSidToStringSidW;
use windows_sys::Win32::Security::{
    EqualSid, GetTokenInformation, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

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

/// The user a process runs as: a TOKEN_USER from its access token.
struct ProcessUser {
    /// u64 for the alignment TOKEN_USER needs.
    buffer: Vec<u64>,
}

impl ProcessUser {
    fn of_this_process() -> io::Result<Self> {
        // SAFETY: GetCurrentProcess returns a pseudo handle that needs no closing.
        Self::of_handle(unsafe { GetCurrentProcess() })
    }

    fn of_process(pid: u32) -> io::Result<Self> {
        // SAFETY: plain call; a null result is an error, checked below.
        let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if process.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: OpenProcess succeeded, so the handle is open and now ours to close.
        let process = unsafe { OwnedHandle::from_raw_handle(process) };
        Self::of_handle(process.as_raw_handle())
    }

    fn of_handle(process: HANDLE) -> io::Result<Self> {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: `process` is a process handle with query rights; `token` is a valid
        // place for the result.
        if unsafe { OpenProcessToken(process, TOKEN_QUERY, &raw mut token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: OpenProcessToken succeeded, so the handle is open and ours to close.
        let token = unsafe { OwnedHandle::from_raw_handle(token) };
        let mut needed = 0u32;
        // SAFETY: a null buffer of length 0 only asks for the length needed; the call
        // "fails" with ERROR_INSUFFICIENT_BUFFER by design.
        unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                std::ptr::null_mut(),
                0,
                &raw mut needed,
            )
        };
        if needed == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buffer = vec![0u64; (needed as usize).div_ceil(8)];
        // SAFETY: `buffer` holds at least `needed` bytes, aligned for TOKEN_USER.
        let filled = unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                buffer.as_mut_ptr().cast(),
                needed,
                &raw mut needed,
            )
        };
        if filled == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ProcessUser { buffer })
    }

    fn sid(&self) -> windows_sys::Win32::Security::PSID {
        // SAFETY: GetTokenInformation filled the buffer with a TOKEN_USER whose SID
        // points into the same buffer, which lives as long as `self`.
        unsafe { (*self.buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid }
    }

    fn is(&self, other: &ProcessUser) -> bool {
        // SAFETY: both SIDs are valid for the lifetime of their buffers.
        unsafe { EqualSid(self.sid(), other.sid()) != 0 }
    }

    /// The SID as text ("S-1-5-21-…"), for an SDDL string.
    fn sid_string(&self) -> io::Result<String> {
        let mut text: *mut u16 = std::ptr::null_mut();
        // SAFETY: the SID is valid; `text` is a valid place for the result.
        if unsafe { ConvertSidToStringSidW(self.sid(), &raw mut text) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: on success `text` is a NUL-terminated string the system allocated.
        let sid = unsafe { widestring::U16CStr::from_ptr_str(text) }.to_string_lossy();
        // SAFETY: allocated by ConvertSidToStringSidW with LocalAlloc; freed once.
        unsafe { LocalFree(text.cast()) };
        Ok(sid)
    }
}
