//! The change-PIN screen for a screen reader: the current PIN and the new one twice
//! (secret fields: how many digits only), what is said of them, Save, progress and
//! problems; and what a press or typing on them means.

use godkend_a11y::{FieldValue, Item, TypedValue};

use super::{CURRENT_FIELD, ChangePin, Message, NEW_PIN, SUBMIT, Stage};
use crate::fl;
use crate::screen::PAGE_BACK;
use crate::widget::new_pin::describe_new_pin;

impl ChangePin {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = vec![Item::heading(
            "change-pin-title",
            1,
            fl!("change-pin-title"),
        )];
        if self.stage == Stage::Done {
            items.push(Item::alert("change-pin-done", fl!("change-pin-done")));
            items.push(Item::button(PAGE_BACK, fl!("back-button"), true));
            return items;
        }
        let editable = self.stage == Stage::Form;
        items.push(Item::text("change-pin-intro", fl!("change-pin-intro")));
        items.push(Item::field(
            CURRENT_FIELD,
            fl!("change-pin-current-label"),
            FieldValue::Secret {
                length: self.current.as_str().chars().count(),
            },
            editable,
        ));
        items.extend(describe_new_pin(&self.new, &self.again, NEW_PIN, editable));
        if let Err(same) = self.feedback() {
            items.push(Item::alert("change-pin-same", same));
        }
        items.push(Item::button(
            SUBMIT,
            fl!("change-pin-button"),
            self.can_submit(),
        ));
        if self.stage == Stage::Working {
            items.push(Item::live("change-pin-working", fl!("change-pin-working")));
        }
        if let Some(notice) = &self.notice {
            items.push(Item::alert("change-pin-notice", notice.clone()));
        }
        items.push(Item::button(PAGE_BACK, fl!("back-button"), true));
        items
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        match key {
            SUBMIT => Some(Message::Submit),
            PAGE_BACK => Some(Message::Back),
            _ => None,
        }
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &TypedValue) -> Option<Message> {
        let text = value.as_str().into();
        Some(match key {
            CURRENT_FIELD => Message::CurrentChanged(text),
            _ if key == NEW_PIN.pin => Message::NewChanged(text),
            _ if key == NEW_PIN.again => Message::AgainChanged(text),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::DeviceScreen as _;
    use super::*;

    fn typed(screen: &mut ChangePin, key: &str, text: &str) {
        let message = ChangePin::entered(key, &TypedValue::new(text)).expect("a field");
        let _ = screen.update(message);
    }

    #[test]
    fn three_secret_fields_then_save() {
        let mut screen = ChangePin::new();
        typed(&mut screen, CURRENT_FIELD, "403917");
        typed(&mut screen, NEW_PIN.pin, "403917");
        typed(&mut screen, NEW_PIN.again, "403917");
        let items = screen.describe();
        assert!(items.contains(&Item::alert("change-pin-same", fl!("change-pin-same"))));
        assert!(items.contains(&Item::button(SUBMIT, fl!("change-pin-button"), false)));
        typed(&mut screen, NEW_PIN.pin, "581920");
        typed(&mut screen, NEW_PIN.again, "581920");
        let items = screen.describe();
        assert!(items.contains(&Item::field(
            CURRENT_FIELD,
            fl!("change-pin-current-label"),
            FieldValue::Secret { length: 6 },
            true
        )));
        let printed = format!("{items:?}");
        assert!(!printed.contains("403917") && !printed.contains("581920"));
        assert!(items.contains(&Item::button(SUBMIT, fl!("change-pin-button"), true)));
        let (work, _) = screen.update(ChangePin::pressed(SUBMIT).expect("Save"));
        assert!(work.is_some());
        assert!(ChangePin::pressed("request-approve").is_none());
    }
}
