//! The biometric switch for a screen reader: a checkbox with its state, the PIN
//! field that turns it on (a secret field), Turn on and Cancel, what it does when
//! on, and its problems read out at once.

use godkend_a11y::{FieldValue, Item, TypedValue};
use godkend_protocol::messages::UvKind;

use super::{CANCEL, CONFIRM, Message, Notice, PIN_FIELD, State, Switch, TOGGLE};
use crate::fl;
use crate::screen::biometric::method;

impl Switch {
    /// What the switch shows, in words (nothing while it is hidden).
    pub fn describe(&self) -> Vec<Item> {
        let method = method();
        let name = fl!("settings-biometric", method = method.clone());
        let on = self.is_on() || self.is_asking_pin();
        let toggle = |enabled: bool| Item::toggle(TOGGLE, name.clone(), on, enabled);
        let explain = |key: &str, text: String| Item::text(key, text);
        let mut items = match &self.state {
            State::Hidden => Vec::new(),
            State::Off => vec![toggle(true)],
            State::AskingPin { pin, working } => {
                let mut items = vec![
                    toggle(!working),
                    explain(
                        "settings-biometric-ask",
                        fl!("settings-biometric-pin", method = method.clone()),
                    ),
                    Item::field(
                        PIN_FIELD,
                        fl!("unlock-pin-placeholder"),
                        FieldValue::Secret {
                            length: pin.as_str().chars().count(),
                        },
                        !working,
                    ),
                    Item::button(
                        CONFIRM,
                        fl!("settings-biometric-turn-on"),
                        !working && pin.is_ready(),
                    ),
                    Item::button(CANCEL, fl!("biometric-cancel"), !working),
                ];
                if *working {
                    items.push(Item::live(
                        "settings-biometric-working",
                        fl!("settings-biometric-working"),
                    ));
                }
                items
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
                let mut items = vec![
                    toggle(!working),
                    explain("settings-biometric-kept", kept),
                    explain("settings-biometric-does", does),
                ];
                if enrolled.suspended {
                    items.push(Item::alert(
                        "settings-biometric-suspended",
                        fl!("settings-biometric-suspended"),
                    ));
                }
                items
            }
        };
        if let Some(notice) = &self.notice {
            let line = match notice {
                Notice::Problem(line) => line.clone(),
                Notice::Removed => fl!("settings-biometric-removed", method = method),
            };
            items.push(Item::alert("settings-biometric-notice", line));
        }
        items
    }

    /// The message a screen reader's press on the control `key` stands for.
    pub fn pressed(&self, key: &str) -> Option<Message> {
        Some(match key {
            TOGGLE => Message::Toggled(!(self.is_on() || self.is_asking_pin())),
            CONFIRM => Message::Confirm,
            CANCEL => Message::CancelPin,
            _ => return None,
        })
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &TypedValue) -> Option<Message> {
        (key == PIN_FIELD).then(|| Message::PinChanged(value.as_str().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Enrolled, Event};
    use super::*;

    #[test]
    fn turned_on_with_the_pin_through_the_tree() {
        let mut switch = Switch::default();
        assert!(switch.describe().is_empty(), "hidden");
        switch.update(Message::Available(true));
        let toggle = switch.describe().remove(0);
        assert!(matches!(
            toggle,
            Item::Toggle {
                on: false,
                enabled: true,
                ..
            }
        ));
        switch.update(switch.pressed(TOGGLE).expect("the switch"));
        let items = switch.describe();
        assert!(items.contains(&Item::field(
            PIN_FIELD,
            fl!("unlock-pin-placeholder"),
            FieldValue::Secret { length: 0 },
            true
        )));
        assert!(items.contains(&Item::button(
            CONFIRM,
            fl!("settings-biometric-turn-on"),
            false
        )));
        switch.update(Switch::entered(PIN_FIELD, &TypedValue::new("403917")).expect("typed"));
        let items = switch.describe();
        assert!(!format!("{items:?}").contains("403917"));
        assert!(items.contains(&Item::button(
            CONFIRM,
            fl!("settings-biometric-turn-on"),
            true
        )));
        assert!(matches!(
            switch.update(switch.pressed(CONFIRM).expect("Turn on")),
            Some(Event::TurnOn(_))
        ));
        switch.update(Message::Changed(Ok(Some(Enrolled {
            kind: UvKind::Software,
            approves: false,
            suspended: true,
        }))));
        let items = switch.describe();
        assert!(matches!(items[0], Item::Toggle { on: true, .. }));
        assert!(items.iter().any(
            |i| matches!(i, Item::Alert { key, .. } if key == "settings-biometric-suspended")
        ));
        assert!(matches!(
            switch.pressed(TOGGLE),
            Some(Message::Toggled(false))
        ));
    }
}
