//! How the home screen looks: the connection state, who this device is, the pending
//! request if any, and the latest few requests. A free function of what it shows,
//! so tests and the screenshot gallery can draw it without a device or keyring.

use godkend_core::connection::ConnectionState;
use godkend_core::history::Entry;
use godkend_protocol::Serial;
use godkend_protocol::messages::ApprovalRequest;
use godkend_protocol::messages::VersionVerdict;
use iced::widget::{column, container, row, space, text};

use crate::widget::button;
use iced::{Alignment, Element, Length};

use super::Message;
use crate::fl;
use crate::screen::activity;
use crate::theme::{pad, spacing, text_size};
use crate::widget::{surface, tone};

/// How many requests the home screen lists; the rest are under "See all".
pub const RECENT: usize = 3;

/// Everything the home screen shows.
pub struct Shown<'a> {
    pub serial: &'a Serial,
    pub user: &'a str,
    pub org: &'a str,
    pub connection: &'a ConnectionState,
    pub pending: Option<&'a ApprovalRequest>,
    /// Newest first; only the first [`RECENT`] are shown.
    pub recent: &'a [Entry],
    /// Locked: the activity is not shown, "See all" unlocks first.
    pub locked: bool,
    /// What the server says of this app's version.
    pub version: VersionVerdict,
    /// Where the server's operator says to get a new version.
    pub update_url: Option<&'a str>,
    /// Server time.
    pub now: i64,
    pub warning: Option<&'a str>,
}

/// The connection's state in words, and how it looks.
pub(super) fn connection_words(
    connection: &ConnectionState,
) -> (String, fn(&iced::Theme) -> text::Style) {
    match connection {
        ConnectionState::Connecting => (fl!("home-connecting"), tone::muted),
        ConnectionState::Connected => (fl!("home-connected"), tone::success),
        ConnectionState::Polling => (fl!("home-polling"), tone::success),
        ConnectionState::Offline { reason, .. } => {
            (fl!("home-offline", reason = reason.clone()), tone::danger)
        }
    }
}

pub fn home<'a>(shown: &Shown<'a>) -> Element<'a, Message> {
    let (state, style) = connection_words(shown.connection);
    let fact = |label: String, value: String| {
        row![text(format!("{label}:")).style(tone::muted), text(value)].spacing(spacing::S)
    };
    let identity = column![
        fact(fl!("home-serial"), shown.serial.to_string()),
        fact(fl!("home-user"), shown.user.to_owned()),
        fact(fl!("activated-org"), shown.org.to_owned()),
    ]
    .spacing(spacing::S);

    let mut content = column![
        text(state).size(text_size::TITLE).style(style),
        identity,
        container(pending(shown.pending, shown.now))
            .padding(pad::CARD)
            .width(Length::Fill)
            .style(surface::card),
        recent(shown.recent, shown.locked, shown.now),
    ]
    .spacing(spacing::XL);
    let update = match shown.version {
        VersionVerdict::UpToDate => None,
        VersionVerdict::UpdateAvailable => {
            Some(text(fl!("home-update-available")).style(tone::muted))
        }
        VersionVerdict::UpdateRequired => {
            Some(text(fl!("home-update-required")).style(tone::danger))
        }
    };
    if let Some(update) = update {
        content = content.push(
            column![
                update.size(text_size::SMALL),
                update_where(shown.update_url)
            ]
            .spacing(spacing::XS),
        );
    }
    if let Some(detail) = shown.warning {
        content = content.push(
            text(fl!("home-security-warning", detail = detail.to_owned()))
                .size(text_size::CAPTION)
                .style(tone::danger),
        );
    }
    crate::widget::body(content)
}

/// Where a new version comes from: the operator's page (only an `https` one is
/// shown, though the server's signed info already vouches for it), else the way
/// Godkend was installed.
fn update_where<'a>(url: Option<&str>) -> Element<'a, Message> {
    let line = match url.filter(|url| url.starts_with("https://")) {
        Some(url) => fl!("home-update-where", url = url.to_owned()),
        None => fl!("home-update-how"),
    };
    text(line)
        .size(text_size::CAPTION)
        .style(tone::muted)
        .into()
}

/// The pending request's summary, or "no pending request".
fn pending<'a>(request: Option<&ApprovalRequest>, now: i64) -> Element<'a, Message> {
    let Some(request) = request else {
        return text(fl!("home-no-request")).style(tone::muted).into();
    };
    let left = u64::try_from(request.exp - now).unwrap_or(0);
    column![
        text(fl!("home-pending-heading"))
            .size(text_size::SMALL)
            .style(tone::muted),
        text(request.title.clone()).size(text_size::LEAD),
        text(fl!("home-pending-from", rp = request.rp_name.clone())),
        text(fl!(
            "home-pending-expires",
            time = format!("{}:{:02}", left / 60, left % 60)
        ))
        .style(tone::muted),
        button(text(fl!("home-review-button")))
            .padding(pad::BUTTON)
            .style(button::primary)
            .id(super::REVIEW)
            .on_press(Message::Review),
    ]
    .spacing(spacing::S)
    .into()
}

