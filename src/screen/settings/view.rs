//! How the settings screen looks: one bordered section per topic, in the order of
//! design.md §2, and the revoke action set apart at the bottom.

use std::fmt;

use godkend_core::policy::Policy;
use godkend_core::settings::{self as saved, Language};
use iced::widget::{Column, checkbox, column, container, pick_list, row, space, text};
use iced::{Alignment, Element, Length};

use super::{
    BACK, CHANGE_PIN, COPY_SERIAL, LANGUAGE, LOCK_ON_CLOSE, MY_DEVICES, Message, NOTIFICATIONS,
    REVOKE, SHOW_GUIDE, START_AT_LOGIN, Settings, THEME, ThisDevice,
};
use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::user_settings::Change;
use crate::widget::icon::Icon;
use crate::widget::{button, focusable};
use crate::widget::{surface, tone};

impl Settings {
    /// The screen for the user's settings under the organisation's `policy`.
    pub fn view<'a>(&'a self, current: &saved::Settings, policy: &Policy) -> Element<'a, Message> {
        let mut page =
            column![text(fl!("settings-title")).size(text_size::HEADING)].spacing(spacing::XL);
        if let Some(notice) = &self.notice {
            page = page.push(
                text(notice.clone())
                    .size(text_size::CAPTION)
                    .style(tone::danger),
            );
        }
        page = page
            .push(self.security(current, policy))
            .push(notifications(current, policy));
        if self.device.is_some() {
            page = page.push(section(
                fl!("settings-devices"),
                column![nav_button(
                    MY_DEVICES,
                    &fl!("settings-my-devices"),
                    Message::MyDevices
                )],
            ));
        }
        page = page.push(appearance(current));
        page = page.push(self.help());
        page = page.push(self.about());
        page = page.push(
            button(button::with_icon(Icon::Back, fl!("back-button")))
                .id(BACK)
                .padding(pad::BUTTON)
                .style(button::secondary)
                .on_press(Message::Back),
        );
        if self.device.is_some() {
            page = page.push(danger_zone());
        }
        crate::widget::body(page)
    }

    fn security<'a>(&'a self, current: &saved::Settings, policy: &Policy) -> Element<'a, Message> {
        let mut rows = column![
            switch(
                LOCK_ON_CLOSE,
                fl!("settings-lock-on-close"),
                current.lock_on_close,
                Change::LockOnClose
            ),
            // Shown so people know it is there; not switchable (design §3). A
            // checkbox without `on_toggle` is drawn disabled and ignores clicks.
            column![
                checkbox(true).label(fl!("settings-auto-lock")),
                explanation(fl!("settings-auto-lock-always")),
            ]
            .spacing(spacing::XS),
        ];
        if let Some(problem) = &policy.problem {
            rows = rows.push(
                text(fl!("settings-policy-unreadable", problem = problem.clone()))
                    .size(text_size::CAPTION)
                    .style(tone::danger),
            );
        }
        if self.device.is_some() && !policy.allows_biometrics() {
            rows = rows.push(explanation(fl!("settings-biometric-managed-off")));
        } else if self.device.is_some()
            && let Some(biometric) = self.biometric.view()
        {
            rows = rows.push(biometric.map(Message::Biometric));
        }
        if self.device.is_some() {
            rows = rows.push(nav_button(
                CHANGE_PIN,
                &fl!("settings-change-pin"),
                Message::ChangePin,
            ));
        }
        section(fl!("settings-security"), rows)
    }

    fn help(&self) -> Element<'_, Message> {
        let mut rows = column![];
        if let Some(device) = &self.device {
            rows = rows.push(support(device));
        }
        rows = rows.push(nav_button(
            SHOW_GUIDE,
            &fl!("settings-show-guide"),
            Message::ShowGuide,
        ));
        section(fl!("settings-help"), rows)
    }

    fn about(&self) -> Element<'_, Message> {
        let mut rows = column![];
        if let Some(device) = &self.device {
            rows = rows.push(
                row![
                    text(fl!("settings-serial", serial = device.serial.to_string())),
                    space::horizontal(),
                    button(text(fl!("copy-button")).size(text_size::SMALL))
                        .id(COPY_SERIAL)
                        .padding(pad::BUTTON_SMALL)
                        .style(button::secondary)
                        .on_press(Message::CopySerial),
                ]
                .align_y(Alignment::Center),
            );
        }
        rows = rows.push(
            text(fl!("settings-version", version = env!("CARGO_PKG_VERSION"))).style(tone::muted),
        );
        section(fl!("settings-about"), rows)
    }
}

