//! The activity screen for a screen reader: each request as one line (who asked,
//! what for, the amount, what became of it and when), or that there are none; and
//! Back.

use godkend_a11y::Item;
use godkend_core::history::Entry;

use super::{Activity, Message, kind_words, outcome_look};
use crate::fl;
use crate::screen::PAGE_BACK;

impl Activity {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = vec![Item::heading("activity-title", 1, fl!("activity-title"))];
        if self.entries.is_empty() {
            items.push(Item::text("activity-empty", fl!("activity-empty")));
        }
        for (at, entry) in self.entries.iter().enumerate() {
            items.push(Item::text(
                format!("activity-entry-{at}"),
                entry_words(entry, self.now),
            ));
        }
        items.push(Item::button(PAGE_BACK, fl!("back-button"), true));
        items
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        (key == PAGE_BACK).then_some(Message::Back)
    }
}

/// One request of the log as one line, in the order the card shows it.
pub fn entry_words(entry: &Entry, now: i64) -> String {
    let mut words = vec![
        entry.rp_name.clone(),
        format!("{} · {}", kind_words(entry.kind), entry.title),
    ];
    if let Some(amount) = &entry.amount {
        words.push(crate::format::amount::amount(amount));
    }
    words.push(outcome_look(entry.outcome).1);
    words.push(crate::clock::ago(entry.requested_at, now));
    words.join(". ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::fixtures::{IAT, history};

    #[test]
    fn each_request_is_one_line_with_its_outcome() {
        let items = Activity::new(history(), IAT + 60).describe();
        let lines: Vec<&Item> = items
            .iter()
            .filter(|i| i.key().starts_with("activity-entry-"))
            .collect();
        assert_eq!(lines.len(), history().len());
        let all: String = items
            .iter()
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(all.contains(&fl!("activity-approved")), "{all}");
        assert!(all.contains("DKK\u{a0}1,250.00"), "{all}");
        let empty = Activity::new(Vec::new(), IAT).describe();
        assert!(empty.contains(&Item::text("activity-empty", fl!("activity-empty"))));
        assert!(matches!(Activity::pressed(PAGE_BACK), Some(Message::Back)));
    }
}
