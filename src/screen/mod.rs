//! The app's screens, one per file, each with its own `Message` (and `Event` when
//! it has something to tell the app).

pub mod activity;
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

use iced::Element;
use iced::widget::{column, text};

use crate::widget::button;

use crate::fl;

/// A simple page: a title, some content and a Back button.
fn page<'a, Message: Clone + 'a>(
    title: String,
    content: Element<'a, Message>,
    on_back: Message,
) -> Element<'a, Message> {
    crate::widget::body(
        column![
            text(title).size(26),
            content,
            button(text(fl!("back-button")))
                .padding([8, 24])
                .style(button::secondary)
                .on_press(on_back),
        ]
        .spacing(20),
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
