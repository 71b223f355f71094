//! Choosing a PIN: the new PIN twice, with the rules checked as it is typed. Used
//! where a PIN is chosen (activation) and where it is changed, so both say the same.
//! Both fields are [`PinField`]s, digits only like every other PIN field.

use godkend_a11y::{FieldValue, Item};
use godkend_core::pin::{PinProblem, check_new_pin, check_pin_rules};
use godkend_core::secret::SecretText;
use iced::widget::{column, row, text};
use iced::{Element, Theme};

use crate::fl;
use crate::theme::{spacing, text_size};
use crate::widget::field::labelled;
use crate::widget::pin_field::PinField;
use crate::widget::tone;

/// What the PIN fields say about what has been typed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinFeedback {
    /// Nothing typed yet: the rules.
    Hint,
    Problem(PinProblem),
    /// The first PIN is fine; the second is empty or still being typed.
    TypeAgain,
    Ok,
}

impl PinFeedback {
    /// The feedback on a new PIN `pin` and its repetition `again`.
    pub fn of(pin: &str, again: &str) -> Self {
        if pin.is_empty() {
            return PinFeedback::Hint;
        }
        if let Err(problem) = check_pin_rules(pin) {
            return PinFeedback::Problem(problem);
        }
        // No complaint while the repetition is still on its way to being right.
        if again.len() < pin.len() && pin.starts_with(again) {
            return PinFeedback::TypeAgain;
        }
        match check_new_pin(pin, again) {
            Ok(()) => PinFeedback::Ok,
            Err(problem) => PinFeedback::Problem(problem),
        }
    }

    pub fn message(self) -> String {
        match self {
            PinFeedback::Hint => fl!("pin-hint"),
            PinFeedback::Problem(PinProblem::TooShort) => fl!("pin-too-short"),
            PinFeedback::Problem(PinProblem::TooLong) => fl!("pin-too-long"),
            PinFeedback::Problem(PinProblem::NotDigits) => fl!("pin-not-digits"),
            PinFeedback::Problem(PinProblem::TooSimple) => fl!("pin-too-simple"),
            PinFeedback::Problem(PinProblem::Mismatch) => fl!("pin-mismatch"),
            PinFeedback::TypeAgain => fl!("pin-type-again"),
            PinFeedback::Ok => fl!("pin-ok"),
        }
    }

    fn style(self) -> fn(&Theme) -> text::Style {
        match self {
            PinFeedback::Problem(_) => tone::danger,
            PinFeedback::Ok => tone::success,
            PinFeedback::Hint | PinFeedback::TypeAgain => tone::muted,
        }
    }
}

/// The two fields' widget ids, which are also their keys for a screen reader, and
/// the key of the feedback under them.
#[derive(Debug, Clone, Copy)]
pub struct NewPinIds {
    pub pin: &'static str,
    pub again: &'static str,
    pub feedback: &'static str,
}

/// What the two fields send; with `None` a field does not take typing (work under way).
pub struct NewPinMessages<Message> {
    pub pin: Option<fn(SecretText) -> Message>,
    pub again: Option<fn(SecretText) -> Message>,
    /// Enter in the second field.
    pub submit: Message,
}

/// The new PIN and its repetition side by side (secure inputs), and the feedback
/// under them.
pub fn new_pin_fields<'a, Message: Clone + 'a>(
    pin: &PinField,
    again: &PinField,
    ids: NewPinIds,
    messages: NewPinMessages<Message>,
) -> Element<'a, Message> {
    let feedback = PinFeedback::of(pin.as_str(), again.as_str());
    let first = pin.input(&fl!("pin-placeholder"), messages.pin).id(ids.pin);
    let second = again
        .input(&fl!("pin-again-placeholder"), messages.again)
        .id(ids.again)
        .on_submit(messages.submit);
    column![
        row![
            labelled(fl!("pin-label"), first, None),
            labelled(fl!("pin-again-label"), second, None),
        ]
        .spacing(spacing::M),
        text(feedback.message())
            .size(text_size::CAPTION)
            .style(feedback.style()),
    ]
    .spacing(spacing::M)
    .into()
}

/// The two fields and their feedback for a screen reader: secret fields (how many
/// digits only), and the feedback read out as it changes: politely while the PIN is
/// on its way (too short, type it again, they match), at once when it is wrong.
pub fn describe_new_pin(
    pin: &PinField,
    again: &PinField,
    ids: NewPinIds,
    editable: bool,
) -> Vec<Item> {
    let secret = |field: &PinField| FieldValue::Secret {
        length: field.as_str().chars().count(),
    };
    let feedback = PinFeedback::of(pin.as_str(), again.as_str());
    let words = feedback.message();
    vec![
        Item::field(ids.pin, fl!("pin-label"), secret(pin), editable),
        Item::field(ids.again, fl!("pin-again-label"), secret(again), editable),
        match feedback {
            PinFeedback::Hint => Item::text(ids.feedback, words),
            PinFeedback::Problem(PinProblem::TooShort)
            | PinFeedback::TypeAgain
            | PinFeedback::Ok => Item::live(ids.feedback, words),
            PinFeedback::Problem(_) => Item::alert(ids.feedback, words),
        },
    ]
}
