//! Revoke this computer (from settings): says what it does, asks for the PIN, then
//! deregisters this computer at the server and deletes its keys and data. Cannot
//! be undone, so the button stays off until a PIN is typed.

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
use crate::widget::pin_field::PinField;
use crate::widget::tone;

/// The PIN field's id: focused when the screen opens.
pub const PIN_FIELD: &str = "revoke-pin";
/// The revoke button (its widget id and a screen reader's key).
const CONFIRM: &str = "revoke-confirm";

/// The revoke screen's state. The PIN goes with it.
pub struct Revoke {
    pin: PinField,
    working: bool,
    /// Why the last try did not go through.
    notice: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    PinChanged(SecretText),
    Confirm,
    Answered(PinVerdict),
    Back,
}

/// The revocation the app runs with [`Revoke::start`]: the PIN.
pub struct Work(Zeroizing<String>);

impl DeviceScreen for Revoke {
    type Message = Message;
    type Work = Work;
    type Event = Leave;

    fn update(&mut self, message: Message) -> (Option<Work>, Option<Leave>) {
        match message {
            Message::PinChanged(typed) => self.pin.typed(&typed),
            Message::Confirm => return (self.confirm(), None),
            Message::Answered(verdict) => return (None, self.answered(verdict)),
            Message::Back if !self.working => return (None, Some(Leave::Back)),
            Message::Back => {}
        }
        (None, None)
    }

    /// Runs `work` with `device`, off the UI thread.
    fn start(work: Work, device: &Arc<Device>) -> Task<Message> {
        Task::perform(
            crate::device::revoke(Arc::clone(device), work.0),
            Message::Answered,
        )
    }
}

impl Revoke {
    /// Whether the revocation is under way (it must not be closed meanwhile: its
    /// answer decides what shows next).
    pub fn is_working(&self) -> bool {
        self.working
    }

    pub fn new() -> Self {
        Revoke {
            pin: PinField::default(),
            working: false,
            notice: None,
        }
    }

    /// Whether the confirm button is enabled.
    pub fn can_confirm(&self) -> bool {
        !self.working && self.pin.is_ready()
    }

    fn confirm(&mut self) -> Option<Work> {
        if !self.can_confirm() {
            return None;
        }
        self.working = true;
        self.notice = None;
        Some(Work(self.pin.secret()))
    }

    fn answered(&mut self, verdict: PinVerdict) -> Option<Leave> {
        self.working = false;
        self.pin.clear();
        self.notice = match verdict {
            PinVerdict::Accepted => return Some(Leave::Revoked),
            PinVerdict::Ended(status) => return Some(Leave::DeviceEnded(status)),
            PinVerdict::WrongPin { attempts_left } => {
                Some(fl!("revoke-wrong-pin", left = attempts_left))
            }
            PinVerdict::Offline(reason) => {
                tracing::info!(%reason, "could not revoke this computer: offline");
                Some(fl!("revoke-offline"))
            }
            PinVerdict::Failed(reason) => Some(fl!("revoke-failed", reason = reason)),
        };
        None
    }

    pub fn view(&self) -> Element<'_, Message> {
        let pin = self
            .pin
            .input(
                &fl!("revoke-pin-placeholder"),
                (!self.working).then_some(Message::PinChanged as fn(SecretText) -> Message),
            )
            .id(PIN_FIELD)
            .on_submit(Message::Confirm);
        let mut content = column![
            text(fl!("revoke-explained")),
            text(fl!("revoke-deletes")),
            text(fl!("revoke-confirm-hint")),
            labelled(fl!("revoke-pin-label"), pin, None),
            button(text(fl!("revoke-button")))
                .id(CONFIRM)
                .padding(pad::BUTTON)
                .style(button::danger)
                .on_press_maybe(self.can_confirm().then_some(Message::Confirm)),
        ]
        .spacing(spacing::L);
        if self.working {
            content = content.push(
                text(fl!("revoke-working"))
                    .size(text_size::CAPTION)
                    .style(tone::muted),
            );
        }
        if let Some(notice) = &self.notice {
            content = content.push(
                text(notice.clone())
                    .size(text_size::CAPTION)
                    .style(tone::danger),
            );
        }
        super::page(fl!("revoke-title"), content.into(), Message::Back)
    }
}

mod accessible;

