//! The tray thread on Windows. tray-icon's icon is a hidden window owned by the
//! thread that built it: clicks, the menu and `TaskbarCreated` (Explorer restarted;
//! tray-icon's window procedure then adds the icon again) arrive as Win32 messages
//! in that thread's queue, and nothing happens unless the thread dispatches them.
//! So this thread dispatches messages as they come, and looks for new statuses from
//! the app five times a second, as the GTK tray thread does.

use std::sync::mpsc;

use super::Status;

/// How often the thread looks for a new status when no message wakes it.
#[cfg(windows)]
const POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// What the app sent since the tray thread last looked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct News {
    /// The newest status; older ones are overtaken by it, since a status is the
    /// whole of what the tray shows.
    pub latest: Option<Status>,
    /// The app has dropped its handle: the tray ends.
    pub app_gone: bool,
}

/// Takes everything waiting on `updates` without blocking.
pub fn news(updates: &mpsc::Receiver<Status>) -> News {
    let mut news = News::default();
    loop {
        match updates.try_recv() {
            Ok(status) => news.latest = Some(status),
            Err(mpsc::TryRecvError::Empty) => return news,
            Err(mpsc::TryRecvError::Disconnected) => {
                news.app_gone = true;
                return news;
            }
        }
    }
}

/// Builds the icon, then dispatches its messages and applies each new status until
/// the app ends (or the thread is told to quit); dropping the icon removes it.
#[cfg(windows)]
pub fn run(updates: &mpsc::Receiver<Status>) {
    let Some((mut tray, items)) = super::create() else {
        return;
    };
    loop {
        if !queue::dispatch_waiting() {
            break;
        }
        let news = news(updates);
        if let Some(status) = &news.latest {
            super::apply(&mut tray, &items, status);
        }
        if news.app_gone {
            break;
        }
        queue::wait(POLL);
    }
    tracing::info!("tray removed");
}

/// The thread's Win32 message queue.
#[cfg(windows)]
mod queue {
    #![allow(unsafe_code, reason = "the Win32 message loop of the tray thread")]

    use std::time::Duration;

    use windows_sys::Win32::UI::WindowsAndMessaging::{
        DispatchMessageW, MSG, MWMO_INPUTAVAILABLE, MsgWaitForMultipleObjectsEx, PM_REMOVE,
        PeekMessageW, QS_ALLINPUT, TranslateMessage, WM_QUIT,
    };

    /// Dispatches every message waiting for this thread's windows (tray-icon's
    /// window procedure handles them). False once WM_QUIT arrives.
    pub fn dispatch_waiting() -> bool {
        // SAFETY: MSG is plain data for which all zeroes is a valid value.
        let mut msg: MSG = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: `msg` is a valid, writable MSG for the call; a null window
            // means any window of this thread, and thread messages.
            let got = unsafe { PeekMessageW(&raw mut msg, std::ptr::null_mut(), 0, 0, PM_REMOVE) };
            if got == 0 {
                return true;
            }
            if msg.message == WM_QUIT {
                return false;
            }
            // SAFETY: `msg` was filled in by PeekMessageW just now, as both expect.
            unsafe {
                TranslateMessage(&raw const msg);
                DispatchMessageW(&raw const msg);
            }
        }
    }

    /// Sleeps until a message arrives for this thread or `timeout` passes.
    pub fn wait(timeout: Duration) {
        let millis = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        // SAFETY: no handles are passed (count 0, null array), so nothing is read
        // through the pointer; the call only waits. MWMO_INPUTAVAILABLE also returns
        // for messages already queued but not yet seen. A timeout or failure needs
        // no handling: the caller dispatches and looks again either way.
        let _ = unsafe {
            MsgWaitForMultipleObjectsEx(
                0,
                std::ptr::null(),
                millis,
                QS_ALLINPUT,
                MWMO_INPUTAVAILABLE,
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tray::Look;

    fn status(can_lock: bool) -> Status {
        Status {
            look: Look::default(),
            pending_from: None,
            can_lock,
            activated: true,
        }
    }

    #[test]
    fn nothing_new_while_the_app_is_quiet() {
        let (_sender, updates) = mpsc::channel::<Status>();
        assert_eq!(news(&updates), News::default());
    }

    #[test]
    fn the_newest_status_overtakes_older_ones() {
        let (sender, updates) = mpsc::channel();
        sender.send(status(false)).unwrap();
        sender.send(status(true)).unwrap();
        let first = news(&updates);
        assert_eq!(first.latest, Some(status(true)));
        assert!(!first.app_gone);
        assert_eq!(news(&updates), News::default());
    }

    #[test]
    fn the_last_status_is_shown_before_the_app_is_gone() {
        let (sender, updates) = mpsc::channel();
        sender.send(status(true)).unwrap();
        drop(sender);
        assert_eq!(
            news(&updates),
            News {
                latest: Some(status(true)),
                app_gone: true
            }
        );
    }
}
