//! UI Automation through AccessKit's subclassing adapter, on the HWND of the window
//! iced opened. The adapter belongs to the window's thread (it replaces the window
//! procedure), so it lives in a thread-local there; iced runs the app's `update`, and
//! so every tree update, on that same thread.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::c_void;

use accesskit::TreeUpdate;
use accesskit_windows::{HWND, SubclassingAdapter};
use raw_window_handle::RawWindowHandle;
use windows_sys::Win32::UI::WindowsAndMessaging::IsWindowVisible;

use crate::AttachError;
use crate::Request;
use crate::accessibility::Shared;
use futures::channel::mpsc::UnboundedSender;

thread_local! {
    /// The open window's adapter (the app has one window at a time).
    static ADAPTER: RefCell<Option<SubclassingAdapter>> = const { RefCell::new(None) };
}

/// The handle side: nothing until `attach` put the adapter in the thread-local.
pub(crate) struct Adapter;

#[allow(
    clippy::unused_self,
    reason = "the Linux adapter's methods; here the adapter lives elsewhere"
)]
impl Adapter {
    pub(crate) fn new(_shared: &Shared, _sender: &UnboundedSender<Request>) -> Self {
        Adapter
    }

    pub(crate) fn update(&mut self, tree: TreeUpdate) {
        let events = ADAPTER.with(|adapter| {
            adapter
                .borrow_mut()
                .as_mut()
                .and_then(|adapter| adapter.update_if_active(|| tree))
        });
        // Raised after the borrow ends: raising may re-enter the window procedure.
        if let Some(events) = events {
            events.raise();
        }
    }

    /// The subclassed window procedure follows WM_SETFOCUS and WM_KILLFOCUS itself.
    pub(crate) fn window_focused(&mut self, _focused: bool) {}
}

impl Drop for Adapter {
    fn drop(&mut self) {
        // Puts the window procedure back (or notes that the window is gone).
        ADAPTER.with(|adapter| adapter.borrow_mut().take());
    }
}

/// Subclasses the window. Must run on the window's thread before it is first shown
/// (the adapter panics on a visible window, so that is checked first).
pub(crate) fn attach(
    window: RawWindowHandle,
    shared: &Shared,
    sender: &UnboundedSender<Request>,
) -> Result<(), AttachError> {
    let RawWindowHandle::Win32(handle) = window else {
        return Err(AttachError(format!("not a Win32 window: {window:?}")));
    };
    let hwnd = HWND(handle.hwnd.get() as *mut c_void);
    // SAFETY: `hwnd` is the live window iced handed out for this call, on its own
    // thread; IsWindowVisible only reads its style.
    if unsafe { IsWindowVisible(hwnd.0) } != 0 {
        return Err(AttachError("the window is already shown".into()));
    }
    let adapter = SubclassingAdapter::new(hwnd, shared.clone(), shared.router(sender.clone()));
    ADAPTER.with(|slot| *slot.borrow_mut() = Some(adapter));
    Ok(())
}
