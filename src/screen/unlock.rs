//! Unlock: the PIN, typed or tapped on a pad, before activity and settings show.
//! Only the server can tell a right PIN (design.md §3), so unlocking is a signed round
//! trip: the server counts wrong PINs and says how many tries are left; offline, the
//! app cannot unlock and says so. Where biometrics are on (and not suspended), a
//! fingerprint (Windows Hello, Touch ID) unlocks instead: its key signs the same
//! round trip.

use std::sync::Arc;

use godkend_core::CoreError;
use godkend_core::device::Device;
use godkend_core::secret::{Redacted, SecretText};
use godkend_protocol::{Envelope, ErrorCode};
use iced::widget::{column, row, text};
use iced::{Alignment, Element, Length, Task};

use super::DeviceScreen;
use super::biometric::{self, Outcome};
use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::widget::button;
use crate::widget::icon::Icon;
use crate::widget::pin_field::PinField;
use crate::widget::tone;

/// The PIN field's id, focused when the screen opens.
pub const PIN_FIELD: &str = "unlock-pin";
/// The buttons' ids: the keyboard focus and a screen reader find them by these.
pub const UNLOCK: &str = "unlock-button";
pub const ERASE: &str = "unlock-erase";
pub const BACK: &str = "unlock-back";
pub const USE_BIOMETRIC: &str = "unlock-use-biometric";
/// The pad's digit keys: `unlock-digit-0` to `unlock-digit-9`.
pub const DIGITS: [&str; 10] = [
    "unlock-digit-0",
    "unlock-digit-1",
    "unlock-digit-2",
    "unlock-digit-3",
    "unlock-digit-4",
    "unlock-digit-5",
    "unlock-digit-6",
    "unlock-digit-7",
    "unlock-digit-8",
    "unlock-digit-9",
];

/// The unlock screen's state.
#[derive(Default)]
pub struct Unlock {
    pin: PinField,
    checking: bool,
    problem: Option<Problem>,
    /// The biometric check is offered beside the PIN.
    biometric: bool,
    /// A biometric check is under way (the app holds the task, to cancel it).
    scanning: bool,
}

/// Why the last try did not unlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    WrongPin {
        attempts_left: u32,
    },
    /// The server cannot be reached, so the PIN cannot be checked.
    Offline,
    Failed(String),
    Biometric(Outcome),
}

/// The PIN, typed or tapped digit by digit, is redacted: it never shows in a debug
/// print.
#[derive(Debug, Clone)]
pub enum Message {
    PinChanged(SecretText),
    /// A digit from the pad.
    Digit(Redacted<u8>),
    Erase,
    Unlock,
    Cancel,
    /// Check the user with the platform's biometric check instead of the PIN.
    UseBiometric,
    /// Stop the biometric check under way (the app aborts it).
    CancelScan,
    /// The server's answer.
    Checked(Result<(), Refusal>),
}

/// The server's refusal, in a form messages can carry.
#[derive(Debug, Clone)]
pub enum Refusal {
    WrongPin {
        attempts_left: u32,
    },
    /// Five wrong PINs: the device is blocked; the server's signed status, if sent.
    Blocked(Option<Envelope>),
    Offline,
    Failed(String),
    /// The biometric check gave no signature, or the server no longer holds its key;
    /// `None` when the user cancelled it.
    Biometric(Option<Outcome>),
}

impl Refusal {
    fn from_error(error: &CoreError) -> Self {
        let problem = error.problem();
        match error.code() {
            Some(ErrorCode::WrongPin) => Refusal::WrongPin {
                attempts_left: problem.and_then(|p| p.attempts_left).unwrap_or(0),
            },
            Some(ErrorCode::DeviceBlocked) => {
                Refusal::Blocked(problem.and_then(|p| p.device_status.clone()))
            }
            _ if matches!(error, CoreError::Offline(_)) => Refusal::Offline,
            _ => Refusal::Failed(error.to_string()),
        }
    }
}

/// What the unlock screen tells the app.
#[derive(Debug)]
pub enum Event {
    Unlocked,
    Cancelled,
    Blocked(Option<Envelope>),
    /// The server no longer holds the biometric key, so it was deleted here too.
    BiometricsRemoved,
}

