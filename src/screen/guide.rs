//! Guide: a short first-run walkthrough, a few pages with Next/Back/Done and page
//! dots. Shown once after activation and reopenable from the settings.

use iced::widget::{column, container, row, space, text};

use crate::widget::button;
use iced::{Alignment, Element, Length};

use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::widget::tone;

/// The guide's pages, in order: what Godkend does, how a request arrives, how to
/// approve, "This was not me", and where things are.
const PAGES: [Page; 5] = [
    Page::What,
    Page::Arrives,
    Page::Check,
    Page::NotMe,
    Page::Around,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    What,
    Arrives,
    Check,
    NotMe,
    Around,
}

impl Page {
    fn title(self) -> String {
        match self {
            Page::What => fl!("guide-what-title"),
            Page::Arrives => fl!("guide-arrives-title"),
            Page::Check => fl!("guide-check-title"),
            Page::NotMe => fl!("guide-not-me-title"),
            Page::Around => fl!("guide-around-title"),
        }
    }

    fn body(self) -> String {
        match self {
            Page::What => fl!("guide-what-body"),
            Page::Arrives => fl!("guide-arrives-body"),
            Page::Check => format!(
                "{}\n\n{}",
                fl!("guide-check-body"),
                fl!("guide-biometric", method = super::biometric::method())
            ),
            Page::NotMe => fl!("guide-not-me-body"),
            Page::Around => fl!("guide-around-body"),
        }
    }
}

/// The buttons' ids, which are also their keys for a screen reader.
const BACK: &str = "guide-back";
/// Next, or Done on the last page.
const FORWARD: &str = "guide-forward";
const SKIP: &str = "guide-skip";

/// The guide's state: which page is shown.
#[derive(Debug, Default)]
pub struct Guide {
    page: usize,
}

#[derive(Debug, Clone, Copy)]
pub enum Message {
    Next,
    Back,
    /// Done on the last page, or Skip on any.
    Finish,
}

/// What the guide tells the app.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// Read to the end or skipped: either way, not shown again by itself.
    Finished,
}

impl Guide {
    /// The guide at its first page.
    pub fn new() -> Self {
        Guide::default()
    }

    /// The guide at page `page` (from 0; past the end means the last page).
    #[cfg(test)]
    pub fn at(page: usize) -> Self {
        Guide {
            page: page.min(PAGES.len() - 1),
        }
    }

    /// How many pages there are.
    #[cfg(test)]
    pub const fn pages() -> usize {
        PAGES.len()
    }

    fn is_last(&self) -> bool {
        self.page + 1 == PAGES.len()
    }

    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            // Enter on the last page (or a stale click) must not run past the end.
            Message::Next if self.is_last() => return Some(Event::Finished),
            Message::Next => self.page += 1,
            Message::Back => self.page = self.page.saturating_sub(1),
            Message::Finish => return Some(Event::Finished),
        }
        None
    }

    pub fn view(&self) -> Element<'_, Message> {
        let page = PAGES[self.page];
        let back = button(text(fl!("guide-back")))
            .id(BACK)
            .padding(pad::BUTTON)
            .style(button::secondary)
            // Nowhere to go back to on the first page.
            .on_press_maybe((self.page > 0).then_some(Message::Back));
        let (forward, message) = if self.is_last() {
            (fl!("guide-done"), Message::Finish)
        } else {
            (fl!("guide-next"), Message::Next)
        };
        let forward = button(text(forward))
            .id(FORWARD)
            .padding(pad::BUTTON)
            .style(button::primary)
            .on_press(message);
        let mut content = column![
            text(page.title()).size(text_size::HEADING),
            text(page.body()).size(text_size::BODY),
            self.dots(),
            row![back, space::horizontal(), forward].align_y(Alignment::Center),
        ]
        .spacing(spacing::XXL);
        if !self.is_last() {
            content = content.push(
                container(
                    button(text(fl!("guide-skip")).size(text_size::SMALL))
                        .id(SKIP)
                        .style(button::text)
                        .on_press(Message::Finish),
                )
                .center_x(Length::Fill),
            );
        }
        crate::widget::body(content)
    }

    /// One dot per page, the current one filled, and the same in words.
    fn dots(&self) -> Element<'_, Message> {
        let (page, pages) = (self.page + 1, PAGES.len());
        let dots: String = (0..PAGES.len())
            .map(|i| if i == self.page { "●" } else { "○" })
            .collect::<Vec<_>>()
            .join(" ");
        column![
            text(dots).size(text_size::SMALL),
            text(fl!("guide-page", page = page, pages = pages))
                .size(text_size::CAPTION)
                .style(tone::muted),
        ]
        .spacing(spacing::XS)
        .align_x(Alignment::Center)
        .width(Length::Fill)
        .into()
    }
}

mod accessible;

#[cfg(test)]
mod tests {
    use iced_test::simulator;

    use super::*;

    fn click(guide: &Guide, label: &str) -> Vec<Message> {
        let mut ui = simulator(guide.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
        ui.into_messages().collect()
    }

    fn shows(guide: &Guide, wanted: &str) -> bool {
        simulator(guide.view()).find(wanted).is_ok()
    }

    #[test]
    fn next_walks_every_page_and_done_finishes() {
        let mut guide = Guide::new();
        for page in 1..Guide::pages() {
            assert!(shows(
                &guide,
                &fl!("guide-page", page = page, pages = Guide::pages())
            ));
            for message in click(&guide, &fl!("guide-next")) {
                assert_eq!(guide.update(message), None);
            }
        }
        assert!(shows(&guide, &fl!("guide-around-title")));
        assert!(!shows(&guide, &fl!("guide-next")), "the last page has Done");
        let done = click(&guide, &fl!("guide-done"));
        assert!(matches!(done.as_slice(), [Message::Finish]));
        assert_eq!(guide.update(Message::Finish), Some(Event::Finished));
    }

    #[test]
    fn back_on_the_first_page_does_nothing() {
        let mut guide = Guide::new();
        assert!(click(&guide, &fl!("guide-back")).is_empty(), "disabled");
        assert_eq!(guide.update(Message::Back), None);
        assert!(shows(&guide, &fl!("guide-what-title")));
    }

    #[test]
    fn back_returns_to_the_previous_page() {
        let mut guide = Guide::at(2);
        assert_eq!(guide.update(Message::Back), None);
        assert!(shows(&guide, &fl!("guide-arrives-title")));
    }

    #[test]
    fn next_past_the_last_page_finishes_instead() {
        let mut guide = Guide::at(99);
        assert!(shows(&guide, &fl!("guide-around-title")));
        assert_eq!(guide.update(Message::Next), Some(Event::Finished));
    }

    #[test]
    fn skip_finishes_from_any_page() {
        let guide = Guide::new();
        assert!(matches!(
            click(&guide, &fl!("guide-skip")).as_slice(),
            [Message::Finish]
        ));
    }
}
