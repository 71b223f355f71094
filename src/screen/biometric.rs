//! The biometric check as the unlock and request screens offer it: a button beside
//! the PIN ("Use fingerprint", "Use Windows Hello", "Use Touch ID"), the scan under
//! way with its reason and a Cancel, and what the last check said. The PIN is
//! always there ("Use PIN instead"); the check is offered only where it can succeed
//! (`godkend_core::uv::offer`).

use godkend_core::uv::UvError;
use iced::widget::{column, text};
use iced::{Alignment, Element};

use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::widget::button;

/// The platform's check, by the name users know it by.
pub fn method() -> String {
    if cfg!(windows) {
        fl!("biometric-name-hello")
    } else if cfg!(target_os = "macos") {
        fl!("biometric-name-touch-id")
    } else {
        fl!("biometric-name-fingerprint")
    }
}

/// How a biometric check ended, as the screens tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The finger did not match; scans left before only the PIN is offered.
    NoMatch { scans_left: u32 },
    /// The check ran out of time.
    TimedOut,
    /// The check cannot run (no reader, no enrolled finger, ...).
    Unavailable(String),
    /// It went wrong otherwise.
    Failed(String),
    /// The server no longer holds the key (a new PIN, an admin): it is gone here too.
    KeyRemoved,
    /// The server does not take this key for this request (the request requires the
    /// PIN, or the operator does not accept keys kept in the keyring).
    NotAccepted,
}

impl Outcome {
    /// The outcome of a check that gave no signature, with the scans left after it.
    /// `None` for a cancel, which the user asked for and needs no words.
    pub fn of(error: &UvError, scans_left: u32) -> Option<Self> {
        Some(match error {
            UvError::Cancelled => return None,
            UvError::NoMatch => Outcome::NoMatch { scans_left },
            UvError::TimedOut => Outcome::TimedOut,
            UvError::Unavailable(reason) => Outcome::Unavailable(reason.clone()),
            UvError::Failed(reason) => Outcome::Failed(reason.clone()),
        })
    }

    /// Whether the check stays on offer after this outcome.
    pub fn keeps_offer(&self) -> bool {
        match self {
            Outcome::NoMatch { scans_left } => *scans_left > 0,
            Outcome::TimedOut | Outcome::Failed(_) => true,
            Outcome::Unavailable(_) | Outcome::KeyRemoved | Outcome::NotAccepted => false,
        }
    }

    /// What the screen says about it.
    pub fn text(&self) -> String {
        let method = method();
        match self {
            Outcome::NoMatch { scans_left: 0 } => fl!("biometric-suspended", method = method),
            Outcome::NoMatch { scans_left } => fl!("biometric-no-match", left = scans_left),
            Outcome::TimedOut => fl!("biometric-timed-out"),
            Outcome::Unavailable(reason) => fl!(
                "biometric-unavailable",
                method = method,
                reason = reason.clone()
            ),
            Outcome::Failed(reason) => fl!("biometric-failed", reason = reason.clone()),
            Outcome::KeyRemoved => fl!("biometric-key-removed", method = method),
            Outcome::NotAccepted => fl!("biometric-not-accepted"),
        }
    }
}

/// The scan under way: what to do (`prompt`) and Cancel, whose widget id is
/// `cancel_id` (the screen's key for it in its description).
pub fn scanning<'a, Message: Clone + 'a>(
    prompt: String,
    cancel: Message,
    cancel_id: &'static str,
) -> Element<'a, Message> {
    column![
        text(prompt).size(text_size::BODY),
        button(text(fl!("biometric-cancel")))
            .id(cancel_id)
            .padding(pad::BUTTON)
            .style(button::secondary)
            .on_press(cancel),
    ]
    .spacing(spacing::M)
    .align_x(Alignment::Center)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_cancel_goes_unsaid_and_the_offer_ends_where_it_cannot_succeed() {
        assert_eq!(Outcome::of(&UvError::Cancelled, 3), None);
        let no_match = Outcome::of(&UvError::NoMatch, 2).unwrap();
        assert!(no_match.keeps_offer());
        assert!(no_match.text().contains('2'), "{}", no_match.text());
        let last = Outcome::of(&UvError::NoMatch, 0).unwrap();
        assert!(!last.keeps_offer(), "five failed scans leave only the PIN");
        assert_eq!(last.text(), fl!("biometric-suspended", method = method()));
        assert!(Outcome::of(&UvError::TimedOut, 5).unwrap().keeps_offer());
        let gone = Outcome::of(&UvError::Unavailable("no reader".into()), 5).unwrap();
        assert!(!gone.keeps_offer());
        assert!(gone.text().contains("no reader"));
        assert!(!Outcome::KeyRemoved.keeps_offer());
    }
}