/// What to check with the server; the app runs it with [`DeviceScreen::start`].
#[derive(Debug)]
pub enum Work {
    /// The PIN.
    Pin(SecretText),
    /// The biometric check, showing `reason` where the platform shows one.
    Scan { reason: String },
}

impl DeviceScreen for Unlock {
    type Message = Message;
    type Work = Work;
    type Event = Event;

    fn update(&mut self, message: Message) -> (Option<Work>, Option<Event>) {
        match message {
            Message::PinChanged(typed) => self.typed(&typed),
            Message::Digit(digit) => self.digit(*digit.expose()),
            Message::Erase => self.pin.erase(),
            Message::Unlock => return (self.unlock(), None),
            Message::Cancel => return (None, Some(Event::Cancelled)),
            Message::UseBiometric => return (self.scan(), None),
            Message::CancelScan => {
                self.scanning = false;
                self.checking = false;
            }
            Message::Checked(result) => return (None, self.checked(result)),
        }
        (None, None)
    }

    /// Asks the server whether the PIN (its key) or the biometric key is right.
    fn start(work: Work, device: &Arc<Device>) -> Task<Message> {
        let device = Arc::clone(device);
        match work {
            Work::Pin(pin) => Task::perform(
                async move {
                    let pin_key = device
                        .pin_key(pin.as_str())
                        .await
                        .map_err(|e| Refusal::Failed(e.to_string()))?;
                    device
                        .client
                        .unlock(&pin_key)
                        .await
                        .map_err(|e| Refusal::from_error(&e))?;
                    // Only a PIN the server accepted lifts a scan suspension.
                    device.record_pin_proved();
                    Ok(())
                },
                Message::Checked,
            ),
            Work::Scan { reason } => Task::perform(
                async move { scan_unlock(&device, &reason).await },
                Message::Checked,
            ),
        }
    }
}

/// The biometric unlock: the platform checks the user as its key signs the server's
/// challenge. Every check that ends is counted (only a finger that did not match
/// counts toward the suspension); a key the server no longer holds is deleted here.
async fn scan_unlock(device: &Device, reason: &str) -> Result<(), Refusal> {
    if device.scan_limit().is_suspended() {
        return Err(Refusal::Biometric(Some(Outcome::NoMatch { scans_left: 0 })));
    }
    let signer = match device.biometric_signer().await {
        Ok(Some(signer)) => signer,
        Ok(None) => return Err(Refusal::Biometric(Some(Outcome::KeyRemoved))),
        Err(e) => {
            return Err(Refusal::Biometric(Some(Outcome::Unavailable(
                e.to_string(),
            ))));
        }
    };
    match device.client.unlock_with(signer.as_ref(), reason).await {
        Ok(()) => {
            device.record_scan(Ok(()));
            Ok(())
        }
        Err(CoreError::UserVerification(error)) => {
            let limit = device.record_scan(Err(&error));
            Err(Refusal::Biometric(Outcome::of(&error, limit.scans_left())))
        }
        Err(e) if e.code() == Some(ErrorCode::UvKeyUnknown) => {
            if let Err(e) = device.forget_biometrics().await {
                tracing::warn!(error = %e, "could not delete the removed biometric key");
            }
            Err(Refusal::Biometric(Some(Outcome::KeyRemoved)))
        }
        Err(e) => Err(Refusal::from_error(&e)),
    }
}

impl Unlock {
    pub fn new() -> Self {
        Unlock::default()
    }

    /// The screen with the biometric check offered beside the PIN (or not).
    #[must_use]
    pub fn offering_biometric(mut self, offered: bool) -> Self {
        self.biometric = offered;
        self
    }

    /// Whether a biometric check is under way.
    pub fn is_scanning(&self) -> bool {
        self.scanning
    }

    fn can_unlock(&self) -> bool {
        !self.checking && self.pin.is_ready()
    }

    fn scan(&mut self) -> Option<Work> {
        if self.checking || !self.biometric {
            return None;
        }
        self.checking = true;
        self.scanning = true;
        self.problem = None;
        Some(Work::Scan {
            reason: fl!("biometric-reason-unlock"),
        })
    }

    fn typed(&mut self, typed: &SecretText) {
        if !self.checking {
            self.pin.typed(typed);
        }
    }

