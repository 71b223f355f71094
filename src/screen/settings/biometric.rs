//! The biometric switch in settings ("Unlock with fingerprint", Windows Hello,
//! Touch ID). It shows only where the platform's check is available (or is already
//! on, so it can be turned off); turning it on asks for the PIN, which authorises the
//! new key at the server; when on, it says how the key is kept and whether it also
//! approves, and why not.

use godkend_core::secret::SecretText;
use godkend_protocol::Envelope;
use godkend_protocol::messages::UvKind;
use iced::widget::{Column, checkbox, column, row, text};
use iced::{Alignment, Element};

use crate::fl;
use crate::screen::biometric::method;
use crate::theme::{pad, spacing, text_size};
use crate::widget::pin_field::PinField;
use crate::widget::tone;
use crate::widget::{button, focusable};

/// The PIN field's width beside its button: room for 12 masked digits.
const PIN_WIDTH: f32 = 160.0;

/// The PIN field that turns biometrics on: focused when it appears.
pub const PIN_FIELD: &str = "settings-biometric-pin";
/// The switch and the buttons under it (widget ids and a screen reader's keys).
const TOGGLE: &str = "settings-biometric";
const CONFIRM: &str = "settings-biometric-confirm";
const CANCEL: &str = "settings-biometric-cancel";

/// How biometrics stand for this device, as the switch shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enrolled {
    pub kind: UvKind,
    /// The server takes this key for approvals, not only to unlock.
    pub approves: bool,
    /// Five scans did not match: only the PIN is offered until it unlocks.
    pub suspended: bool,
}

/// The switch's state.
#[derive(Default)]
pub struct Switch {
    state: State,
    notice: Option<Notice>,
}

#[derive(Default)]
enum State {
    /// Off, and the platform's check is not (yet known to be) available.
    #[default]
    Hidden,
    Off,
    /// Turning on: the PIN, then the server.
    AskingPin {
        pin: PinField,
        working: bool,
    },
    On(Enrolled),
    TurningOff(Enrolled),
}

/// What the switch says under it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    Problem(String),
    Removed,
}

#[derive(Debug, Clone)]
pub enum Message {
    /// Whether the platform's check can run here.
    Available(bool),
    Toggled(bool),
    PinChanged(SecretText),
    Confirm,
    CancelPin,
    /// What became of turning it on (`Some`) or off (`None`).
    Changed(Result<Option<Enrolled>, Refusal>),
}

/// Why it could not be changed.
#[derive(Debug, Clone)]
pub enum Refusal {
    WrongPin {
        attempts_left: u32,
    },
    /// Too many wrong PINs: the server's signed status.
    Blocked(Option<Envelope>),
    Failed(String),
}

/// What the app is asked to do.
#[derive(Debug)]
pub enum Event {
    TurnOn(SecretText),
    TurnOff,
    Blocked(Option<Envelope>),
}

/// For tests that compare events: the same PIN is the same event.
impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Event::TurnOn(a), Event::TurnOn(b)) => a.as_str() == b.as_str(),
            (Event::TurnOff, Event::TurnOff) => true,
            (Event::Blocked(a), Event::Blocked(b)) => a == b,
            _ => false,
        }
    }
}

impl Switch {
    /// The switch for biometrics as they stand (`None`: off).
    pub fn new(enrolled: Option<Enrolled>) -> Self {
        Switch {
            state: enrolled.map_or(State::Hidden, State::On),
            notice: None,
        }
    }

    /// Off, with a note that the server no longer held the key.
    #[must_use]
    pub fn removed_at_server(mut self) -> Self {
        self.notice = Some(Notice::Removed);
        self
    }

    /// Whether the switch asks for the PIN.
    pub fn is_asking_pin(&self) -> bool {
        matches!(self.state, State::AskingPin { .. })
    }

