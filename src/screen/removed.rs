//! After this computer was revoked: what was removed, and how to remove the app
//! itself (design.md §2, Revoke). Shown over the welcome screen, which is where
//! Godkend is now if the user keeps it.

use iced::widget::{column, text};
use iced::{Element, Task};

use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::uninstall::{self, Removal};
use crate::widget::button;
use crate::widget::tone;

/// The uninstall button (its widget id and a screen reader's key).
const UNINSTALL: &str = "removed-uninstall";

/// The "this computer was removed" screen.
pub struct Removed {
    removal: Removal,
    /// Why the uninstaller could not be started.
    notice: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub enum Message {
    Uninstall,
    Back,
}

/// What the screen tells the app.
pub enum Event {
    /// Back to the welcome screen.
    Closed,
}

impl Removed {
    pub fn new() -> Self {
        Removed {
            removal: uninstall::removal(),
            notice: None,
        }
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::Uninstall => {
                if let Err(reason) = uninstall::run() {
                    self.notice = Some(fl!("uninstall-failed", reason = reason));
                }
                (Task::none(), None)
            }
            Message::Back => (Task::none(), Some(Event::Closed)),
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let mut content =
            column![text(fl!("removed-done")), text(fl!("removed-uninstall"))].spacing(spacing::L);
        content = match &self.removal {
            Removal::Action => content.push(
                button(text(fl!("removed-uninstall-button")))
                    .id(UNINSTALL)
                    .padding(pad::BUTTON)
                    .style(button::primary)
                    .on_press(Message::Uninstall),
            ),
            Removal::Instructions(how) => content.push(text(how.clone())),
        };
        if let Some(notice) = &self.notice {
            content = content.push(
                text(notice.clone())
                    .size(text_size::CAPTION)
                    .style(tone::danger),
            );
        }
        super::page(fl!("removed-title"), content.into(), Message::Back)
    }
}

mod accessible;
