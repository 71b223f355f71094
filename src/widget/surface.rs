//! Boxes from the design tokens (`crate::theme`): a card on the page, and a card that
//! warns.

use iced::widget::{container, text_input};
use iced::{Background, Border, Theme};

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

/// A text input: the surface colour, a control's edge (the accent when focused),
/// rounded, and a placeholder in the muted colour so that it reads (iced's is about
/// 2:1 on a dark theme).
pub fn input(theme: &Theme, status: text_input::Status) -> text_input::Style {
    let c = colors(theme);
    let edge = match status {
        text_input::Status::Focused { .. } => c.accent,
        text_input::Status::Active | text_input::Status::Hovered | text_input::Status::Disabled => {
            c.control_border
        }
    };
    text_input::Style {
        background: Background::Color(if matches!(status, text_input::Status::Disabled) {
            c.page
        } else {
            c.surface
        }),
        border: Border {
            color: edge,
            width: if edge == c.accent { 2.0 } else { 1.0 },
            radius: radius::S.into(),
        },
        icon: c.muted,
        placeholder: c.muted,
        value: c.text,
        selection: c.accent.scale_alpha(0.35),
    }
}