    fn digit(&mut self, digit: u8) {
        if !self.checking {
            self.pin.push_digit(digit);
        }
    }

    fn unlock(&mut self) -> Option<Work> {
        if !self.can_unlock() {
            return None;
        }
        self.checking = true;
        self.problem = None;
        // The PIN leaves the screen now: it is needed only to derive the key.
        Some(Work::Pin(Redacted::new(self.pin.take())))
    }

    fn checked(&mut self, result: Result<(), Refusal>) -> Option<Event> {
        self.checking = false;
        self.scanning = false;
        match result {
            Ok(()) => {
                tracing::info!("unlocked");
                return Some(Event::Unlocked);
            }
            Err(Refusal::WrongPin { attempts_left }) => {
                tracing::info!(attempts_left, "unlock refused: wrong PIN");
                self.problem = Some(Problem::WrongPin { attempts_left });
            }
            Err(Refusal::Blocked(status)) => return Some(Event::Blocked(status)),
            Err(Refusal::Offline) => self.problem = Some(Problem::Offline),
            Err(Refusal::Failed(reason)) => self.problem = Some(Problem::Failed(reason)),
            Err(Refusal::Biometric(None)) => {}
            Err(Refusal::Biometric(Some(outcome))) => {
                tracing::info!(?outcome, "biometric unlock refused");
                self.biometric &= outcome.keeps_offer();
                let removed = outcome == Outcome::KeyRemoved;
                self.problem = Some(Problem::Biometric(outcome));
                if removed {
                    return Some(Event::BiometricsRemoved);
                }
            }
        }
        None
    }

    /// Shows `problem` as the last try's outcome (the gallery's pictures).
    #[cfg(test)]
    pub fn show_problem(&mut self, problem: Problem) {
        self.problem = Some(problem);
    }

    /// Focuses the PIN field, for typing straight away.
    pub fn focus() -> Task<Message> {
        iced::widget::operation::focus(PIN_FIELD)
    }

    pub fn view(&self) -> Element<'_, Message> {
        let mut field = self
            .pin
            .input(
                &fl!("unlock-pin-placeholder"),
                (!self.checking).then_some(Message::PinChanged as fn(SecretText) -> Message),
            )
            .id(PIN_FIELD)
            .padding(spacing::M)
            .size(text_size::TITLE)
            .width(Length::Fixed(PAD_WIDTH));
        if !self.checking {
            field = field.on_submit(Message::Unlock);
        }
        let status = self.status_words().map(|words| {
            text(words).style(if self.checking {
                tone::muted
            } else {
                tone::danger
            })
        });
        let content = if self.scanning {
            column![
                text(fl!("unlock-title")).size(text_size::HEADING),
                biometric::scanning(fl!("biometric-scanning-unlock"), Message::CancelScan),
            ]
        } else {
            column![
                text(fl!("unlock-title")).size(text_size::HEADING),
                text(fl!("unlock-intro")).size(text_size::SMALL),
                field,
                self.pad(),
            ]
            .push(self.biometric.then(|| {
                button(text(fl!("biometric-use", method = biometric::method())))
                    .padding(pad::BUTTON)
                    .style(button::secondary)
                    .id(USE_BIOMETRIC)
                    .on_press_maybe((!self.checking).then_some(Message::UseBiometric))
            }))
        }
        .push(status.map(|s| s.size(text_size::SMALL)))
        .push(
            button(button::with_icon(Icon::Back, fl!("back-button")))
                .padding(pad::BUTTON)
                .style(button::secondary)
                .id(BACK)
                .on_press(Message::Cancel),
        )
        .spacing(spacing::L)
        .align_x(Alignment::Center);
        crate::widget::body(content)
    }

    /// That the PIN is being checked, or why the last try did not unlock.
    fn status_words(&self) -> Option<String> {
        if self.checking {
            return Some(fl!("unlock-checking"));
        }
        self.problem.as_ref().map(|problem| match problem {
            Problem::WrongPin { attempts_left } => {
                fl!("unlock-wrong-pin", left = attempts_left)
            }
            Problem::Offline => fl!("unlock-offline"),
            Problem::Failed(reason) => fl!("unlock-failed", reason = reason.clone()),
            Problem::Biometric(outcome) => outcome.text(),
        })
    }

    /// The PIN pad: 1–9, then erase, 0 and unlock.
    fn pad(&self) -> Element<'_, Message> {
        let enabled = !self.checking;
        let key =
            |id: &'static str, label: String, size: f32, style: Look, message: Option<Message>| {
                button(
                    text(label)
                        .size(size)
                        .width(Length::Fill)
                        .height(Length::Fill)
                        .align_x(Alignment::Center)
                        .align_y(Alignment::Center),
                )
                .width(Length::Fixed(KEY_WIDTH))
                .height(Length::Fixed(KEY_HEIGHT))
                .padding(0)
                .style(style)
                .id(id)
                .on_press_maybe(message.filter(|_| enabled))
            };
        let digit = |d: u8| {
            key(
                DIGITS[usize::from(d)],
                d.to_string(),
                20.0,
                button::secondary,
                Some(Message::Digit(Redacted::new(d))),
            )
        };
        let mut rows = column![].spacing(KEY_GAP);
        for first in [1, 4, 7] {
            rows =
                rows.push(row![digit(first), digit(first + 1), digit(first + 2)].spacing(KEY_GAP));
        }
        // Smaller, so "⌫ Erase" and its translations fit on one line.
        let erase = key(
            ERASE,
            fl!("unlock-erase"),
            15.0,
            button::secondary,
            Some(Message::Erase),
        );
        let unlock = key(
            UNLOCK,
            fl!("unlock-button"),
            16.0,
            button::primary,
            self.can_unlock().then_some(Message::Unlock),
        );
        rows.push(row![erase, digit(0), unlock].spacing(KEY_GAP))
            .into()
    }
}