#[cfg(test)]
mod tests {
    use iced_test::simulator;

    use super::*;

    fn type_pin(screen: &mut Revoke, typed: &str) {
        let mut ui = simulator(screen.view());
        ui.click(fl!("revoke-pin-placeholder").as_str())
            .expect("the PIN field is shown");
        ui.typewrite(typed);
        for message in ui.into_messages() {
            let _ = screen.update(message);
        }
    }

    fn press_revoke(screen: &mut Revoke) -> Option<Work> {
        let mut ui = simulator(screen.view());
        ui.click(fl!("revoke-button").as_str())
            .expect("the revoke button is shown");
        let messages: Vec<Message> = ui.into_messages().collect();
        messages.into_iter().find_map(|m| screen.update(m).0)
    }

    fn shows(screen: &Revoke, text: &str) -> bool {
        simulator(screen.view()).find(text).is_ok()
    }

    #[test]
    fn it_says_what_is_deleted_and_waits_for_a_pin() {
        let mut screen = Revoke::new();
        assert!(shows(&screen, &fl!("revoke-deletes")));
        assert!(press_revoke(&mut screen).is_none(), "no PIN typed");
        type_pin(&mut screen, "4709");
        assert!(press_revoke(&mut screen).is_none(), "too short to be a PIN");
        let _ = screen.update(Message::PinChanged("470913".into()));
        let work = press_revoke(&mut screen).expect("a PIN is typed");
        assert_eq!(work.0.as_str(), "470913");
        assert!(
            press_revoke(&mut screen).is_none(),
            "one revocation at a time"
        );
    }

    #[test]
    fn the_pin_field_keeps_digits_only_and_at_most_twelve() {
        let mut screen = Revoke::new();
        type_pin(&mut screen, "47a0 9x1");
        assert_eq!(
            screen.pin.as_str(),
            "47091",
            "letters and spaces are refused"
        );
        assert!(press_revoke(&mut screen).is_none(), "five digits");

        let mut screen = Revoke::new();
        type_pin(&mut screen, "4709134709135");
        assert_eq!(
            screen.pin.as_str(),
            "470913470913",
            "a 13th digit is refused"
        );
        let work = press_revoke(&mut screen).expect("twelve digits are a PIN");
        assert_eq!(work.0.as_str(), "470913470913");
    }

    #[test]
    fn a_typed_pin_never_shows_in_a_debug_print() {
        let printed = format!("{:?}", Message::PinChanged("470913".into()));
        assert!(!printed.contains("470913"), "{printed}");
    }

    #[test]
    fn a_wrong_pin_says_how_many_tries_are_left() {
        let mut screen = Revoke::new();
        type_pin(&mut screen, "470914");
        assert!(press_revoke(&mut screen).is_some());
        let (_, event) =
            screen.update(Message::Answered(PinVerdict::WrongPin { attempts_left: 4 }));
        assert!(event.is_none());
        assert!(shows(&screen, &fl!("revoke-wrong-pin", left = 4)));
        assert!(screen.pin.is_empty(), "the wrong PIN is cleared");
        assert!(!screen.can_confirm());
    }

    #[test]
    fn offline_says_nothing_was_removed() {
        let mut screen = Revoke::new();
        type_pin(&mut screen, "470913");
        assert!(press_revoke(&mut screen).is_some());
        let (_, event) = screen.update(Message::Answered(PinVerdict::Offline("down".into())));
        assert!(event.is_none());
        assert!(shows(&screen, &fl!("revoke-offline")));
    }

    #[test]
    fn success_and_a_block_tell_the_app() {
        let mut screen = Revoke::new();
        type_pin(&mut screen, "470913");
        assert!(press_revoke(&mut screen).is_some());
        let (_, event) = screen.update(Message::Answered(PinVerdict::Accepted));
        assert!(matches!(event, Some(Leave::Revoked)));

        let mut screen = Revoke::new();
        let (_, event) = screen.update(Message::Answered(PinVerdict::Ended(None)));
        assert!(matches!(event, Some(Leave::DeviceEnded(None))));
    }

    #[test]
    fn back_is_ignored_while_the_revocation_is_on_its_way() {
        let mut screen = Revoke::new();
        type_pin(&mut screen, "470913");
        assert!(press_revoke(&mut screen).is_some());
        assert!(screen.update(Message::Back).1.is_none());
    }
}
