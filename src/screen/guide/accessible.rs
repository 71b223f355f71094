//! The guide for a screen reader: the page's title and text, which page of how
//! many, and Back, Next (Done on the last page) and Skip; and what a press on them
//! means.

use godkend_a11y::Item;

use super::{BACK, FORWARD, Guide, Message, PAGES, SKIP};
use crate::fl;

impl Guide {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let page = PAGES[self.page];
        let (number, pages) = (self.page + 1, PAGES.len());
        let mut items = vec![
            Item::heading("guide-title", 1, page.title()),
            Item::text("guide-body", page.body()),
            Item::text(
                "guide-page",
                fl!("guide-page", page = number, pages = pages),
            ),
            Item::button(BACK, fl!("guide-back"), self.page > 0),
            Item::button(
                FORWARD,
                if self.is_last() {
                    fl!("guide-done")
                } else {
                    fl!("guide-next")
                },
                true,
            ),
        ];
        if !self.is_last() {
            items.push(Item::button(SKIP, fl!("guide-skip"), true));
        }
        items
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(&self, key: &str) -> Option<Message> {
        Some(match key {
            BACK => Message::Back,
            FORWARD if self.is_last() => Message::Finish,
            FORWARD => Message::Next,
            SKIP => Message::Finish,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Event;
    use super::*;

    #[test]
    fn the_pages_are_read_and_turned_with_the_tree() {
        let mut guide = Guide::new();
        let items = guide.describe();
        assert_eq!(
            items[0],
            Item::heading("guide-title", 1, fl!("guide-what-title"))
        );
        assert!(items.contains(&Item::button(BACK, fl!("guide-back"), false)));
        let next = guide.pressed(FORWARD).expect("Next");
        assert_eq!(guide.update(next), None);
        assert_eq!(
            guide.describe()[0],
            Item::heading("guide-title", 1, fl!("guide-arrives-title"))
        );
        let mut last = Guide::at(99);
        let items = last.describe();
        assert!(items.contains(&Item::button(FORWARD, fl!("guide-done"), true)));
        assert!(
            !items.iter().any(|i| i.key() == SKIP),
            "no Skip on the last page"
        );
        let done = last.pressed(FORWARD).expect("Done");
        assert_eq!(last.update(done), Some(Event::Finished));
        assert!(matches!(guide.pressed(SKIP), Some(Message::Finish)));
        assert!(guide.pressed("request-approve").is_none());
    }
}