/// The latest requests and "See all", which opens the activity screen.
fn recent<'a>(entries: &[Entry], locked: bool, now: i64) -> Element<'a, Message> {
    let mut heading = row![
        text(fl!("home-recent-heading")).size(text_size::LEAD),
        space::horizontal()
    ]
    .align_y(Alignment::Center);
    // Nothing to see yet: no "See all" (but Unlock while locked, as it may hide some).
    if locked || !entries.is_empty() {
        let label = if locked {
            fl!("unlock-button")
        } else {
            fl!("home-see-all")
        };
        heading = heading.push(
            button(text(label))
                .padding(pad::BUTTON_SMALL)
                .style(button::secondary)
                .id(super::SEE_ALL)
                .on_press(Message::SeeAll),
        );
    }
    let mut list = column![heading].spacing(spacing::S);
    if locked {
        return list
            .push(text(fl!("home-recent-locked")).style(tone::muted))
            .into();
    }
    if entries.is_empty() {
        list = list.push(text(fl!("home-recent-none")).style(tone::muted));
    }
    for entry in entries.iter().take(RECENT) {
        list = list.push(activity::entry(entry, now));
    }
    list.into()
}

#[cfg(test)]
mod tests {
    use iced_test::simulator;

    use super::*;
    use crate::screen::fixtures::{IAT, history, login_request};

    fn shown<'a>(
        serial: &'a Serial,
        pending: Option<&'a ApprovalRequest>,
        recent: &'a [Entry],
    ) -> Shown<'a> {
        Shown {
            serial,
            user: "alice",
            org: "Example Org",
            connection: &ConnectionState::Connected,
            pending,
            recent,
            locked: false,
            version: VersionVerdict::UpToDate,
            update_url: None,
            now: IAT + 60,
            warning: None,
        }
    }

    #[test]
    fn home_lists_the_latest_requests_and_see_all_opens_the_rest() {
        let serial = Serial::from_number(4_821_093_755);
        let entries = history();
        let shown = shown(&serial, None, &entries);
        let mut ui = simulator(home(&shown));
        for entry in &entries[..RECENT] {
            assert!(ui.find(entry.rp_name.as_str()).is_ok());
        }
        assert!(
            ui.find(fl!("activity-superseded")).is_err(),
            "the fourth and later are under See all"
        );
        ui.click(fl!("home-see-all")).expect("a See all button");
        assert!(matches!(
            ui.into_messages().collect::<Vec<_>>().as_slice(),
            [Message::SeeAll]
        ));
    }

    #[test]
    fn locked_hides_the_activity_and_the_server_can_ask_for_an_update() {
        let serial = Serial::from_number(4_821_093_755);
        let entries = history();
        let locked = Shown {
            locked: true,
            version: VersionVerdict::UpdateRequired,
            update_url: None,
            ..shown(&serial, None, &entries)
        };
        let mut ui = simulator(home(&locked));
        assert!(
            ui.find(entries[0].rp_name.as_str()).is_err(),
            "no activity while locked"
        );
        assert!(ui.find(fl!("home-recent-locked")).is_ok());
        assert!(ui.find(fl!("home-update-required")).is_ok());
        assert!(ui.find(fl!("home-update-how")).is_ok(), "no page given");
        let current = shown(&serial, None, &entries);
        assert!(
            simulator(home(&current))
                .find(fl!("home-update-required"))
                .is_err()
        );
    }

    #[test]
    fn an_empty_log_and_a_pending_request_both_show() {
        let serial = Serial::from_number(1);
        let request = login_request();
        let shown = shown(&serial, Some(&request.request), &[]);
        let mut ui = simulator(home(&shown));
        assert!(ui.find(fl!("home-recent-none")).is_ok());
        assert!(ui.find(fl!("home-see-all")).is_err(), "nothing to see yet");
        assert!(ui.find("Sign in to the intranet").is_ok());
        ui.click(fl!("home-review-button"))
            .expect("a Review button");
        assert!(matches!(
            ui.into_messages().collect::<Vec<_>>().as_slice(),
            [Message::Review]
        ));
    }

    #[test]
    fn the_update_page_is_shown_only_when_it_is_https() {
        let serial = Serial::from_number(1);
        let available = |url| Shown {
            version: VersionVerdict::UpdateAvailable,
            update_url: Some(url),
            ..shown(&serial, None, &[])
        };
        let page = "https://it.example.org/godkend";
        assert!(
            simulator(home(&available(page)))
                .find(fl!("home-update-where", url = page))
                .is_ok()
        );
        let plain = "http://it.example.org/godkend";
        let mut ui = simulator(home(&available(plain)));
        assert!(ui.find(fl!("home-update-where", url = plain)).is_err());
        assert!(ui.find(fl!("home-update-how")).is_ok());
    }
}
