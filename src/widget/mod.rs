//! Building blocks shared by the screens.

pub mod button;
pub mod code_field;
pub mod field;
pub mod focus;
pub mod header;
pub mod icon;
pub mod new_pin;
pub mod pin_field;
pub mod surface;
pub mod tone;

pub use button::button;
pub use focus::focusable;

use iced::widget::{container, scrollable};
use iced::{Element, Length};

/// Widest a screen's content gets: lines of text stay readable in a wide window.
const CONTENT_WIDTH: f32 = 520.0;

/// A screen's content, centred in the window at a readable width, scrolling when
/// the window is short.
pub fn body<'a, Message: 'a>(content: impl Into<Element<'a, Message>>) -> Element<'a, Message> {
    // The scrollbar takes its own room, so that no text runs under it.
    scrollable(
        container(
            container(content)
                .width(Length::Fill)
                .max_width(CONTENT_WIDTH),
        )
        .padding(crate::theme::pad::PAGE)
        .center_x(Length::Fill),
    )
    .spacing(crate::theme::spacing::XXS)
    .into()
}
