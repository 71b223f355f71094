//! Change PIN (from settings): the current PIN, then the new one twice with the
//! same live rule feedback as activation. The server swaps the PIN key, authorised
//! by the current one, so a wrong current PIN counts toward the five like any other.

use std::fmt;
use std::sync::Arc;

use godkend_core::device::Device;
use godkend_protocol::Envelope;
use iced::widget::{column, text, text_input};
use iced::{Element, Task};
use zeroize::Zeroizing;

use crate::device::PinVerdict;
use crate::fl;
use crate::widget::button;
use crate::widget::field::labelled;
use crate::widget::new_pin::{NewPinMessages, PinFeedback, new_pin_fields};

/// Shortest and longest PIN (the PIN rules of activation).
const PIN_LENGTH: std::ops::RangeInclusive<usize> = 6..=12;

/// The change PIN screen's state. The PINs are cleared when it closes (dropped).
/// The current-PIN field's id: focused when the screen opens.
pub const CURRENT_FIELD: &str = "change-pin-current";

pub struct ChangePin {
    current: Zeroizing<String>,
    new: Zeroizing<String>,
    again: Zeroizing<String>,
    stage: Stage,
    /// Why the last try did not go through.
    notice: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Form,
    Working,
    Done,
}

#[derive(Clone)]
pub enum Message {
    CurrentChanged(String),
    NewChanged(String),
    AgainChanged(String),
    Submit,
    Answered(PinVerdict),
    Back,
}

/// The PINs typed never show in a debug print.
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::CurrentChanged(_) => f.write_str("CurrentChanged(..)"),
            Message::NewChanged(_) => f.write_str("NewChanged(..)"),
            Message::AgainChanged(_) => f.write_str("AgainChanged(..)"),
            Message::Submit => f.write_str("Submit"),
            Message::Answered(verdict) => f.debug_tuple("Answered").field(verdict).finish(),
            Message::Back => f.write_str("Back"),
        }
    }
}

/// The change the app runs with [`ChangePin::start`]: the current and new PIN.
pub struct Work {
    current: Zeroizing<String>,
    new: Zeroizing<String>,
}

/// What the change PIN screen tells the app.
#[derive(Debug)]
pub enum Event {
    /// Back to settings.
    Closed,
    /// Too many wrong PINs (or revoked meanwhile): the signed status, to wipe.
    DeviceEnded(Option<Envelope>),
}

impl ChangePin {
    pub fn new() -> Self {
        ChangePin {
            current: Zeroizing::default(),
            new: Zeroizing::default(),
            again: Zeroizing::default(),
            stage: Stage::Form,
            notice: None,
        }
    }

    pub fn update(&mut self, message: Message) -> (Option<Work>, Option<Event>) {
        match message {
            Message::CurrentChanged(pin) => self.current = Zeroizing::new(pin),
            Message::NewChanged(pin) => self.new = Zeroizing::new(pin),
            Message::AgainChanged(pin) => self.again = Zeroizing::new(pin),
            Message::Submit => return (self.submit(), None),
            Message::Answered(verdict) => return (None, self.answered(verdict)),
            Message::Back => return (None, Some(Event::Closed)),
        }
        (None, None)
    }

    /// What the new PIN fields say, and whether the new PIN is just the current one.
    fn feedback(&self) -> Result<PinFeedback, String> {
        let feedback = PinFeedback::of(&self.new, &self.again);
        if feedback == PinFeedback::Ok && self.new == self.current {
            return Err(fl!("change-pin-same"));
        }
        Ok(feedback)
    }

    /// Whether the Change PIN button is enabled.
    pub fn can_submit(&self) -> bool {
        self.stage == Stage::Form
            && PIN_LENGTH.contains(&self.current.len())
            && self.feedback() == Ok(PinFeedback::Ok)
    }

    fn submit(&mut self) -> Option<Work> {
        if !self.can_submit() {
            return None;
        }
        self.stage = Stage::Working;
        self.notice = None;
        Some(Work {
            current: self.current.clone(),
            new: self.new.clone(),
        })
    }

    fn answered(&mut self, verdict: PinVerdict) -> Option<Event> {
        self.stage = Stage::Form;
        self.notice = match verdict {
            PinVerdict::Accepted => {
                self.stage = Stage::Done;
                self.forget_pins();
                None
            }
            PinVerdict::WrongPin { attempts_left } => {
                self.current = Zeroizing::default();
                Some(fl!("change-pin-wrong", left = attempts_left))
            }
            PinVerdict::Ended(status) => {
                self.forget_pins();
                return Some(Event::DeviceEnded(status));
            }
            PinVerdict::Offline(_) => Some(fl!("change-pin-offline")),
            PinVerdict::Failed(reason) => Some(fl!("change-pin-failed", reason = reason)),
        };
        None
    }

    fn forget_pins(&mut self) {
        self.current = Zeroizing::default();
        self.new = Zeroizing::default();
        self.again = Zeroizing::default();
    }

    /// Runs `work` with `device`, off the UI thread.
    pub fn start(work: Work, device: &Arc<Device>) -> Task<Message> {
        let change = crate::device::change_pin(Arc::clone(device), work.current, work.new);
        Task::perform(change, Message::Answered)
    }

    pub fn view(&self) -> Element<'_, Message> {
        if self.stage == Stage::Done {
            let done = text(fl!("change-pin-done")).style(text::success);
            return super::page(fl!("change-pin-title"), done.into(), Message::Back);
        }
        let editable = self.stage == Stage::Form;
        let current = text_input(&fl!("change-pin-current-placeholder"), &self.current)
            .id(CURRENT_FIELD)
            .secure(true)
            .padding(8)
            .on_input_maybe(editable.then_some(Message::CurrentChanged as fn(String) -> Message));
        let messages = NewPinMessages {
            pin: editable.then_some(Message::NewChanged as fn(String) -> Message),
            again: editable.then_some(Message::AgainChanged as fn(String) -> Message),
            submit: Message::Submit,
        };
        let mut form = column![
            text(fl!("change-pin-intro")).size(14),
            labelled(fl!("change-pin-current-label"), current, None),
            new_pin_fields(&self.new, &self.again, messages),
        ]
        .spacing(16);
        if let Err(same) = self.feedback() {
            form = form.push(text(same).size(13).style(text::danger));
        }
        form = form.push(
            button(text(fl!("change-pin-button")))
                .padding([8, 24])
                .style(button::primary)
                .on_press_maybe(self.can_submit().then_some(Message::Submit)),
        );
        if self.stage == Stage::Working {
            form = form.push(
                text(fl!("change-pin-working"))
                    .size(13)
                    .style(text::secondary),
            );
        }
        if let Some(notice) = &self.notice {
            form = form.push(text(notice.clone()).size(13).style(text::danger));
        }
        super::page(fl!("change-pin-title"), form.into(), Message::Back)
    }
}

#[cfg(test)]
mod tests;
