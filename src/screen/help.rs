//! Help (the "?", top right): guidance for the screen it was opened from.

use iced::Element;
use iced::widget::text;

use crate::fl;

/// Which screen the help is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Welcome,
    Home,
    Request,
    General,
}

/// The help screen's state.
pub struct Help {
    topic: Topic,
}

#[derive(Debug, Clone, Copy)]
pub enum Message {
    Back,
}

/// What the help screen tells the app.
pub enum Event {
    Closed,
}

impl Help {
    pub fn new(topic: Topic) -> Self {
        Help { topic }
    }

    pub fn update(message: Message) -> Event {
        match message {
            Message::Back => Event::Closed,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        super::page(
            fl!("help-title"),
            text(self.guidance()).into(),
            Message::Back,
        )
    }

    /// What the help says about its topic.
    fn guidance(&self) -> String {
        match self.topic {
            Topic::Welcome => fl!("help-welcome"),
            Topic::Home => fl!("help-home"),
            Topic::Request => format!(
                "{}\n\n{}",
                fl!("help-request"),
                fl!("help-biometric", method = super::biometric::method())
            ),
            Topic::General => fl!("help-general"),
        }
    }
}

mod accessible;
