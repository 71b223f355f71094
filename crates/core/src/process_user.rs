//! Which Windows user a process runs as, from its access token: the app's
//! single-instance pipe (only this user may open it, and a launch talks only to a
//! running app of the same user) and the browser hand-off's peer check both ask.
#![allow(unsafe_code, reason = "Win32 calls for a process's access token")]

use std::io;
use std::os::windows::io::{AsRawHandle as _, FromRawHandle as _, OwnedHandle};

use windows_sys::Win32::Foundation::{HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::ConvertSidToStringSidW;
use windows_sys::Win32::Security::{
    EqualSid, GetTokenInformation, PSID, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// The user a process runs as: a TOKEN_USER from its access token.
pub struct ProcessUser {
    /// u64 for the alignment TOKEN_USER needs.
    buffer: Vec<u64>,
}

impl ProcessUser {
    /// The user this process runs as.
    pub fn of_this_process() -> io::Result<Self> {
        // SAFETY: GetCurrentProcess returns a pseudo handle that needs no closing.
        Self::of_handle(unsafe { GetCurrentProcess() })
    }

    /// The user process `pid` runs as; an error when it cannot be opened (another
    /// account's elevated process, usually).
    pub fn of_process(pid: u32) -> io::Result<Self> {
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

    pub fn sid(&self) -> PSID {
        // SAFETY: GetTokenInformation filled the buffer with a TOKEN_USER whose SID
        // points into the same buffer, which lives as long as `self`.
        unsafe { (*self.buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid }
    }

    /// The same user.
    pub fn is(&self, other: &ProcessUser) -> bool {
        // SAFETY: both SIDs are valid for the lifetime of their buffers.
        unsafe { EqualSid(self.sid(), other.sid()) != 0 }
    }

    /// The SID as text ("S-1-5-21-…"), for an SDDL string.
    pub fn sid_string(&self) -> io::Result<String> {
        let mut text: *mut u16 = std::ptr::null_mut();
        // SAFETY: the SID is valid; `text` is a valid place for the result.
        if unsafe { ConvertSidToStringSidW(self.sid(), &raw mut text) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut len = 0;
        // SAFETY: on success `text` is a NUL-terminated string the system allocated;
        // reading up to its NUL stays inside it.
        while unsafe { *text.add(len) } != 0 {
            len += 1;
        }
        // SAFETY: `len` units before the NUL, all initialised.
        let sid = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, len) });
        // SAFETY: allocated by ConvertSidToStringSidW with LocalAlloc; freed once.
        unsafe { LocalFree(text.cast()) };
        Ok(sid)
    }
}
