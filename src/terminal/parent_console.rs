//! On Windows the app is a windows-subsystem binary (no console window opens beside
//! the GUI), so Windows gives it no console: what it prints would go nowhere when it
//! is started from a terminal. The terminal stand-in, `--help`, `--version` and the
//! errors printed before exiting therefore attach to the console of the process that
//! started Godkend, if there is one. Output already redirected to a file or pipe is
//! left there: Windows replaces only standard handles the parent did not set.
//!
//! A command prompt does not wait for a windows-subsystem program: its prompt comes
//! back at once and shares the console with Godkend (`start /wait /b godkend
//! --terminal` waits; PowerShell waits with `Start-Process -Wait -NoNewWindow`).
#![cfg_attr(windows, allow(unsafe_code, reason = "one Win32 call, AttachConsole"))]

/// Attaches to the parent process's console; does nothing elsewhere, or when the
/// parent has none (started from Explorer or the Start menu), or when attached already.
pub fn attach() {
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
        // SAFETY: AttachConsole takes a process id by value and touches no memory of
        // ours; it fails harmlessly (returns 0) when there is no parent console or the
        // process has one already, and the result needs no handling: without a console
        // the output is dropped, as it was before.
        let _ = unsafe { AttachConsole(ATTACH_PARENT_PROCESS) };
    }
}
