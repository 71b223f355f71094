//! A labelled input: the label above, the input, and an optional note below.

use iced::widget::{column, text};
use iced::{Element, Length};

use crate::theme::{spacing, text_size};

/// `input` with `label` above it and `note` (feedback, hints) under it.
pub fn labelled<'a, Message: 'a>(
    label: String,
    input: impl Into<Element<'a, Message>>,
    note: Option<Element<'a, Message>>,
) -> Element<'a, Message> {
    let mut field = column![text(label).size(text_size::SMALL), input.into()]
        .spacing(spacing::XS)
        .width(Length::Fill);
    if let Some(note) = note {
        field = field.push(note);
    }
    field.into()
}
