//! The bar on top of every screen: settings (gear, top left, as in NemID), the app's
//! name, and help ("?", top right).

use iced::widget::{container, row, space, text, tooltip};

use super::button;
use iced::{Alignment, Element, Length, Theme};

use crate::fl;

/// The gear's label: what the simulator tests and a keyboard user select it by.
pub const SETTINGS_GLYPH: &str = "⚙";
/// The help button's label.
pub const HELP_GLYPH: &str = "?";
/// The buttons' ids: the keyboard focus and a screen reader find them by these.
pub const SETTINGS: &str = "header-settings";
pub const HELP: &str = "header-help";

/// The header bar; `on_settings`/`on_help` are sent when the buttons are pressed.
pub fn header<'a, Message: Clone + 'a>(
    on_settings: Message,
    on_help: Message,
) -> Element<'a, Message> {
    let gear = tooltip(
        button(text(SETTINGS_GLYPH).size(20))
            .on_press(on_settings)
            .id(SETTINGS)
            .style(button::text)
            .padding([2, 10]),
        text(fl!("settings-button")).size(13),
        tooltip::Position::Bottom,
    )
    .style(container::rounded_box);
    let help = tooltip(
        button(text(HELP_GLYPH).size(20))
            .on_press(on_help)
            .id(HELP)
            .style(button::text)
            .padding([2, 12]),
        text(fl!("help-button")).size(13),
        tooltip::Position::Bottom,
    )
    .style(container::rounded_box);
    container(
        row![
            gear,
            space::horizontal(),
            text(fl!("app-name")).size(18),
            space::horizontal(),
            help
        ]
        .align_y(Alignment::Center),
    )
    .padding([6, 8])
    .width(Length::Fill)
    .style(bar)
    .into()
}

/// A flat bar in the theme's weak background colour, edge to edge.
fn bar(theme: &Theme) -> container::Style {
    container::Style::default().background(theme.extended_palette().background.weak.color)
}
