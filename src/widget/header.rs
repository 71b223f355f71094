//! The bar on top of every screen: settings (a gear, top left, as in NemID), the
//! app's name, and help (a question mark, top right).

use iced::widget::{container, row, space, text, tooltip};
use iced::{Alignment, Element, Length};

use super::button;
use super::icon::{Icon, icon};
use super::surface;
use crate::fl;
use crate::theme::{icon_size, pad, spacing, text_size};

/// The buttons' ids: the keyboard focus, a screen reader and the tests find them by
/// these (the buttons show icons, not words; their names are the tooltips').
pub const SETTINGS: &str = "header-settings";
pub const HELP: &str = "header-help";

/// The header bar; `on_settings`/`on_help` are sent when the buttons are pressed.
pub fn header<'a, Message: Clone + 'a>(
    on_settings: Message,
    on_help: Message,
) -> Element<'a, Message> {
    let icon_button = |which: Icon, id: &'static str, name: String, message: Message| {
        tooltip(
            button(icon(which, icon_size::HEADER))
                .on_press(message)
                .id(id)
                .style(button::text)
                .padding(spacing::XS),
            container(text(name).size(text_size::CAPTION)).padding(pad::TOOLTIP),
            tooltip::Position::Bottom,
        )
        .style(surface::tooltip)
    };
    container(
        row![
            icon_button(Icon::Gear, SETTINGS, fl!("settings-button"), on_settings),
            space::horizontal(),
            text(fl!("app-name")).size(text_size::LEAD),
            space::horizontal(),
            icon_button(Icon::Help, HELP, fl!("help-button"), on_help),
        ]
        .align_y(Alignment::Center),
    )
    .padding(pad::BAR)
    .width(Length::Fill)
    .style(surface::bar)
    .into()
}