mod accessible;

/// A button style, as iced's `button::primary` and friends.
type Look = fn(&iced::Theme, iced::widget::button::Status) -> iced::widget::button::Style;

const KEY_WIDTH: f32 = 88.0;
const KEY_HEIGHT: f32 = 46.0;
const KEY_GAP: f32 = crate::theme::spacing::S;
const PAD_WIDTH: f32 = KEY_WIDTH * 3.0 + KEY_GAP * 2.0;

#[cfg(test)]
mod tests {
    use godkend_protocol::Problem as WireProblem;
    use iced_test::simulator;

    use super::*;

    fn click(screen: &Unlock, label: &str) -> Vec<Message> {
        let mut ui = simulator(screen.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
        ui.into_messages().collect()
    }

    fn shows(screen: &Unlock, text: &str) -> bool {
        simulator(screen.view()).find(text).is_ok()
    }

    /// Applies `message`; what it tells the app.
    fn apply(screen: &mut Unlock, message: Message) -> Option<Event> {
        screen.update(message).1
    }

    #[test]
    fn the_pad_and_the_keyboard_both_type_digits_only() {
        let mut screen = Unlock::new();
        for label in ["4", "0", "9"] {
            for message in click(&screen, label) {
                apply(&mut screen, message);
            }
        }
        assert_eq!(screen.pin.as_str(), "409");
        for message in click(&screen, &fl!("unlock-erase")) {
            apply(&mut screen, message);
        }
        assert_eq!(screen.pin.as_str(), "40");
        apply(
            &mut screen,
            Message::PinChanged("12a34-56 789012345".into()),
        );
        assert_eq!(
            screen.pin.as_str(),
            "123456789012",
            "digits only, at most 12"
        );
    }

    #[test]
    fn unlock_waits_for_six_digits() {
        let mut screen = Unlock::new();
        apply(&mut screen, Message::PinChanged("12345".into()));
        assert!(click(&screen, &fl!("unlock-button")).is_empty());
        apply(&mut screen, Message::Digit(Redacted::new(6)));
        assert!(matches!(
            click(&screen, &fl!("unlock-button")).as_slice(),
            [Message::Unlock]
        ));
        // The PIN leaves the screen with the work; a second press while it is
        // checked asks for nothing.
        let (work, _) = screen.update(Message::Unlock);
        let Some(Work::Pin(pin)) = work else {
            panic!("the PIN goes to the server: {work:?}");
        };
        assert_eq!(pin.as_str(), "123456");
        assert_eq!(screen.pin.as_str(), "");
        assert!(screen.update(Message::Unlock).0.is_none());
    }

    #[test]
    fn a_wrong_pin_shows_the_attempts_left() {
        let mut screen = Unlock::new();
        let event = apply(
            &mut screen,
            Message::Checked(Err(Refusal::WrongPin { attempts_left: 2 })),
        );
        assert!(event.is_none());
        assert!(shows(&screen, &fl!("unlock-wrong-pin", left = 2)));
    }

    #[test]
    fn offline_says_the_pin_cannot_be_checked() {
        let mut screen = Unlock::new();
        apply(&mut screen, Message::Checked(Err(Refusal::Offline)));
        assert!(shows(&screen, &fl!("unlock-offline")));
    }

    #[test]
    fn success_blocked_and_back_tell_the_app() {
        let mut screen = Unlock::new();
        assert!(matches!(
            apply(&mut screen, Message::Checked(Ok(()))),
            Some(Event::Unlocked)
        ));
        assert!(matches!(
            apply(&mut screen, Message::Checked(Err(Refusal::Blocked(None)))),
            Some(Event::Blocked(None))
        ));
        let back = click(&screen, &fl!("back-button"));
        assert!(matches!(back.as_slice(), [Message::Cancel]));
    }

    #[test]
    fn a_finger_unlocks_where_offered_and_cancel_goes_back_to_the_pin() {
        let label = fl!("biometric-use", method = super::biometric::method());
        assert!(!shows(&Unlock::new(), &label), "offered only where on");
        let mut screen = Unlock::new().offering_biometric(true);
        assert!(matches!(
            click(&screen, &label).as_slice(),
            [Message::UseBiometric]
        ));
        let (work, _) = screen.update(Message::UseBiometric);
        assert!(matches!(work, Some(Work::Scan { .. })), "{work:?}");
        assert!(screen.is_scanning());
        assert!(shows(&screen, &fl!("biometric-scanning-unlock")));
        assert!(
            screen.update(Message::UseBiometric).0.is_none(),
            "one at a time"
        );
        for message in click(&screen, &fl!("biometric-cancel")) {
            apply(&mut screen, message);
        }
        assert!(!screen.is_scanning());
        assert!(shows(&screen, &label));
    }

    #[test]
    fn failed_scans_say_what_is_left_and_a_dropped_key_ends_the_offer() {
        let label = fl!("biometric-use", method = super::biometric::method());
        let mut screen = Unlock::new().offering_biometric(true);
        let no_match = Refusal::Biometric(Some(Outcome::NoMatch { scans_left: 2 }));
        assert!(apply(&mut screen, Message::Checked(Err(no_match))).is_none());
        assert!(shows(&screen, &fl!("biometric-no-match", left = 2)));
        assert!(shows(&screen, &label));
        let removed = Refusal::Biometric(Some(Outcome::KeyRemoved));
        assert!(matches!(
            apply(&mut screen, Message::Checked(Err(removed))),
            Some(Event::BiometricsRemoved)
        ));
        assert!(!shows(&screen, &label), "only the PIN now");
        // A cancel says nothing.
        let mut cancelled = Unlock::new().offering_biometric(true);
        apply(
            &mut cancelled,
            Message::Checked(Err(Refusal::Biometric(None))),
        );
        assert!(cancelled.problem.is_none());
    }

    #[test]
    fn server_errors_map_to_what_the_user_can_do() {
        let problem = |code: ErrorCode, left: Option<u32>| {
            let mut p = WireProblem::new(code, "detail");
            p.attempts_left = left;
            CoreError::Server(Box::new(p))
        };
        assert!(matches!(
            Refusal::from_error(&problem(ErrorCode::WrongPin, Some(3))),
            Refusal::WrongPin { attempts_left: 3 }
        ));
        assert!(matches!(
            Refusal::from_error(&problem(ErrorCode::DeviceBlocked, None)),
            Refusal::Blocked(None)
        ));
        assert!(matches!(
            Refusal::from_error(&CoreError::Offline("refused".into())),
            Refusal::Offline
        ));
        assert!(matches!(
            Refusal::from_error(&problem(ErrorCode::BadRequest, None)),
            Refusal::Failed(_)
        ));
    }
}
