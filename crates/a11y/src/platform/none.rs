//! No accessibility API known here: the tree is kept but goes nowhere.

use accesskit::TreeUpdate;
use raw_window_handle::RawWindowHandle;

use crate::AttachError;
use crate::Request;
use crate::accessibility::Shared;
use futures::channel::mpsc::UnboundedSender;

pub(crate) struct Adapter;

#[allow(
    clippy::unused_self,
    reason = "the Linux adapter's methods; here the adapter is in a thread-local, or none"
)]
impl Adapter {
    pub(crate) fn new(_shared: &Shared, _sender: &UnboundedSender<Request>) -> Self {
        Adapter
    }

    pub(crate) fn update(&mut self, _tree: TreeUpdate) {}

    pub(crate) fn window_focused(&mut self, _focused: bool) {}
}

pub(crate) fn attach(
    _window: RawWindowHandle,
    _shared: &Shared,
    _sender: &UnboundedSender<Request>,
) -> Result<(), AttachError> {
    Err(AttachError("no accessibility API on this OS".into()))
}
