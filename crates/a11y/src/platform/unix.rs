//! AT-SPI through AccessKit's Unix adapter: the window is registered on the
//! accessibility bus by the adapter's own thread, which needs no window handle. The
//! adapter publishes nothing until AT-SPI reports an assistive technology
//! (`IsEnabled`), so a desktop without a screen reader pays for almost nothing.

use accesskit::{DeactivationHandler, TreeUpdate};
use raw_window_handle::RawWindowHandle;

use crate::AttachError;
use crate::Request;
use crate::accessibility::Shared;
use futures::channel::mpsc::UnboundedSender;

pub(crate) struct Adapter(accesskit_unix::Adapter);

/// The assistive technology went away: nothing to free beyond what the adapter does.
struct Deactivated;

impl DeactivationHandler for Deactivated {
    fn deactivate_accessibility(&mut self) {}
}

impl Adapter {
    pub(crate) fn new(shared: &Shared, sender: &UnboundedSender<Request>) -> Self {
        Adapter(accesskit_unix::Adapter::new(
            shared.clone(),
            shared.router(sender.clone()),
            Deactivated,
        ))
    }

    pub(crate) fn update(&mut self, tree: TreeUpdate) {
        self.0.update_if_active(|| tree);
    }

    pub(crate) fn window_focused(&mut self, focused: bool) {
        self.0.update_window_focus_state(focused);
    }
}

/// Nothing to attach: the adapter was registered when the window opened.
#[allow(
    clippy::unnecessary_wraps,
    reason = "the same signature as the Windows and macOS adapters', which can fail"
)]
pub(crate) fn attach(
    _window: RawWindowHandle,
    _shared: &Shared,
    _sender: &UnboundedSender<Request>,
) -> Result<(), AttachError> {
    Ok(())
}
