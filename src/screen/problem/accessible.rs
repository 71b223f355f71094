//! The problem screen for a screen reader: what went wrong (read out at once), Try
//! again, and Start again with its confirmation; and what a press on them means.

use godkend_a11y::Item;

use super::{CANCEL, CONFIRM, Message, Problem, START_AGAIN, TRY_AGAIN};
use crate::fl;

impl Problem {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = vec![
            Item::heading("problem-title", 1, fl!("problem-title")),
            Item::alert(
                "problem-detail",
                fl!("problem-detail", reason = self.reason.clone()),
            ),
            Item::button(TRY_AGAIN, fl!("problem-try-again"), true),
            Item::text("problem-hint", fl!("problem-start-again-hint")),
        ];
        if self.confirming {
            items.push(Item::text(
                "problem-explained",
                fl!("problem-start-again-explained"),
            ));
            items.push(Item::button(
                CONFIRM,
                fl!("problem-start-again-confirm"),
                !self.working,
            ));
            items.push(Item::button(CANCEL, fl!("request-not-me-cancel"), true));
        } else {
            items.push(Item::button(START_AGAIN, fl!("problem-start-again"), true));
        }
        if let Some(failure) = &self.failure {
            items.push(Item::alert("problem-failure", failure.clone()));
        }
        items
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        Some(match key {
            TRY_AGAIN => Message::TryAgain,
            START_AGAIN => Message::StartAgain,
            CONFIRM => Message::Confirm,
            CANCEL => Message::Cancel,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_an_alert_and_start_again_asks_first() {
        let mut screen = Problem::new("the keyring is locked".into());
        let items = screen.describe();
        assert_eq!(
            items[1],
            Item::alert(
                "problem-detail",
                fl!("problem-detail", reason = "the keyring is locked")
            )
        );
        assert!(!items.iter().any(|i| i.key() == CONFIRM));
        let _ = screen.update(Problem::pressed(START_AGAIN).expect("Start again"));
        let items = screen.describe();
        assert!(items.contains(&Item::button(
            CONFIRM,
            fl!("problem-start-again-confirm"),
            true
        )));
        assert!(Problem::pressed("request-approve").is_none());
    }
}
