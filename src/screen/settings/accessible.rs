//! The settings screen for a screen reader: each section's heading, the switches as
//! checkboxes with their state (one the organisation fixed is disabled and says
//! why), the language and theme as buttons that move on to the next choice (as
//! Enter on them does), the buttons to the other pages, and what the last change
//! came to; and what a screen reader's press on them means.

use godkend_a11y::Item;
use godkend_core::policy::Policy;
use godkend_core::settings::{self as saved};

use super::view::{LANGUAGES, LanguageChoice, THEMES, ThemeChoice, next};
use super::{
    BACK, CHANGE_PIN, COPY_SERIAL, LANGUAGE, LOCK_ON_CLOSE, MY_DEVICES, Message, NOTIFICATIONS,
    REVOKE, SHOW_GUIDE, START_AT_LOGIN, Settings, THEME,
};
use crate::fl;
use crate::user_settings::Change;

/// Shown so people know it is there; it cannot be switched off.
const AUTO_LOCK: &str = "settings-auto-lock";

impl Settings {
    /// What the screen shows for the user's settings under the organisation's
    /// `policy`, in words.
    pub fn describe(&self, current: &saved::Settings, policy: &Policy) -> Vec<Item> {
        let mut items = vec![Item::heading("settings-title", 1, fl!("settings-title"))];
        if let Some(notice) = &self.notice {
            items.push(Item::alert("settings-notice", notice.clone()));
        }
        self.describe_security(&mut items, current, policy);
        items.push(heading(
            "settings-notifications-heading",
            fl!("settings-notifications"),
        ));
        items.push(Item::toggle(
            NOTIFICATIONS,
            fl!("settings-notifications-on"),
            current.notifications,
            true,
        ));
        items.push(match policy.start_at_login {
            Some(on) => Item::toggle(START_AT_LOGIN, fl!("settings-start-at-login"), on, false)
                .with_note(fl!("settings-managed")),
            None => Item::toggle(
                START_AT_LOGIN,
                fl!("settings-start-at-login"),
                current.start_at_login,
                true,
            )
            .with_note(fl!("settings-start-at-login-why")),
        });
        if self.device.is_some() {
            items.push(heading("settings-devices-heading", fl!("settings-devices")));
            items.push(Item::button(MY_DEVICES, fl!("settings-my-devices"), true));
        }
        items.push(heading(
            "settings-appearance-heading",
            fl!("settings-appearance"),
        ));
        items.push(Item::button(
            LANGUAGE,
            format!(
                "{}: {}",
                fl!("settings-language"),
                LanguageChoice(current.language)
            ),
            true,
        ));
        items.push(Item::button(
            THEME,
            format!("{}: {}", fl!("settings-theme"), ThemeChoice(current.theme)),
            true,
        ));
        self.describe_help_and_about(&mut items);
        items.push(Item::button(BACK, fl!("back-button"), true));
        if self.device.is_some() {
            items.push(heading(
                "settings-revoke-heading",
                fl!("settings-revoke-heading"),
            ));
            items.push(Item::text(
                "settings-revoke-explained",
                fl!("settings-revoke-explained"),
            ));
            items.push(Item::button(REVOKE, fl!("settings-revoke"), true));
        }
        items
    }

    fn describe_security(&self, items: &mut Vec<Item>, current: &saved::Settings, policy: &Policy) {
        items.push(heading(
            "settings-security-heading",
            fl!("settings-security"),
        ));
        items.push(Item::toggle(
            LOCK_ON_CLOSE,
            fl!("settings-lock-on-close"),
            current.lock_on_close,
            true,
        ));
        items.push(
            Item::toggle(AUTO_LOCK, fl!("settings-auto-lock"), true, false)
                .with_note(fl!("settings-auto-lock-always")),
        );
        if let Some(problem) = &policy.problem {
            items.push(Item::alert(
                "settings-policy-unreadable",
                fl!("settings-policy-unreadable", problem = problem.clone()),
            ));
        }
        if self.device.is_some() && !policy.allows_biometrics() {
            items.push(Item::text(
                "settings-biometric-managed-off",
                fl!("settings-biometric-managed-off"),
            ));
        } else if self.device.is_some() {
            items.extend(self.biometric.describe());
        }
        if self.device.is_some() {
            items.push(Item::button(CHANGE_PIN, fl!("settings-change-pin"), true));
        }
    }

    fn describe_help_and_about(&self, items: &mut Vec<Item>) {
        items.push(heading("settings-help-heading", fl!("settings-help")));
        if let Some(device) = &self.device {
            let organisation = &device.organisation;
            items.push(Item::text(
                "settings-support",
                fl!("settings-support", org = organisation.name.clone()),
            ));
            let contacts = [
                (
                    "settings-support-email",
                    fl!("settings-support-email"),
                    &organisation.support_email,
                ),
                (
                    "settings-support-phone",
                    fl!("settings-support-phone"),
                    &organisation.support_phone,
                ),
                (
                    "settings-support-url",
                    fl!("settings-support-url"),
                    &organisation.support_url,
                ),
            ];
            let mut any = false;
            for (key, label, value) in contacts {
                if let Some(value) = value {
                    any = true;
                    items.push(Item::text(key, format!("{label}: {value}")));
                }
            }
            if !any {
                items.push(Item::text(
                    "settings-support-none",
                    fl!("settings-support-none"),
                ));
            }
        }
        items.push(Item::button(SHOW_GUIDE, fl!("settings-show-guide"), true));
        items.push(heading("settings-about-heading", fl!("settings-about")));
        if let Some(device) = &self.device {
            items.push(Item::text(
                "settings-serial",
                fl!("settings-serial", serial = device.serial.to_string()),
            ));
            items.push(Item::button(COPY_SERIAL, fl!("copy-button"), true));
        }
        items.push(Item::text(
            "settings-version",
            fl!("settings-version", version = env!("CARGO_PKG_VERSION")),
        ));
    }

