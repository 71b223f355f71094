//! Change PIN (from settings): the current PIN, then the new one twice with the
//! same live rule feedback as activation. The server swaps the PIN key, authorised
//! by the current one, so a wrong current PIN counts toward the five like any other.

use std::sync::Arc;

use godkend_core::device::Device;
use godkend_core::secret::SecretText;
use iced::widget::{column, text};
use iced::{Element, Task};
use zeroize::Zeroizing;

use super::{DeviceScreen, Leave};
use crate::device::PinVerdict;
use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::widget::button;
use crate::widget::field::labelled;
use crate::widget::new_pin::{NewPinIds, NewPinMessages, PinFeedback, new_pin_fields};
use crate::widget::pin_field::PinField;
use crate::widget::tone;

/// The current-PIN field's id: focused when the screen opens.
pub const CURRENT_FIELD: &str = "change-pin-current";
/// The save button (its widget id and a screen reader's key).
const SUBMIT: &str = "change-pin-submit";
/// The new PIN's two fields and the feedback under them.
pub const NEW_PIN: NewPinIds = NewPinIds {
    pin: "change-pin-new",
    again: "change-pin-again",
    feedback: "change-pin-feedback",
};

/// The change PIN screen's state. The PINs are cleared when it closes (dropped).
pub struct ChangePin {
    current: PinField,
    new: PinField,
    again: PinField,
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

#[derive(Debug, Clone)]
pub enum Message {
    CurrentChanged(SecretText),
    NewChanged(SecretText),
    AgainChanged(SecretText),
    Submit,
    Answered(PinVerdict),
    Back,
}

/// The change the app runs with [`ChangePin::start`]: the current and new PIN.
pub struct Work {
    current: Zeroizing<String>,
    new: Zeroizing<String>,
}

impl DeviceScreen for ChangePin {
    type Message = Message;
    type Work = Work;
    type Event = Leave;

    fn update(&mut self, message: Message) -> (Option<Work>, Option<Leave>) {
        match message {
            Message::CurrentChanged(typed) => self.current.typed(&typed),
            Message::NewChanged(typed) => self.new.typed(&typed),
            Message::AgainChanged(typed) => self.again.typed(&typed),
            Message::Submit => return (self.submit(), None),
            Message::Answered(verdict) => return (None, self.answered(verdict)),
            Message::Back => return (None, Some(Leave::Back)),
        }
        (None, None)
    }

    /// Runs `work` with `device`, off the UI thread.
    fn start(work: Work, device: &Arc<Device>) -> Task<Message> {
        let change = crate::device::change_pin(Arc::clone(device), work.current, work.new);
        Task::perform(change, Message::Answered)
    }
}

impl ChangePin {
    pub fn new() -> Self {
        ChangePin {
            current: PinField::default(),
            new: PinField::default(),
            again: PinField::default(),
            stage: Stage::Form,
            notice: None,
        }
    }

    /// What the new PIN fields say, and whether the new PIN is just the current one.
    fn feedback(&self) -> Result<PinFeedback, String> {
        let feedback = PinFeedback::of(self.new.as_str(), self.again.as_str());
        if feedback == PinFeedback::Ok && self.new.as_str() == self.current.as_str() {
            return Err(fl!("change-pin-same"));
        }
        Ok(feedback)
    }

    /// Whether the Change PIN button is enabled.
    pub fn can_submit(&self) -> bool {
        self.stage == Stage::Form
            && self.current.is_ready()
            && self.feedback() == Ok(PinFeedback::Ok)
    }

    fn submit(&mut self) -> Option<Work> {
        if !self.can_submit() {
            return None;
        }
        self.stage = Stage::Working;
        self.notice = None;
        Some(Work {
            current: self.current.secret(),
            new: self.new.secret(),
        })
    }

    fn answered(&mut self, verdict: PinVerdict) -> Option<Leave> {
        self.stage = Stage::Form;
        self.notice = match verdict {
            PinVerdict::Accepted => {
                self.stage = Stage::Done;
                self.forget_pins();
                None
            }
            PinVerdict::WrongPin { attempts_left } => {
                self.current.clear();
                Some(fl!("change-pin-wrong", left = attempts_left))
            }
            PinVerdict::Ended(status) => {
                self.forget_pins();
                return Some(Leave::DeviceEnded(status));
            }
            PinVerdict::Offline(_) => Some(fl!("change-pin-offline")),
            PinVerdict::Failed(reason) => Some(fl!("change-pin-failed", reason = reason)),
        };
        None
    }

    fn forget_pins(&mut self) {
        self.current.clear();
        self.new.clear();
        self.again.clear();
    }

    pub fn view(&self) -> Element<'_, Message> {
        if self.stage == Stage::Done {
            let done = text(fl!("change-pin-done")).style(text::success);
            return super::page(fl!("change-pin-title"), done.into(), Message::Back);
        }
        let editable = self.stage == Stage::Form;
        let current = self
            .current
            .input(
                &fl!("change-pin-current-placeholder"),
                editable.then_some(Message::CurrentChanged as fn(SecretText) -> Message),
            )
            .id(CURRENT_FIELD);
        let messages = NewPinMessages {
            pin: editable.then_some(Message::NewChanged as fn(SecretText) -> Message),
            again: editable.then_some(Message::AgainChanged as fn(SecretText) -> Message),
            submit: Message::Submit,
        };
        let mut form = column![
            text(fl!("change-pin-intro")).size(text_size::SMALL),
            labelled(fl!("change-pin-current-label"), current, None),
            new_pin_fields(&self.new, &self.again, NEW_PIN, messages),
        ]
        .spacing(spacing::L);
        if let Err(same) = self.feedback() {
            form = form.push(text(same).size(text_size::CAPTION).style(tone::danger));
        }
        form = form.push(
            button(text(fl!("change-pin-button")))
                .id(SUBMIT)
                .padding(pad::BUTTON)
                .style(button::primary)
                .on_press_maybe(self.can_submit().then_some(Message::Submit)),
        );
        if self.stage == Stage::Working {
            form = form.push(
                text(fl!("change-pin-working"))
                    .size(text_size::CAPTION)
                    .style(tone::muted),
            );
        }
        if let Some(notice) = &self.notice {
            form = form.push(
                text(notice.clone())
                    .size(text_size::CAPTION)
                    .style(tone::danger),
            );
        }
        super::page(fl!("change-pin-title"), form.into(), Message::Back)
    }
}

mod accessible;
#[cfg(test)]
mod tests;
