//! macOS: NSWorkspace's sleep, wake and switch-user notifications, and the
//! distributed `com.apple.screenIsLocked` that the screen lock posts. Both kinds
//! arrive on the main thread's run loop, which the app's window system runs; the
//! observers only pass the event on.
//!
//! Compiled and checked for the target here, never run: there is no macOS to run it
//! on.
#![allow(
    unsafe_code,
    reason = "Objective-C calls to register the notification observers"
)]

use std::ptr::NonNull;

use block2::RcBlock;
use futures::Stream;
use futures::channel::mpsc;
use objc2::msg_send;
use objc2::rc::Retained;
use objc2::runtime::{AnyClass, AnyObject};
use objc2_foundation::{
    NSDistributedNotificationCenter, NSNotification, NSNotificationCenter, NSString,
};

use super::OsSessionEvent;

/// NSWorkspace's notification names (their values are their names).
const WORKSPACE: [(&str, OsSessionEvent); 3] = [
    ("NSWorkspaceWillSleepNotification", OsSessionEvent::Sleeping),
    ("NSWorkspaceDidWakeNotification", OsSessionEvent::Resumed),
    // Switching to another user leaves this session behind: as good as a lock.
    (
        "NSWorkspaceSessionDidResignActiveNotification",
        OsSessionEvent::Locked,
    ),
];

pub(super) fn events() -> impl Stream<Item = OsSessionEvent> + Send + 'static {
    let (sender, receiver) = mpsc::unbounded();
    match workspace_center() {
        Some(center) => {
            for (name, event) in WORKSPACE {
                observe(&center, name, event, &sender);
            }
        }
        None => {
            tracing::info!("NSWorkspace is not there: the app does not lock when the Mac sleeps");
        }
    }
    observe(
        &NSDistributedNotificationCenter::defaultCenter(),
        "com.apple.screenIsLocked",
        OsSessionEvent::Locked,
        &sender,
    );
    receiver
}

/// NSWorkspace's own notification center (its notifications are not posted to the
/// default one). Looked up by name, so that only the app, which links AppKit, needs
/// AppKit.
fn workspace_center() -> Option<Retained<NSNotificationCenter>> {
    let class = AnyClass::get(c"NSWorkspace")?;
    // SAFETY: `sharedWorkspace` takes no argument and returns the shared NSWorkspace.
    let workspace: Option<Retained<AnyObject>> = unsafe { msg_send![class, sharedWorkspace] };
    // SAFETY: `notificationCenter` takes no argument and returns an NSNotificationCenter.
    unsafe { msg_send![&*workspace?, notificationCenter] }
}

/// Sends `event` each time `center` posts `name`. The center keeps the observer
/// until it is removed, which is never: the app watches for its whole life, and
/// once the receiver is gone a send just fails.
fn observe(
    center: &NSNotificationCenter,
    name: &str,
    event: OsSessionEvent,
    sender: &mpsc::UnboundedSender<OsSessionEvent>,
) {
    let sender = sender.clone();
    let block = RcBlock::new(move |_: NonNull<NSNotification>| {
        let _ = sender.unbounded_send(event);
    });
    let name = NSString::from_str(name);
    // SAFETY: no object filter and no queue (the block runs where the notification
    // is posted); the block is Send, as it only holds a channel sender.
    let _observer = unsafe {
        center.addObserverForName_object_queue_usingBlock(Some(&name), None, None, &block)
    };
}
