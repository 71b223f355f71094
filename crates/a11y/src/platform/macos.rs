//! NSAccessibility through AccessKit's subclassing adapter, on the content view of
//! the window iced opened. AppKit calls it on the main thread, where iced runs the
//! app's `update`, so the adapter lives in a thread-local there.
#![allow(unsafe_code)]

use std::cell::RefCell;

use accesskit::TreeUpdate;
use accesskit_macos::SubclassingAdapter;
use raw_window_handle::RawWindowHandle;

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
        // Raised after the borrow ends: raising may call back into the view.
        if let Some(events) = events {
            events.raise();
        }
    }

    pub(crate) fn window_focused(&mut self, focused: bool) {
        let events = ADAPTER.with(|adapter| {
            adapter
                .borrow_mut()
                .as_mut()
                .and_then(|adapter| adapter.update_view_focus_state(focused))
        });
        if let Some(events) = events {
            events.raise();
        }
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
        // Gives the view its own class back.
        ADAPTER.with(|adapter| adapter.borrow_mut().take());
    }
}

/// Subclasses the window's content view; on the main thread, before it is shown.
pub(crate) fn attach(
    window: RawWindowHandle,
    shared: &Shared,
    sender: &UnboundedSender<Request>,
) -> Result<(), AttachError> {
    let RawWindowHandle::AppKit(handle) = window else {
        return Err(AttachError(format!("not an AppKit window: {window:?}")));
    };
    // SAFETY: `ns_view` is the live NSView of the window iced handed out for this
    // call, on the main thread; the adapter retains it for as long as it lives.
    let adapter = unsafe {
        SubclassingAdapter::new(
            handle.ns_view.as_ptr(),
            shared.clone(),
            shared.router(sender.clone()),
        )
    };
    ADAPTER.with(|slot| *slot.borrow_mut() = Some(adapter));
    Ok(())
}
