//! Boxes from the design tokens (`crate::theme`): a card on the page, and a card that
//! warns.

use iced::widget::container;
use iced::{Border, Theme};

use crate::theme::{colors, radius};

/// A card: the surface colour, a quiet edge, rounded corners.
pub fn card(theme: &Theme) -> container::Style {
    let c = colors(theme);
    container::Style::default()
        .background(c.surface)
        .border(Border {
            color: c.border,
            width: 1.0,
            radius: radius::M.into(),
        })
}

/// A card that warns of danger (a lookalike site): tinted, with a danger edge.
pub fn danger_card(theme: &Theme) -> container::Style {
    let c = colors(theme);
    container::Style::default()
        .background(c.danger_surface)
        .border(Border {
            color: c.danger,
            width: 1.5,
            radius: radius::M.into(),
        })
}

/// The header bar: the surface colour edge to edge, a line under it.
pub fn bar(theme: &Theme) -> container::Style {
    let c = colors(theme);
    container::Style::default()
        .background(c.surface)
        .border(Border {
            color: c.border,
            width: 0.0,
            radius: 0.0.into(),
        })
}

/// A tooltip's bubble.
pub fn tooltip(theme: &Theme) -> container::Style {
    let c = colors(theme);
    container::Style::default()
        .background(c.surface)
        .color(c.text)
        .border(Border {
            color: c.control_border,
            width: 1.0,
            radius: radius::S.into(),
        })
}
