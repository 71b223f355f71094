//! The app's screens, one per file, each with its own `Message` (and `Event` when
//! it has something to tell the app).

pub mod activity;
pub mod guide;
pub mod help;
pub mod home;
pub mod request;
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
