//! One window's accessibility: the tree of the screen shown now, kept for the
//! platform adapter, and the requests that come back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use accesskit::{ActivationHandler, TreeUpdate};
use futures::channel::mpsc;
use raw_window_handle::HasWindowHandle;

use crate::platform;
use crate::request::{Keys, Requests, Router};
use crate::screen::Screen;
use crate::tree;

/// The accessibility of the app's window, for as long as it is open: drop it when the
/// window closes (the window then leaves the accessibility tree).
pub struct Accessibility {
    shared: Shared,
    adapter: platform::Adapter,
    /// The screen last shown, to send nothing when nothing changed.
    shown: Option<Screen>,
    sender: mpsc::UnboundedSender<crate::Request>,
}

/// What the adapter's own thread (AT-SPI) or the window's procedure (Windows,
/// macOS) reads: the tree to start from when an assistive technology turns up, and
/// which item each node is.
#[derive(Clone, Default)]
pub(crate) struct Shared {
    pub(crate) tree: Arc<Mutex<Option<TreeUpdate>>>,
    pub(crate) keys: Keys,
}

impl Shared {
    pub(crate) fn router(&self, sender: mpsc::UnboundedSender<crate::Request>) -> Router {
        Router {
            keys: Arc::clone(&self.keys),
            sender,
        }
    }
}

impl ActivationHandler for Shared {
    /// The whole tree of the screen shown now; `None` before the first screen, and
    /// the first `show` then sends it.
    fn request_initial_tree(&mut self) -> Option<TreeUpdate> {
        self.tree
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The window's native handle was not one this OS's adapter can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachError(pub String);

impl std::fmt::Display for AttachError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the window cannot be made accessible: {}", self.0)
    }
}

impl std::error::Error for AttachError {}

impl Accessibility {
    /// Starts the accessibility of a window that has just opened, and the requests
    /// that will come from it. On Linux the window is on the AT-SPI bus at once
    /// (AccessKit publishes it once an assistive technology is running); on
    /// Windows and macOS once [`Accessibility::attach`] ran on the window's thread.
    pub fn open() -> (Self, Requests) {
        let (sender, requests) = mpsc::unbounded();
        let shared = Shared::default();
        let adapter = platform::Adapter::new(&shared, &sender);
        let accessibility = Accessibility {
            shared,
            adapter,
            shown: None,
            sender,
        };
        (accessibility, requests)
    }

    /// What must run on the window's own thread, with its native handle (iced's
    /// `window::run`), before the window is first shown: Windows and macOS subclass
    /// the window there. Nothing to do on Linux.
    pub fn attacher(&self) -> Attacher {
        Attacher {
            shared: self.shared.clone(),
            sender: self.sender.clone(),
        }
    }

    /// Shows `screen`: the tree follows it (an unchanged screen sends nothing).
    pub fn show(&mut self, screen: &Screen) {
        if self.shown.as_ref() == Some(screen) {
            return;
        }
        let built = tree::build(screen);
        *self
            .shared
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = built.keys;
        *self
            .shared
            .tree
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(built.update.clone());
        self.adapter.update(built.update);
        self.shown = Some(screen.clone());
    }

    /// The window gained or lost the keyboard focus (the focused item is only
    /// reported while the window has it).
    pub fn window_focused(&mut self, focused: bool) {
        self.adapter.window_focused(focused);
    }
}

/// Attaches the platform adapter to the window: see [`Accessibility::attacher`].
pub struct Attacher {
    shared: Shared,
    sender: mpsc::UnboundedSender<crate::Request>,
}

impl Attacher {
    /// Runs on the window's thread, with its handle.
    pub fn attach<W: HasWindowHandle + ?Sized>(self, window: &W) -> Result<(), AttachError> {
        let handle = window
            .window_handle()
            .map_err(|e| AttachError(e.to_string()))?;
        platform::attach(handle.as_raw(), &self.shared, &self.sender)
    }
}

impl Drop for Accessibility {
    fn drop(&mut self) {
        *self
            .shared
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = HashMap::new();
    }
}