fn notifications<'a>(current: &saved::Settings, policy: &Policy) -> Element<'a, Message> {
    let start_at_login = match policy.start_at_login {
        // A checkbox without `on_toggle` is drawn disabled and ignores clicks.
        Some(on) => column![
            checkbox(on).label(fl!("settings-start-at-login")),
            explanation(fl!("settings-managed")),
        ],
        None => column![
            switch(
                START_AT_LOGIN,
                fl!("settings-start-at-login"),
                current.start_at_login,
                Change::StartAtLogin,
            ),
            explanation(fl!("settings-start-at-login-why")),
        ],
    };
    section(
        fl!("settings-notifications"),
        column![
            switch(
                NOTIFICATIONS,
                fl!("settings-notifications-on"),
                current.notifications,
                Change::Notifications,
            ),
            start_at_login.spacing(spacing::XS),
        ],
    )
}

fn appearance<'a>(current: &saved::Settings) -> Element<'a, Message> {
    // From the keyboard, Enter or Space moves on to the next choice.
    let language = focusable(
        pick_list(
            LANGUAGES,
            Some(LanguageChoice(current.language)),
            |choice| Message::Changed(Change::Language(choice.0)),
        ),
        Some(Message::Changed(Change::Language(
            next(&LANGUAGES, &LanguageChoice(current.language)).0,
        ))),
    )
    .id(Some(LANGUAGE.into()));
    let theme = focusable(
        pick_list(THEMES, Some(ThemeChoice(current.theme)), |choice| {
            Message::Changed(Change::Theme(choice.0))
        }),
        Some(Message::Changed(Change::Theme(
            next(&THEMES, &ThemeChoice(current.theme)).0,
        ))),
    )
    .id(Some(THEME.into()));
    section(
        fl!("settings-appearance"),
        column![
            labelled_row(fl!("settings-language"), language),
            labelled_row(fl!("settings-theme"), theme),
        ],
    )
}

/// The organisation's support contacts, those it gives.
fn support(device: &ThisDevice) -> Element<'_, Message> {
    let organisation = &device.organisation;
    let contacts = [
        (fl!("settings-support-email"), &organisation.support_email),
        (fl!("settings-support-phone"), &organisation.support_phone),
        (fl!("settings-support-url"), &organisation.support_url),
    ];
    let mut lines = column![text(fl!(
        "settings-support",
        org = organisation.name.clone()
    ))]
    .spacing(spacing::XS);
    let mut any = false;
    for (label, value) in contacts {
        if let Some(value) = value {
            any = true;
            lines = lines.push(
                row![text(label).style(tone::muted), text(value.clone())].spacing(spacing::S),
            );
        }
    }
    if !any {
        lines = lines.push(explanation(fl!("settings-support-none")));
    }
    lines.into()
}

/// Set apart at the bottom: it cannot be undone.
fn danger_zone<'a>() -> Element<'a, Message> {
    container(
        column![
            text(fl!("settings-revoke-heading"))
                .size(text_size::LEAD)
                .style(tone::danger),
            explanation(fl!("settings-revoke-explained")),
            button(text(fl!("settings-revoke")))
                .id(REVOKE)
                .padding(pad::BUTTON)
                .style(button::danger)
                .on_press(Message::Revoke),
        ]
        .spacing(spacing::S),
    )
    .padding(pad::CARD)
    .width(Length::Fill)
    .style(surface::card)
    .into()
}

