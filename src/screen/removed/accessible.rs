//! The "this computer was removed" screen for a screen reader: what was removed,
//! how to remove the app (a button, or the instructions), why the uninstaller did
//! not start (read out at once), and Back.

use godkend_a11y::Item;

use super::{Message, Removed, UNINSTALL};
use crate::fl;
use crate::screen::PAGE_BACK;
use crate::uninstall::Removal;

impl Removed {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = vec![
            Item::heading("removed-title", 1, fl!("removed-title")),
            Item::text("removed-done", fl!("removed-done")),
            Item::text("removed-uninstall-text", fl!("removed-uninstall")),
        ];
        items.push(match &self.removal {
            Removal::Action => Item::button(UNINSTALL, fl!("removed-uninstall-button"), true),
            Removal::Instructions(how) => Item::text("removed-how", how.clone()),
        });
        if let Some(notice) = &self.notice {
            items.push(Item::alert("removed-notice", notice.clone()));
        }
        items.push(Item::button(PAGE_BACK, fl!("back-button"), true));
        items
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        match key {
            UNINSTALL => Some(Message::Uninstall),
            PAGE_BACK => Some(Message::Back),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_removed_and_back() {
        let items = Removed::new().describe();
        assert_eq!(
            items[0],
            Item::heading("removed-title", 1, fl!("removed-title"))
        );
        assert!(items.iter().any(|i| i.key() == PAGE_BACK));
        assert!(matches!(Removed::pressed(PAGE_BACK), Some(Message::Back)));
        assert!(matches!(
            Removed::pressed(UNINSTALL),
            Some(Message::Uninstall)
        ));
        assert!(Removed::pressed("request-approve").is_none());
    }
}
