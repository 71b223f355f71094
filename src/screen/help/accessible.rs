//! The help screen for a screen reader: its title, the guidance and Back.

use godkend_a11y::Item;

use super::{Help, Message};
use crate::fl;
use crate::screen::PAGE_BACK;

impl Help {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        vec![
            Item::heading("help-title", 1, fl!("help-title")),
            Item::text("help-guidance", self.guidance()),
            Item::button(PAGE_BACK, fl!("back-button"), true),
        ]
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        (key == PAGE_BACK).then_some(Message::Back)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Topic;
    use super::*;

    #[test]
    fn the_guidance_for_its_topic_and_back() {
        let items = Help::new(Topic::Welcome).describe();
        assert_eq!(items[1], Item::text("help-guidance", fl!("help-welcome")));
        assert!(matches!(Help::pressed(PAGE_BACK), Some(Message::Back)));
        assert!(Help::pressed("request-approve").is_none());
    }
}