/// A titled, bordered group of rows.
fn section(title: String, rows: Column<'_, Message>) -> Element<'_, Message> {
    column![
        text(title).size(text_size::LEAD),
        container(rows.spacing(spacing::M))
            .padding(pad::CARD)
            .width(Length::Fill)
            .style(surface::card),
    ]
    .spacing(spacing::S)
    .into()
}

/// A button that opens another screen.
fn nav_button<'a>(id: &'static str, label: &str, message: Message) -> Element<'a, Message> {
    button(text(format!("{label} ›")))
        .id(id)
        .padding(pad::BUTTON_SMALL)
        .width(Length::Fill)
        .style(button::secondary)
        .on_press(message)
        .into()
}

/// A switch: a checkbox that Tab reaches and Space or Enter flips, as a click does.
fn switch<'a>(
    id: &'static str,
    label: String,
    on: bool,
    change: fn(bool) -> Change,
) -> Element<'a, Message> {
    focusable(
        checkbox(on)
            .label(label)
            .on_toggle(move |on| Message::Changed(change(on))),
        Some(Message::Changed(change(!on))),
    )
    .id(Some(id.into()))
    .into()
}

/// The choice after `current` in `choices`, round to the first.
pub(super) fn next<T: Copy + PartialEq>(choices: &[T], current: &T) -> T {
    let at = choices.iter().position(|c| c == current).unwrap_or(0);
    choices[(at + 1) % choices.len()]
}

fn labelled_row<'a>(
    label: String,
    control: impl Into<Element<'a, Message>>,
) -> Element<'a, Message> {
    row![text(label), space::horizontal(), control.into()]
        .align_y(Alignment::Center)
        .into()
}

fn explanation<'a>(line: String) -> Element<'a, Message> {
    text(line)
        .size(text_size::CAPTION)
        .style(tone::muted)
        .into()
}

/// A language as the list shows it: each in its own language, so someone who
/// cannot read the current one still finds theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LanguageChoice(pub(super) Language);

pub(super) const LANGUAGES: [LanguageChoice; 3] = [
    LanguageChoice(Language::System),
    LanguageChoice(Language::English),
    LanguageChoice(Language::Danish),
];

impl fmt::Display for LanguageChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Language::System => f.write_str(&fl!("settings-language-system")),
            Language::English => f.write_str("English"),
            Language::Danish => f.write_str("Dansk"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ThemeChoice(pub(super) saved::Theme);

pub(super) const THEMES: [ThemeChoice; 3] = [
    ThemeChoice(saved::Theme::System),
    ThemeChoice(saved::Theme::Light),
    ThemeChoice(saved::Theme::Dark),
];

impl fmt::Display for ThemeChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self.0 {
            saved::Theme::System => fl!("settings-theme-system"),
            saved::Theme::Light => fl!("settings-theme-light"),
            saved::Theme::Dark => fl!("settings-theme-dark"),
        })
    }
}

#[cfg(test)]
mod tests {
    use iced::keyboard::key::Named;

    use super::*;
    use crate::widget::focus::tab_then_press;

    #[test]
    fn a_switch_flips_from_the_keyboard() {
        for on in [true, false] {
            let switch = switch(
                NOTIFICATIONS,
                "Turn on notifications".into(),
                on,
                Change::Notifications,
            );
            let sent = tab_then_press(switch, 1, Named::Space);
            assert!(
                matches!(sent.as_slice(), [Message::Changed(Change::Notifications(now))] if *now != on),
                "{sent:?}"
            );
        }
    }

    #[test]
    fn enter_on_a_choice_moves_to_the_next_and_round() {
        assert_eq!(next(&THEMES, &THEMES[0]), THEMES[1]);
        assert_eq!(next(&THEMES, &THEMES[2]), THEMES[0]);
        assert_eq!(next(&LANGUAGES, &LANGUAGES[1]), LANGUAGES[2]);
    }
}
