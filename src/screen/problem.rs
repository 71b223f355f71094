//! The device could not be loaded (a locked or reset keyring, a damaged config): what
//! went wrong, Try again, and — when nothing else helps — Start again, which deletes
//! this computer's Godkend data so that it can be activated anew. The server still
//! lists the old device until it is revoked, which the screen says.

use iced::widget::{column, container, text};
use iced::{Element, Task};

use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::widget::button;
use crate::widget::{surface, tone};

/// The buttons' widget ids, which are also their keys for a screen reader.
const TRY_AGAIN: &str = "problem-try-again";
const START_AGAIN: &str = "problem-start-again";
const CONFIRM: &str = "problem-confirm";
const CANCEL: &str = "problem-cancel";

/// The problem screen's state.
pub struct Problem {
    reason: String,
    confirming: bool,
    working: bool,
    /// Why starting again failed, if it did.
    failure: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    TryAgain,
    StartAgain,
    Confirm,
    Cancel,
    Forgotten(Result<(), String>),
}

/// What the problem screen tells the app.
pub enum Event {
    /// Load the device again.
    Retry,
    /// The local data is gone: show the welcome screen.
    Forgotten,
}

impl Problem {
    pub fn new(reason: String) -> Self {
        Problem {
            reason,
            confirming: false,
            working: false,
            failure: None,
        }
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::TryAgain => return (Task::none(), Some(Event::Retry)),
            Message::StartAgain => self.confirming = true,
            Message::Cancel => self.confirming = false,
            Message::Confirm if !self.working => {
                self.working = true;
                self.failure = None;
                tracing::info!("the user chose to delete this computer's Godkend data");
                return (
                    Task::perform(crate::device::forget(), Message::Forgotten),
                    None,
                );
            }
            Message::Confirm => {}
            Message::Forgotten(Ok(())) => return (Task::none(), Some(Event::Forgotten)),
            Message::Forgotten(Err(reason)) => {
                self.working = false;
                self.failure = Some(reason);
            }
        }
        (Task::none(), None)
    }

    pub fn view(&self) -> Element<'_, Message> {
        let mut content = column![
            text(fl!("problem-title")).size(text_size::HEADING),
            text(fl!("problem-detail", reason = self.reason.clone())),
            button(text(fl!("problem-try-again")))
                .id(TRY_AGAIN)
                .padding(pad::BUTTON)
                .style(button::primary)
                .on_press(Message::TryAgain),
            text(fl!("problem-start-again-hint")).size(text_size::SMALL),
        ]
        .spacing(spacing::L);
        content = if self.confirming {
            content.push(
                container(
                    column![
                        text(fl!("problem-start-again-explained")),
                        iced::widget::row![
                            button(text(fl!("problem-start-again-confirm")))
                                .id(CONFIRM)
                                .padding(pad::BUTTON_TIGHT)
                                .style(button::danger)
                                .on_press_maybe((!self.working).then_some(Message::Confirm)),
                            button(text(fl!("request-not-me-cancel")))
                                .id(CANCEL)
                                .padding(pad::BUTTON_TIGHT)
                                .style(button::secondary)
                                .on_press(Message::Cancel),
                        ]
                        .spacing(spacing::M),
                    ]
                    .spacing(spacing::M),
                )
                .padding(pad::CARD)
                .style(surface::card),
            )
        } else {
            content.push(
                button(text(fl!("problem-start-again")))
                    .id(START_AGAIN)
                    .padding(pad::BUTTON)
                    .style(button::secondary)
                    .on_press(Message::StartAgain),
            )
        };
        if let Some(failure) = &self.failure {
            content = content.push(text(failure.clone()).style(tone::danger));
        }
        crate::widget::body(content)
    }
}

mod accessible;

#[cfg(test)]
mod tests {
    use iced_test::simulator;

    use super::*;

    fn click(screen: &Problem, label: &str) -> Vec<Message> {
        let mut ui = simulator(screen.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
        ui.into_messages().collect()
    }

    #[test]
    fn try_again_reloads_and_start_again_asks_first() {
        let mut screen = Problem::new("the device key is not in the keyring".into());
        let retry = click(&screen, &fl!("problem-try-again"));
        assert!(matches!(
            screen.update(retry[0].clone()).1,
            Some(Event::Retry)
        ));
        for message in click(&screen, &fl!("problem-start-again")) {
            let (_, event) = screen.update(message);
            assert!(
                event.is_none(),
                "nothing is deleted before the confirmation"
            );
        }
        assert!(
            simulator(screen.view())
                .find(fl!("problem-start-again-explained"))
                .is_ok()
        );
        let cancel = click(&screen, &fl!("request-not-me-cancel"));
        let _ = screen.update(cancel[0].clone());
        assert!(!screen.confirming);
    }

    #[test]
    fn a_failed_deletion_says_why_and_can_be_tried_again() {
        let mut screen = Problem::new("broken".into());
        let _ = screen.update(Message::StartAgain);
        let (_, event) = screen.update(Message::Forgotten(Err("the keyring is locked".into())));
        assert!(event.is_none());
        assert!(
            simulator(screen.view())
                .find("the keyring is locked")
                .is_ok()
        );
        assert!(matches!(
            screen.update(Message::Forgotten(Ok(()))).1,
            Some(Event::Forgotten)
        ));
    }
}
