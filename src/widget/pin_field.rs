//! A PIN field: what has been typed, kept to digits and at most `MAX_PIN_LENGTH` of
//! them, and its masked input. Every screen that takes a PIN holds one, so all of
//! them refuse the same keys and wait for the same length (core's PIN limits).

use crate::theme::pad;
use godkend_core::pin::{MAX_PIN_LENGTH, pin_ready};
use godkend_core::secret::SecretText;
use iced::widget::{TextInput, text_input};
use zeroize::Zeroizing;

/// The PIN typed so far; wiped when replaced or dropped.
#[derive(Default)]
pub struct PinField(Zeroizing<String>);

impl PinField {
    /// The field's new text, as the input (or a paste) sends it: its digits are kept,
    /// up to the longest PIN; letters, spaces and a 13th digit are refused.
    pub fn typed(&mut self, typed: &SecretText) {
        *self.0 = typed
            .as_str()
            .chars()
            .filter(char::is_ascii_digit)
            .take(MAX_PIN_LENGTH)
            .collect();
    }

    /// One digit (0–9) from a PIN pad, at the end.
    pub fn push_digit(&mut self, digit: u8) {
        if digit <= 9 && self.0.len() < MAX_PIN_LENGTH {
            self.0.push(char::from(b'0' + digit));
        }
    }

    /// Removes the last digit.
    pub fn erase(&mut self) {
        self.0.pop();
    }

    pub fn clear(&mut self) {
        self.0 = Zeroizing::default();
    }

    /// Long enough to send: 6 to 12 digits.
    pub fn is_ready(&self) -> bool {
        pin_ready(&self.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A copy for work that leaves the screen (deriving the PIN key).
    pub fn secret(&self) -> Zeroizing<String> {
        self.0.clone()
    }

    /// The PIN, leaving the field empty.
    pub fn take(&mut self) -> Zeroizing<String> {
        std::mem::take(&mut self.0)
    }

    /// The masked input showing this PIN; with `on_input` `None` it does not take
    /// typing (work under way). Callers add an id, `on_submit` and sizes.
    pub fn input<'a, Message: Clone + 'a>(
        &self,
        placeholder: &str,
        on_input: Option<fn(SecretText) -> Message>,
    ) -> TextInput<'a, Message> {
        text_input(placeholder, &self.0)
            .secure(true)
            .padding(pad::INPUT)
            .style(super::surface::input)
            .on_input_maybe(on_input.map(|send| move |typed: String| send(typed.into())))
    }
}

#[cfg(test)]
mod tests {
    use iced::Element;
    use iced_test::simulator;

    use super::*;

    #[derive(Debug, Clone)]
    enum Message {
        Typed(SecretText),
    }

    /// Types `keys` into the field's input in the simulator and feeds the messages back.
    fn type_into(field: &mut PinField, keys: &str) {
        let input: Element<'_, Message> = field.input("PIN", Some(Message::Typed)).into();
        let mut ui = simulator(input);
        ui.click("PIN").expect("the input is shown");
        ui.typewrite(keys);
        let messages: Vec<Message> = ui.into_messages().collect();
        for Message::Typed(typed) in messages {
            field.typed(&typed);
        }
    }

    #[test]
    fn letters_are_refused_and_digits_kept() {
        let mut field = PinField::default();
        type_into(&mut field, "4a7 0-9x13");
        assert_eq!(field.as_str(), "470913");
        assert!(field.is_ready());
    }

    #[test]
    fn a_thirteenth_digit_is_refused() {
        let mut field = PinField::default();
        type_into(&mut field, "4709134709135");
        assert_eq!(field.as_str(), "470913470913");
        field.push_digit(5);
        assert_eq!(field.as_str(), "470913470913");
    }

    #[test]
    fn ready_at_six_to_twelve_digits() {
        let mut field = PinField::default();
        for digit in [4, 7, 0, 9, 1] {
            field.push_digit(digit);
            assert!(!field.is_ready(), "{} digits", field.as_str().len());
        }
        field.push_digit(3);
        assert!(field.is_ready());
        field.erase();
        assert!(!field.is_ready());
        field.push_digit(10);
        assert_eq!(field.as_str(), "47091", "not a digit");
    }
}
