//! Windows: a hidden window on its own thread hears the session lock
//! (`WM_WTSSESSION_CHANGE` after `WTSRegisterSessionNotification`) and sleep and
//! resume (`WM_POWERBROADCAST`). It is an ordinary top-level window that is never
//! shown, not a message-only one: message-only windows get no broadcasts, and the
//! power messages are broadcast.
#![allow(
    unsafe_code,
    reason = "Win32 calls for the window, its message loop and the session notifications"
)]

use std::cell::RefCell;
use std::ptr;

use futures::Stream;
use futures::channel::mpsc;
use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::System::RemoteDesktop::{
    NOTIFY_FOR_THIS_SESSION, WTSRegisterSessionNotification, WTSUnRegisterSessionNotification,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CreateWindowExW, DefWindowProcW, DestroyWindow, DispatchMessageW, GetMessageW, MSG,
    PBT_APMRESUMEAUTOMATIC, PBT_APMSUSPEND, PostQuitMessage, RegisterClassW, WM_POWERBROADCAST,
    WM_WTSSESSION_CHANGE, WNDCLASSW, WS_OVERLAPPED, WTS_SESSION_LOCK,
};

use super::OsSessionEvent;

thread_local! {
    /// Where the window procedure sends what it hears; only the watcher's thread
    /// has one.
    static EVENTS: RefCell<Option<mpsc::UnboundedSender<OsSessionEvent>>> =
        const { RefCell::new(None) };
}

pub(super) fn events() -> impl Stream<Item = OsSessionEvent> + Send + 'static {
    let (sender, receiver) = mpsc::unbounded();
    let started = std::thread::Builder::new()
        .name("os-session".into())
        .spawn(move || listen(sender));
    if let Err(e) = started {
        tracing::info!(error = %e, "no thread for the session notifications: the app does not follow the OS session's lock and sleep");
    }
    receiver
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Runs the hidden window's message loop until the app stops listening.
fn listen(sender: mpsc::UnboundedSender<OsSessionEvent>) {
    EVENTS.with(|events| *events.borrow_mut() = Some(sender));
    let class_name = wide("GodkendOsSession");
    // SAFETY: plain Win32 calls with valid, NUL-terminated strings that outlive them;
    // the window and the registration belong to this thread and end with it.
    unsafe {
        let instance = GetModuleHandleW(ptr::null());
        let class = WNDCLASSW {
            lpfnWndProc: Some(window_procedure),
            hInstance: instance,
            lpszClassName: class_name.as_ptr(),
            ..std::mem::zeroed()
        };
        // Fails harmlessly when the class exists already (a second watcher).
        RegisterClassW(&raw const class);
        let window = CreateWindowExW(
            0,
            class_name.as_ptr(),
            class_name.as_ptr(),
            WS_OVERLAPPED,
            0,
            0,
            0,
            0,
            ptr::null_mut(),
            ptr::null_mut(),
            instance,
            ptr::null(),
        );
        if window.is_null() {
            tracing::info!(
                "no window for the session notifications: the app does not follow the OS session's lock and sleep"
            );
            return;
        }
        if WTSRegisterSessionNotification(window, NOTIFY_FOR_THIS_SESSION) == 0 {
            tracing::info!("the session lock cannot be watched: the app locks on sleep only");
        }
        let mut message: MSG = std::mem::zeroed();
        // 0 is WM_QUIT (posted once the app stopped listening), -1 an error.
        while GetMessageW(&raw mut message, ptr::null_mut(), 0, 0) > 0 {
            DispatchMessageW(&raw const message);
        }
        WTSUnRegisterSessionNotification(window);
        DestroyWindow(window);
    }
}

extern "system" fn window_procedure(
    window: HWND,
    message: u32,
    wparam: WPARAM,
    lparam: LPARAM,
) -> LRESULT {
    let event = match (message, u32::try_from(wparam)) {
        (WM_WTSSESSION_CHANGE, Ok(WTS_SESSION_LOCK)) => Some(OsSessionEvent::Locked),
        (WM_POWERBROADCAST, Ok(PBT_APMSUSPEND)) => Some(OsSessionEvent::Sleeping),
        (WM_POWERBROADCAST, Ok(PBT_APMRESUMEAUTOMATIC)) => Some(OsSessionEvent::Resumed),
        _ => None,
    };
    if let Some(event) = event {
        let heard = EVENTS.with(|events| {
            events
                .borrow()
                .as_ref()
                .is_some_and(|sender| sender.unbounded_send(event).is_ok())
        });
        if !heard {
            // SAFETY: ends this thread's message loop; called on its own thread.
            unsafe { PostQuitMessage(0) };
        }
    }
    // SAFETY: the default handling of a message this window received.
    unsafe { DefWindowProcW(window, message, wparam, lparam) }
}
