//! The app's screens, one per file, each with its own `Message` (and `Event` when
//! it has something to tell the app).

pub mod activity;
pub mod biometric;
pub mod change_pin;
pub mod devices;
pub mod guide;
pub mod help;
pub mod home;
pub mod problem;
pub mod removed;
pub mod request;
pub mod revoke;
pub mod settings;
pub mod unlock;
pub mod welcome;

#[cfg(test)]
pub mod fixtures;

use std::sync::Arc;

use godkend_core::device::Device;
use godkend_protocol::Envelope;
use iced::widget::{column, text};
use iced::{Element, Task};

use crate::widget::button;

use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::widget::icon::Icon;

/// The one shape of a screen that works with the device (unlock, change PIN, my
/// devices, revoke; the request screen has the same `update` and leaves its work,
/// which goes through the agent, to the app): `update` is pure, so tests drive it without a
/// device; it changes the screen and says what work to run and what to tell the
/// app. The app runs the work against its agent's device with `start`.
pub trait DeviceScreen {
    type Message;
    type Work;
    type Event;

    fn update(&mut self, message: Self::Message) -> (Option<Self::Work>, Option<Self::Event>);

    /// Runs `work` with `device`, off the UI thread; its answer comes back as a message.
    fn start(work: Self::Work, device: &Arc<Device>) -> Task<Self::Message>;
}

/// How a settings page that needs the PIN (change PIN, my devices, revoke) is left.
#[derive(Debug)]
pub enum Leave {
    /// Back to settings.
    Back,
    /// This computer is deregistered and its local data deleted.
    Revoked,
    /// Too many wrong PINs (or revoked meanwhile): the server's signed status, to
    /// wipe this device with.
    DeviceEnded(Option<Envelope>),
}

/// The Back button of a simple [`page`] (its widget id and a screen reader's key).
pub const PAGE_BACK: &str = "page-back";

/// A simple page: a title, some content and a Back button.
fn page<'a, Message: Clone + 'a>(
    title: String,
    content: Element<'a, Message>,
    on_back: Message,
) -> Element<'a, Message> {
    crate::widget::body(
        column![
            text(title).size(text_size::HEADING),
            content,
            button(button::with_icon(Icon::Back, fl!("back-button")))
                .id(PAGE_BACK)
                .padding(pad::BUTTON)
                .style(button::secondary)
                .on_press(on_back),
        ]
        .spacing(spacing::XL),
    )
}

/// A simulator as tall as the longest page (settings), so every control is on screen
/// without scrolling; as wide as the window.
#[cfg(test)]
pub fn tall_simulator<'a, Message>(
    element: impl Into<Element<'a, Message>>,
) -> iced_test::Simulator<'a, Message> {
    iced_test::Simulator::with_size(
        iced_test::core::Settings::default(),
        (560.0, 2400.0),
        element,
    )
}
