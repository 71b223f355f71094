//! Activity: the requests this device saw and what became of each, newest first.
//! Read from the device's activity log when the screen opens; the app refreshes it
//! when a request arrives or closes meanwhile.

use godkend_core::history::Entry;
use godkend_core::standing::Standing;
use godkend_protocol::messages::{DecisionKind, RequestKind};
use iced::widget::{column, container, row, space, text};
use iced::{Alignment, Element, Length, Theme};

use crate::fl;

/// The activity screen's state.
pub struct Activity {
    entries: Vec<Entry>,
    /// Server time, for "5 min ago".
    now: i64,
}

#[derive(Debug, Clone, Copy)]
pub enum Message {
    Back,
}

/// What the activity screen tells the app.
pub enum Event {
    Closed,
}

impl Activity {
    /// `entries` newest first, as the activity log keeps them; `now` in server time.
    pub fn new(entries: Vec<Entry>, now: i64) -> Self {
        Activity { entries, now }
    }

    /// The log changed (a request arrived or closed) while the screen is open.
    pub fn refresh(&mut self, entries: Vec<Entry>, now: i64) {
        self.entries = entries;
        self.now = now;
    }

    pub fn update(message: Message) -> Event {
        match message {
            Message::Back => Event::Closed,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let content: Element<'_, Message> = if self.entries.is_empty() {
            text(fl!("activity-empty"))
                .style(crate::widget::tone::muted)
                .into()
        } else {
            column(self.entries.iter().map(|e| entry(e, self.now)))
                .spacing(8)
                .into()
        };
        super::page(fl!("activity-title"), content, Message::Back)
    }
}

/// One request in a list: who asked, what kind and title, the amount if any, when,
/// and what became of it. Also used by the home screen's recent activity.
pub fn entry<'a, Message: 'a>(entry: &Entry, now: i64) -> Element<'a, Message> {
    let kind = kind_words(entry.kind);
    let top = row![
        text(entry.rp_name.clone()).size(16),
        space::horizontal(),
        text(crate::clock::ago(entry.requested_at, now))
            .size(13)
            .style(crate::widget::tone::muted),
    ]
    .align_y(Alignment::Center)
    .spacing(8);
    let mut lines = column![
        top,
        text(format!("{kind} · {}", entry.title))
            .size(14)
            .style(crate::widget::tone::muted),
    ]
    .spacing(4);
    if let Some(amount) = &entry.amount {
        lines = lines.push(text(crate::format::amount::amount(amount)).size(14));
    }
    lines = lines.push(outcome(entry.outcome));
    container(lines)
        .padding([10, 14])
        .width(Length::Fill)
        .style(container::bordered_box)
        .into()
}

/// What became of a request: a mark and a colour, and always the words, since
/// neither colour nor mark alone is readable by everyone.
type Style = fn(&Theme) -> text::Style;

/// How an outcome shows: its mark, its words and its colour.
fn outcome_look(outcome: Standing) -> (&'static str, String, Style) {
    match outcome {
        Standing::Pending => ("●", fl!("activity-pending"), text::primary),
        Standing::Decided(DecisionKind::Approve) => {
            ("✓", fl!("activity-approved"), crate::widget::tone::success)
        }
        Standing::Decided(DecisionKind::Deny) => ("✕", fl!("activity-denied"), text::default),
        Standing::Decided(DecisionKind::NotMe) => ("!", fl!("activity-not-me"), text::danger),
        Standing::Withdrawn => ("→", fl!("activity-withdrawn"), crate::widget::tone::muted),
        Standing::Superseded => ("↻", fl!("activity-superseded"), crate::widget::tone::muted),
        Standing::Expired => ("–", fl!("activity-expired"), crate::widget::tone::muted),
        Standing::Failed => ("!", fl!("activity-failed"), text::danger),
    }
}

fn outcome<'a, Message: 'a>(outcome: Standing) -> Element<'a, Message> {
    let (mark, words, style) = outcome_look(outcome);
    row![
        text(mark).size(14).style(style),
        text(words).size(14).style(style)
    ]
    .spacing(6)
    .into()
}

/// What kind of request an entry was, in words.
fn kind_words(kind: RequestKind) -> String {
    match kind {
        RequestKind::Login => fl!("activity-kind-login"),
        RequestKind::Payment => fl!("activity-kind-payment"),
        RequestKind::Action => fl!("activity-kind-action"),
    }
}

mod accessible;

#[cfg(test)]
mod tests {
    use iced_test::simulator;

    use super::*;
    use crate::screen::fixtures::{IAT, history};

    fn shows(screen: &Activity, wanted: &str) -> bool {
        simulator(screen.view()).find(wanted).is_ok()
    }

    #[test]
    fn an_empty_log_says_so() {
        let screen = Activity::new(Vec::new(), IAT);
        assert!(shows(&screen, &fl!("activity-empty")));
    }

    #[test]
    fn every_outcome_is_spelled_out_with_when_and_amount() {
        let screen = Activity::new(history(), IAT + 60);
        for words in [
            fl!("activity-pending"),
            fl!("activity-approved"),
            fl!("activity-denied"),
            fl!("activity-not-me"),
            fl!("activity-withdrawn"),
            fl!("activity-superseded"),
            fl!("activity-expired"),
            fl!("activity-failed"),
        ] {
            assert!(shows(&screen, &words), "{words:?} is written out");
        }
        assert!(
            shows(&screen, "DKK\u{a0}1,250.00"),
            "the amount in the UI language"
        );
        assert!(shows(&screen, &fl!("time-minutes-ago", minutes = 6)));
        let older = crate::format::time::date(IAT - 40 * 86_400);
        assert!(shows(&screen, &older), "older than a week: a date");
        assert!(!shows(&screen, &fl!("activity-empty")));
    }

    #[test]
    fn refresh_shows_the_new_log() {
        let mut screen = Activity::new(Vec::new(), IAT);
        screen.refresh(history(), IAT + 60);
        let kind_and_title = format!("{} · Add a new payee", fl!("activity-kind-action"));
        assert!(shows(&screen, &kind_and_title));
    }

    #[test]
    fn back_closes() {
        assert!(matches!(Activity::update(Message::Back), Event::Closed));
    }
}