    /// Whether biometrics are on (or being turned off).
    pub fn is_on(&self) -> bool {
        matches!(self.state, State::On(_) | State::TurningOff(_))
    }

    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Available(available) => {
                if matches!(self.state, State::Hidden) && available {
                    self.state = State::Off;
                }
            }
            Message::Toggled(true) if matches!(self.state, State::Off) => {
                self.notice = None;
                self.state = State::AskingPin {
                    pin: PinField::default(),
                    working: false,
                };
            }
            Message::Toggled(false) => match self.state {
                State::On(enrolled) => {
                    self.notice = None;
                    self.state = State::TurningOff(enrolled);
                    return Some(Event::TurnOff);
                }
                State::AskingPin { working: false, .. } => self.state = State::Off,
                _ => {}
            },
            Message::Toggled(true) => {}
            Message::PinChanged(typed) => {
                if let State::AskingPin {
                    pin,
                    working: false,
                } = &mut self.state
                {
                    pin.typed(&typed);
                }
            }
            Message::Confirm => {
                if let State::AskingPin { pin, working } = &mut self.state
                    && !*working
                    && pin.is_ready()
                {
                    *working = true;
                    self.notice = None;
                    return Some(Event::TurnOn(SecretText::new(pin.take())));
                }
            }
            Message::CancelPin => {
                if matches!(self.state, State::AskingPin { working: false, .. }) {
                    self.state = State::Off;
                }
            }
            Message::Changed(result) => return self.changed(result),
        }
        None
    }

    fn changed(&mut self, result: Result<Option<Enrolled>, Refusal>) -> Option<Event> {
        match result {
            Ok(Some(enrolled)) => self.state = State::On(enrolled),
            Ok(None) => self.state = State::Off,
            Err(refusal) => {
                self.notice = Some(Notice::Problem(match refusal {
                    Refusal::Blocked(status) => return Some(Event::Blocked(status)),
                    Refusal::WrongPin { attempts_left } => {
                        fl!("settings-biometric-wrong-pin", left = attempts_left)
                    }
                    Refusal::Failed(reason) => fl!("settings-biometric-failed", reason = reason),
                }));
                self.state = match std::mem::take(&mut self.state) {
                    State::TurningOff(enrolled) => State::On(enrolled),
                    State::AskingPin { .. } => State::AskingPin {
                        pin: PinField::default(),
                        working: false,
                    },
                    other => other,
                };
            }
        }
        None
    }

    /// The switch and what it says, for the security section.
    pub fn view(&self) -> Option<Element<'_, Message>> {
        let method = method();
        let on = self.is_on() || matches!(self.state, State::AskingPin { .. });
        let toggle = |enabled: bool| {
            let check = checkbox(on).label(fl!("settings-biometric", method = method.clone()));
            focusable(
                if enabled {
                    check.on_toggle(Message::Toggled)
                } else {
                    check
                },
                enabled.then_some(Message::Toggled(!on)),
            )
            .id(Some(TOGGLE.into()))
        };
        let explain = |line: String| text(line).size(text_size::CAPTION).style(tone::muted);
        let mut rows: Column<'_, Message> = match &self.state {
            // Off and not available: only a note that the server dropped the key.
            State::Hidden if self.notice == Some(Notice::Removed) => column![],
            State::Hidden => return None,
            State::Off => column![toggle(true)],
            State::AskingPin { pin, working } => {
                let mut field = pin
                    .input(
                        &fl!("unlock-pin-placeholder"),
                        (!working).then_some(Message::PinChanged as fn(SecretText) -> Message),
                    )
                    .id(PIN_FIELD)
                    .padding(pad::INPUT)
                    .width(PIN_WIDTH);
                if !working {
                    field = field.on_submit(Message::Confirm);
                }
                let confirm = button(text(fl!("settings-biometric-turn-on")))
                    .id(CONFIRM)
                    .padding(pad::BUTTON_SMALL)
                    .style(button::primary)
                    .on_press_maybe((!working && pin.is_ready()).then_some(Message::Confirm));
                let cancel = button(text(fl!("biometric-cancel")))
                    .id(CANCEL)
                    .padding(pad::BUTTON_SMALL)
                    .style(button::secondary)
                    .on_press_maybe((!working).then_some(Message::CancelPin));
                let mut rows = column![
                    toggle(!working),
                    explain(fl!("settings-biometric-pin", method = method.clone())),
                    row![field, confirm, cancel]
                        .spacing(spacing::S)
                        .align_y(Alignment::Center),
                ];
                if *working {
                    rows = rows.push(explain(fl!("settings-biometric-working")));
                }
                rows
            }
            State::On(enrolled) | State::TurningOff(enrolled) => {
                let working = matches!(self.state, State::TurningOff(_));
                let kept = match enrolled.kind {
                    UvKind::Hardware => fl!("settings-biometric-on-hardware"),
                    _ => fl!("settings-biometric-on-software", method = method.clone()),
                };
                let does = if enrolled.approves {
                    fl!("settings-biometric-approves")
                } else {
                    fl!("settings-biometric-unlocks-only", method = method.clone())
                };
                let mut rows = column![toggle(!working), explain(kept), explain(does)];
                if enrolled.suspended {
                    rows = rows.push(
                        text(fl!("settings-biometric-suspended"))
                            .size(text_size::CAPTION)
                            .style(tone::danger),
                    );
                }
                rows
            }
        };
        if let Some(notice) = &self.notice {
            let line = match notice {
                Notice::Problem(line) => line.clone(),
                Notice::Removed => fl!("settings-biometric-removed", method = method),
            };
            rows = rows.push(text(line).size(text_size::CAPTION).style(tone::danger));
        }
        Some(rows.spacing(spacing::XS).into())
    }
}

