//! Home: the connection state, who this device is, the pending request if any, and
//! recent activity. It holds no state of its own: it draws what the approval agent
//! knows, and its two buttons become events for the app.

use godkend_core::agent::Agent;
use godkend_protocol::messages::VersionVerdict;
use iced::Element;

#[derive(Debug, Clone)]
pub enum Message {
    /// Open the pending request.
    Review,
    /// Open the activity screen.
    SeeAll,
}

/// What the home screen tells the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The user wants to see the pending request.
    Review,
    /// The user wants to see all activity.
    SeeAll,
}

pub fn update(message: &Message) -> Event {
    match message {
        Message::Review => Event::Review,
        Message::SeeAll => Event::SeeAll,
    }
}

/// The home screen of `agent`'s device; the activity shows only while the app is
/// `unlocked` (design.md §3).
pub fn view(agent: &Agent, unlocked: bool) -> Element<'_, Message> {
    view::home(&shown(agent, unlocked))
}

/// The home screen in words, for a screen reader.
pub fn describe(agent: &Agent, unlocked: bool) -> Vec<godkend_a11y::Item> {
    accessible::describe(&shown(agent, unlocked))
}

/// A home screen showing `shown`, in words (the screenshot gallery's).
#[cfg(test)]
pub fn describe_shown(shown: &view::Shown<'_>) -> Vec<godkend_a11y::Item> {
    accessible::describe(shown)
}

/// The message a screen reader's press on the button `key` stands for.
pub fn pressed(key: &str) -> Option<Message> {
    match key {
        REVIEW => Some(Message::Review),
        SEE_ALL => Some(Message::SeeAll),
        _ => None,
    }
}

/// The buttons' ids.
pub const REVIEW: &str = "home-review";
pub const SEE_ALL: &str = "home-see-all";

fn shown(agent: &Agent, unlocked: bool) -> view::Shown<'_> {
    let account = &agent.device().config.account;
    view::Shown {
        serial: &account.serial,
        user: &account.user,
        org: &account.org.name,
        connection: agent.connection(),
        pending: agent.pending().map(|r| &r.request),
        recent: if unlocked { agent.recent() } else { &[] },
        locked: !unlocked,
        version: account
            .version_policy
            .as_ref()
            .map_or(VersionVerdict::UpToDate, |policy| {
                policy.verdict(env!("CARGO_PKG_VERSION"))
            }),
        update_url: account
            .version_policy
            .as_ref()
            .and_then(|policy| policy.update_url.as_deref()),
        now: agent.server_now(),
        warning: agent.warning(),
    }
}

mod accessible;
pub mod view;