    /// The message a screen reader's press on the control `key` stands for, with
    /// the settings as they are now (a switch flips, a choice moves on).
    pub fn pressed(&self, key: &str, current: &saved::Settings) -> Option<Message> {
        if let Some(message) = self.biometric.pressed(key) {
            return Some(Message::Biometric(message));
        }
        Some(match key {
            LOCK_ON_CLOSE => Message::Changed(Change::LockOnClose(!current.lock_on_close)),
            NOTIFICATIONS => Message::Changed(Change::Notifications(!current.notifications)),
            START_AT_LOGIN => Message::Changed(Change::StartAtLogin(!current.start_at_login)),
            LANGUAGE => Message::Changed(Change::Language(
                next(&LANGUAGES, &LanguageChoice(current.language)).0,
            )),
            THEME => Message::Changed(Change::Theme(next(&THEMES, &ThemeChoice(current.theme)).0)),
            MY_DEVICES => Message::MyDevices,
            CHANGE_PIN => Message::ChangePin,
            SHOW_GUIDE => Message::ShowGuide,
            COPY_SERIAL => Message::CopySerial,
            BACK => Message::Back,
            REVOKE => Message::Revoke,
            _ => return None,
        })
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &godkend_a11y::TypedValue) -> Option<Message> {
        super::biometric::Switch::entered(key, value).map(Message::Biometric)
    }
}

/// A section's heading (level 2).
fn heading(key: &str, text: String) -> Item {
    Item::heading(key, 2, text)
}

#[cfg(test)]
mod tests {
    use godkend_protocol::Serial;
    use godkend_protocol::messages::Organisation;

    use super::super::biometric::Switch;
    use super::*;

    fn item<'a>(items: &'a [Item], key: &str) -> &'a Item {
        items
            .iter()
            .find(|item| item.key() == key)
            .unwrap_or_else(|| panic!("no {key} in {items:?}"))
    }

    fn activated() -> Settings {
        Settings::activated_for_tests(
            Serial::from_number(48_210_937_551),
            Organisation {
                name: "Example Org".into(),
                support_email: Some("support@example.org".into()),
                support_phone: None,
                support_url: None,
            },
        )
        .with_biometric(Switch::default())
    }

    #[test]
    fn switches_read_as_checkboxes_and_a_press_flips_them() {
        let screen = activated();
        let current = saved::Settings::default();
        let items = screen.describe(&current, &Policy::default());
        assert_eq!(
            *item(&items, NOTIFICATIONS),
            Item::toggle(
                NOTIFICATIONS,
                fl!("settings-notifications-on"),
                current.notifications,
                true
            )
        );
        assert!(matches!(
            item(&items, AUTO_LOCK),
            Item::Toggle {
                on: true,
                enabled: false,
                ..
            }
        ));
        assert!(matches!(
            screen.pressed(NOTIFICATIONS, &current),
            Some(Message::Changed(Change::Notifications(on))) if on != current.notifications
        ));
        assert!(matches!(
            screen.pressed(LANGUAGE, &current),
            Some(Message::Changed(Change::Language(_)))
        ));
        assert!(matches!(
            screen.pressed(REVOKE, &current),
            Some(Message::Revoke)
        ));
        assert_eq!(
            *item(&items, "settings-support-email"),
            Item::text(
                "settings-support-email",
                format!("{}: support@example.org", fl!("settings-support-email"))
            )
        );
        assert!(screen.pressed("request-approve", &current).is_none());
    }

    #[test]
    fn a_switch_the_organisation_fixed_is_disabled_and_says_why() {
        let screen = activated();
        let policy = Policy {
            start_at_login: Some(true),
            biometrics: Some(false),
            ..Policy::default()
        };
        let items = screen.describe(&saved::Settings::default(), &policy);
        assert_eq!(
            *item(&items, START_AT_LOGIN),
            Item::toggle(START_AT_LOGIN, fl!("settings-start-at-login"), true, false)
                .with_note(fl!("settings-managed"))
        );
        assert!(
            items
                .iter()
                .any(|i| i.key() == "settings-biometric-managed-off")
        );
        let before = Settings::new(None, Switch::default());
        let items = before.describe(&saved::Settings::default(), &Policy::default());
        assert!(
            !items
                .iter()
                .any(|i| i.key() == REVOKE || i.key() == CHANGE_PIN),
            "nothing that needs a device before activation: {items:?}"
        );
    }
}