mod accessible;

#[cfg(test)]
mod tests {
    use super::*;

    const ENROLLED: Enrolled = Enrolled {
        kind: UvKind::Software,
        approves: false,
        suspended: false,
    };

    fn type_pin(switch: &mut Switch, pin: &str) {
        assert!(switch.update(Message::PinChanged(pin.into())).is_none());
    }

    #[test]
    fn hidden_until_the_platform_says_it_can_check() {
        let mut switch = Switch::new(None);
        assert!(switch.view().is_none());
        switch.update(Message::Available(false));
        assert!(switch.view().is_none());
        switch.update(Message::Available(true));
        assert!(switch.view().is_some());
        // On already: shown whatever the reader says, so it can be turned off.
        let mut on = Switch::new(Some(ENROLLED));
        on.update(Message::Available(false));
        assert!(on.view().is_some() && on.is_on());
    }

    #[test]
    fn turning_on_asks_for_the_pin_and_a_wrong_pin_asks_again() {
        let mut switch = Switch::new(None);
        switch.update(Message::Available(true));
        assert!(switch.update(Message::Toggled(true)).is_none());
        type_pin(&mut switch, "12345");
        assert!(
            switch.update(Message::Confirm).is_none(),
            "six digits first"
        );
        type_pin(&mut switch, "123456");
        let Some(Event::TurnOn(pin)) = switch.update(Message::Confirm) else {
            panic!("the PIN goes to the app");
        };
        assert_eq!(pin.as_str(), "123456");
        assert!(switch.update(Message::Confirm).is_none(), "once");
        switch.update(Message::Changed(Err(Refusal::WrongPin {
            attempts_left: 3,
        })));
        assert_eq!(
            switch.notice,
            Some(Notice::Problem(fl!(
                "settings-biometric-wrong-pin",
                left = 3
            )))
        );
        assert!(matches!(
            switch.state,
            State::AskingPin { working: false, .. }
        ));
        type_pin(&mut switch, "654321");
        assert!(matches!(
            switch.update(Message::Confirm),
            Some(Event::TurnOn(_))
        ));
        switch.update(Message::Changed(Ok(Some(ENROLLED))));
        assert!(switch.is_on());
    }

    #[test]
    fn turning_off_goes_through_the_app_and_stays_on_when_it_fails() {
        let mut switch = Switch::new(Some(ENROLLED));
        assert!(matches!(
            switch.update(Message::Toggled(false)),
            Some(Event::TurnOff)
        ));
        switch.update(Message::Changed(Err(Refusal::Failed("offline".into()))));
        assert!(switch.is_on(), "still on: the server still holds the key");
        switch.update(Message::Toggled(false));
        switch.update(Message::Changed(Ok(None)));
        assert!(!switch.is_on());
    }

    #[test]
    fn a_block_while_turning_on_goes_to_the_app() {
        let mut switch = Switch::new(None);
        switch.update(Message::Available(true));
        switch.update(Message::Toggled(true));
        type_pin(&mut switch, "123456");
        switch.update(Message::Confirm);
        assert!(matches!(
            switch.update(Message::Changed(Err(Refusal::Blocked(None)))),
            Some(Event::Blocked(None))
        ));
    }
}
