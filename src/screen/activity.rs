//! Activity: the requests this device saw and what became of each, newest first.
//! Read from the device's activity log when the screen opens; the app refreshes it
//! when a request arrives or closes meanwhile.

use godkend_core::history::Entry;
use godkend_core::standing::Standing;
use godkend_protocol::messages::{DecisionKind, RequestKind};
use iced::widget::{column, container, row, space, text};
use iced::{Alignment, Element, Length, Theme};

use crate::fl;
use crate::theme::{colors, icon_size, pad, spacing, text_size};
use crate::widget::icon::{Icon, tinted};
use crate::widget::{surface, tone};

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
            text(fl!("activity-empty")).style(tone::muted).into()
        } else {
            column(self.entries.iter().map(|e| entry(e, self.now)))
                .spacing(spacing::S)
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
        text(entry.rp_name.clone()).size(text_size::BODY),
        space::horizontal(),
        text(crate::clock::ago(entry.requested_at, now))
            .size(text_size::CAPTION)
            .style(tone::muted),
    ]
    .align_y(Alignment::Center)
    .spacing(spacing::S);
    let mut lines = column![
        top,
        text(format!("{kind} · {}", entry.title))
            .size(text_size::SMALL)
            .style(tone::muted),
    ]
    .spacing(spacing::XS);
    if let Some(amount) = &entry.amount {
        lines = lines.push(text(crate::format::amount::amount(amount)).size(text_size::SMALL));
    }
    lines = lines.push(outcome(entry.outcome));
    container(lines)
        .padding(pad::CARD)
        .width(Length::Fill)
        .style(surface::card)
        .into()
}

/// An outcome's mark: an icon of the set where it has one, else a typographic mark.
enum Mark {
    Icon(Icon, fn(&Theme) -> iced::Color),
    Glyph(&'static str),
}

type Style = fn(&Theme) -> text::Style;

/// What became of a request: a mark and a colour, and always the words (what a
/// screen reader says too), since neither colour nor mark alone is readable by
/// everyone.
fn outcome_look(outcome: Standing) -> (Mark, String, Style) {
    match outcome {
        Standing::Pending => (Mark::Glyph("●"), fl!("activity-pending"), tone::warning),
        Standing::Decided(DecisionKind::Approve) => (
            Mark::Icon(Icon::Check, |theme| colors(theme).success),
            fl!("activity-approved"),
            tone::success,
        ),
        Standing::Decided(DecisionKind::Deny) => (
            Mark::Icon(Icon::Close, |theme| colors(theme).text),
            fl!("activity-denied"),
            text::default,
        ),
        Standing::Decided(DecisionKind::NotMe) => (
            Mark::Icon(Icon::Warning, |theme| colors(theme).danger),
            fl!("activity-not-me"),
            tone::danger,
        ),
        Standing::Withdrawn => (Mark::Glyph("→"), fl!("activity-withdrawn"), tone::muted),
        Standing::Superseded => (Mark::Glyph("↻"), fl!("activity-superseded"), tone::muted),
        Standing::Expired => (Mark::Glyph("–"), fl!("activity-expired"), tone::muted),
        Standing::Failed => (
            Mark::Icon(Icon::Warning, |theme| colors(theme).danger),
            fl!("activity-failed"),
            tone::danger,
        ),
    }
}

fn outcome<'a, Message: 'a>(outcome: Standing) -> Element<'a, Message> {
    let (mark, words, style) = outcome_look(outcome);
    let mark: Element<'a, Message> = match mark {
        Mark::Icon(which, tint) => tinted(which, icon_size::INLINE, tint).into(),
        Mark::Glyph(glyph) => text(glyph).size(text_size::SMALL).style(style).into(),
    };
    row![mark, text(words).size(text_size::SMALL).style(style)]
        .spacing(spacing::S)
        .align_y(Alignment::Center)
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
