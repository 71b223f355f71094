//! Settings (the gear, top left). A placeholder for now: the serial number, for
//! support, and the version.

use godkend_protocol::Serial;
use iced::Element;
use iced::widget::{column, text};

use crate::fl;

/// The settings screen's state.
pub struct Settings {
    serial: Option<Serial>,
}

#[derive(Debug, Clone, Copy)]
pub enum Message {
    Back,
}

/// What the settings screen tells the app.
pub enum Event {
    Closed,
}

impl Settings {
    /// `serial` is `None` before activation.
    pub fn new(serial: Option<Serial>) -> Self {
        Settings { serial }
    }

    pub fn update(message: Message) -> Event {
        match message {
            Message::Back => Event::Closed,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let mut content = column![text(fl!("settings-coming"))].spacing(12);
        if let Some(serial) = &self.serial {
            content = content.push(text(fl!("settings-serial", serial = serial.to_string())));
        }
        content = content.push(
            text(fl!("settings-version", version = env!("CARGO_PKG_VERSION")))
                .style(text::secondary),
        );
        super::page(fl!("settings-title"), content.into(), Message::Back)
    }
}
