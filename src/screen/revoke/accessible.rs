//! The revoke screen for a screen reader: what revoking does, the PIN field (a
//! secret field), the revoke button, progress and problems; and what a press or
//! typing on them means.

use godkend_a11y::{FieldValue, Item, TypedValue};

use super::{CONFIRM, Message, PIN_FIELD, Revoke};
use crate::fl;
use crate::screen::PAGE_BACK;

impl Revoke {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = vec![
            Item::heading("revoke-title", 1, fl!("revoke-title")),
            Item::text("revoke-explained", fl!("revoke-explained")),
            Item::text("revoke-deletes", fl!("revoke-deletes")),
            Item::text("revoke-confirm-hint", fl!("revoke-confirm-hint")),
            Item::field(
                PIN_FIELD,
                fl!("revoke-pin-label"),
                FieldValue::Secret {
                    length: self.pin.as_str().chars().count(),
                },
                !self.working,
            ),
            Item::button(CONFIRM, fl!("revoke-button"), self.can_confirm()),
        ];
        if self.working {
            items.push(Item::live("revoke-working", fl!("revoke-working")));
        }
        if let Some(notice) = &self.notice {
            items.push(Item::alert("revoke-notice", notice.clone()));
        }
        items.push(Item::button(PAGE_BACK, fl!("back-button"), !self.working));
        items
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        match key {
            CONFIRM => Some(Message::Confirm),
            PAGE_BACK => Some(Message::Back),
            _ => None,
        }
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &TypedValue) -> Option<Message> {
        (key == PIN_FIELD).then(|| Message::PinChanged(value.as_str().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::DeviceScreen as _;
    use super::*;

    #[test]
    fn the_pin_is_secret_and_revoke_waits_for_it() {
        let mut screen = Revoke::new();
        let items = screen.describe();
        assert!(items.contains(&Item::button(CONFIRM, fl!("revoke-button"), false)));
        let typed = Revoke::entered(PIN_FIELD, &TypedValue::new("470913")).expect("typed");
        let _ = screen.update(typed);
        let items = screen.describe();
        assert!(items.contains(&Item::field(
            PIN_FIELD,
            fl!("revoke-pin-label"),
            FieldValue::Secret { length: 6 },
            true
        )));
        assert!(!format!("{items:?}").contains("470913"));
        let (work, _) = screen.update(Revoke::pressed(CONFIRM).expect("Revoke"));
        assert!(work.is_some());
        assert!(matches!(
            screen
                .describe()
                .iter()
                .find(|i| i.key() == "revoke-working"),
            Some(Item::Live { .. })
        ));
        assert!(Revoke::pressed("request-approve").is_none());
    }
}
