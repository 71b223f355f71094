//! The unlock screen for a screen reader: the title, the PIN field (its length
//! only), the pad's keys, Unlock and Back, and the outcome of the last try read out
//! at once; and what a screen reader's press or typing on them means.

use godkend_a11y::{FieldValue, Item};
use godkend_core::secret::Redacted;

use super::{BACK, DIGITS, ERASE, Message, PIN_FIELD, UNLOCK, USE_BIOMETRIC, Unlock, fl};

/// Why the last try did not unlock, or that the PIN is being checked.
const STATUS: &str = "unlock-status";
/// Stops the fingerprint check (a button the shared scanning view draws).
pub(super) const CANCEL_SCAN: &str = "unlock-cancel-scan";

impl Unlock {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = vec![Item::heading("unlock-title", 1, fl!("unlock-title"))];
        if self.scanning {
            items.push(Item::live(
                "unlock-scanning",
                fl!("biometric-scanning-unlock"),
            ));
            items.push(Item::button(CANCEL_SCAN, fl!("biometric-cancel"), true));
        } else {
            let enabled = !self.checking;
            items.push(Item::text("unlock-intro", fl!("unlock-intro")));
            items.push(Item::field(
                PIN_FIELD,
                fl!("unlock-pin-placeholder"),
                FieldValue::Secret {
                    length: self.pin.as_str().chars().count(),
                },
                enabled,
            ));
            // The pad in the order it is drawn: 1–9, then erase, 0 and unlock.
            for digit in (1..=9_usize).chain([0]) {
                if digit == 0 {
                    items.push(Item::button(ERASE, fl!("unlock-erase"), enabled));
                }
                items.push(Item::button(DIGITS[digit], digit.to_string(), enabled));
            }
            items.push(Item::button(
                UNLOCK,
                fl!("unlock-button"),
                self.can_unlock(),
            ));
            if self.biometric {
                items.push(Item::button(
                    USE_BIOMETRIC,
                    fl!("biometric-use", method = super::biometric::method()),
                    enabled,
                ));
            }
        }
        if let Some(words) = self.status_words() {
            items.push(if self.checking {
                Item::live(STATUS, words)
            } else {
                Item::alert(STATUS, words)
            });
        }
        items.push(Item::button(BACK, fl!("back-button"), true));
        items
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        if let Some(digit) = DIGITS.iter().position(|d| *d == key) {
            let digit = u8::try_from(digit).ok()?;
            return Some(Message::Digit(Redacted::new(digit)));
        }
        Some(match key {
            ERASE => Message::Erase,
            UNLOCK => Message::Unlock,
            BACK => Message::Cancel,
            USE_BIOMETRIC => Message::UseBiometric,
            CANCEL_SCAN => Message::CancelScan,
            _ => return None,
        })
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &godkend_a11y::TypedValue) -> Option<Message> {
        (key == PIN_FIELD).then(|| Message::PinChanged(value.as_str().into()))
    }
}

#[cfg(test)]
mod tests {
    use godkend_a11y::{Request as Asked, Screen, TypedValue};

    use super::super::{DeviceScreen as _, Refusal, Work};
    use super::*;

    fn item<'a>(items: &'a [Item], key: &str) -> &'a Item {
        items
            .iter()
            .find(|item| item.key() == key)
            .unwrap_or_else(|| panic!("no {key} in {items:?}"))
    }

    /// Applies what a screen reader asked, as the app does; the work it starts.
    fn ask(screen: &mut Unlock, asked: &Asked) -> Option<Work> {
        let described = Screen {
            window: String::new(),
            items: screen.describe(),
            focus: None,
        };
        if !described.accepts(asked) {
            return None;
        }
        let message = match asked {
            Asked::Press(key) => Unlock::pressed(key),
            Asked::SetValue(key, value) => Unlock::entered(key, value),
            Asked::Focus(_) => None,
        };
        screen.update(message.expect("a message")).0
    }

    #[test]
    fn the_pad_the_field_and_unlock_in_words() {
        let mut screen = Unlock::new();
        let items = screen.describe();
        assert_eq!(
            items[0],
            Item::heading("unlock-title", 1, fl!("unlock-title"))
        );
        assert_eq!(
            *item(&items, PIN_FIELD),
            Item::field(PIN_FIELD, "PIN", FieldValue::Secret { length: 0 }, true)
        );
        assert_eq!(*item(&items, DIGITS[7]), Item::button(DIGITS[7], "7", true));
        assert_eq!(*item(&items, UNLOCK), Item::button(UNLOCK, "Unlock", false));
        // A press on a disabled Unlock is refused, as a click would do nothing.
        assert!(ask(&mut screen, &Asked::Press(UNLOCK.into())).is_none());
        for digit in [4, 0, 3, 9, 1, 7] {
            ask(&mut screen, &Asked::Press(DIGITS[digit].into()));
        }
        let items = screen.describe();
        assert_eq!(
            *item(&items, PIN_FIELD),
            Item::field(PIN_FIELD, "PIN", FieldValue::Secret { length: 6 }, true)
        );
        assert!(!format!("{items:?}").contains("403917"));
        let work = ask(&mut screen, &Asked::Press(UNLOCK.into()));
        let Some(Work::Pin(pin)) = work else {
            panic!("the PIN goes to the server: {work:?}");
        };
        assert_eq!(pin.as_str(), "403917");
        assert_eq!(
            *item(&screen.describe(), STATUS),
            Item::live(STATUS, fl!("unlock-checking"))
        );
    }

    #[test]
    fn a_wrong_pin_is_an_alert_and_typing_replaces_the_field() {
        let mut screen = Unlock::new();
        screen.update(Message::Checked(Err(Refusal::WrongPin {
            attempts_left: 3,
        })));
        assert_eq!(
            *item(&screen.describe(), STATUS),
            Item::alert(STATUS, fl!("unlock-wrong-pin", left = 3))
        );
        ask(
            &mut screen,
            &Asked::SetValue(PIN_FIELD.into(), TypedValue::new("12 34 56")),
        );
        assert_eq!(screen.pin.as_str(), "123456");
        assert!(ask(&mut screen, &Asked::Press(BACK.into())).is_none());
        assert!(Unlock::pressed("request-approve").is_none());
        assert!(Unlock::entered(UNLOCK, &TypedValue::new("1")).is_none());
    }
}
