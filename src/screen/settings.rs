//! Settings (the gear, top left, as in NemID): security, notifications, devices,
//! appearance, help and about, and at the bottom revoking this computer. The
//! switches show the app's settings; a change goes to the app as an [`Event`],
//! which applies and saves it, so the screen never holds a second copy.

use godkend_core::config::Account;
use godkend_protocol::Serial;
use godkend_protocol::messages::server::Organisation;
use iced::Task;

use crate::fl;
use crate::user_settings::{Change, ChangeError};

/// The settings screen's state.
pub struct Settings {
    /// This computer's serial number and organisation; `None` before activation,
    /// which hides everything that needs a device.
    device: Option<ThisDevice>,
    /// The biometric switch (shown where the platform's check is available).
    biometric: biometric::Switch,
    /// Why the last change did not apply or was not saved.
    notice: Option<String>,
}

/// What the screen shows about the activated device.
struct ThisDevice {
    serial: Serial,
    /// From activation at first; replaced by what the server says now.
    organisation: Organisation,
}

#[derive(Debug, Clone)]
pub enum Message {
    Back,
    Changed(Change),
    ChangePin,
    MyDevices,
    Revoke,
    ShowGuide,
    CopySerial,
    /// The server's current organisation details, or why they could not be fetched.
    OrganisationLoaded(Result<Organisation, String>),
    Biometric(biometric::Message),
}

/// What the settings screen tells the app.
#[derive(Debug, PartialEq)]
pub enum Event {
    Closed,
    /// The user changed a setting: the app applies and saves it.
    Changed(Change),
    ChangePin,
    MyDevices,
    Revoke,
    ShowGuide,
    Biometric(biometric::Event),
}

impl Settings {
    /// `account` is `None` before activation.
    /// The screen of an activated device (tests and the screenshot gallery).
    #[cfg(test)]
    pub fn activated_for_tests(serial: Serial, organisation: Organisation) -> Self {
        let mut screen = Settings::new(None, biometric::Switch::default());
        screen.device = Some(ThisDevice {
            serial,
            organisation,
        });
        screen
    }

    /// The same screen with `switch` for biometrics (tests and the gallery).
    #[cfg(test)]
    #[must_use]
    pub fn with_biometric(mut self, switch: biometric::Switch) -> Self {
        self.biometric = switch;
        self
    }

    pub fn new(account: Option<&Account>, biometric: biometric::Switch) -> Self {
        Settings {
            device: account.map(|account| ThisDevice {
                serial: account.serial.clone(),
                organisation: account.org.clone(),
            }),
            biometric,
            notice: None,
        }
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        let event = match message {
            Message::Back => Event::Closed,
            Message::Changed(change) => Event::Changed(change),
            Message::ChangePin => Event::ChangePin,
            Message::MyDevices => Event::MyDevices,
            Message::Revoke => Event::Revoke,
            Message::ShowGuide => Event::ShowGuide,
            Message::CopySerial => return (self.copy_serial(), None),
            Message::OrganisationLoaded(result) => {
                self.organisation_loaded(result);
                return (Task::none(), None);
            }
            Message::Biometric(message) => {
                // Before activation there is no key to register.
                if self.device.is_none() {
                    return (Task::none(), None);
                }
                let asking = self.biometric.is_asking_pin();
                let event = self.biometric.update(message).map(Event::Biometric);
                // The PIN field appears: typing goes there.
                let focus = if !asking && self.biometric.is_asking_pin() {
                    iced::widget::operation::focus(biometric::PIN_FIELD)
                } else {
                    Task::none()
                };
                return (focus, event);
            }
        };
        (Task::none(), Some(event))
    }

    /// What became of the last change, as the app applied it.
    pub fn applied(&mut self, result: Result<(), ChangeError>) {
        self.notice = result.err().map(|error| match error {
            ChangeError::Autostart(reason) => fl!("settings-autostart-failed", reason = reason),
            ChangeError::Save(reason) => fl!("settings-save-failed", reason = reason),
            ChangeError::Managed => fl!("settings-managed"),
        });
    }

    /// Puts the serial number on the clipboard, for a support request.
    fn copy_serial(&self) -> Task<Message> {
        match &self.device {
            Some(device) => iced::clipboard::write(device.serial.to_string()),
            None => Task::none(),
        }
    }

    fn organisation_loaded(&mut self, result: Result<Organisation, String>) {
        match (result, &mut self.device) {
            (Ok(organisation), Some(device)) => device.organisation = organisation,
            // The details from activation stay; they are usually still right.
            (Err(reason), _) => {
                tracing::info!(%reason, "could not fetch the support contacts");
            }
            (Ok(_), None) => {}
        }
    }
}

/// The controls' widget ids, which are also their keys for a screen reader.
const LOCK_ON_CLOSE: &str = "settings-lock-on-close";
const NOTIFICATIONS: &str = "settings-notifications";
const START_AT_LOGIN: &str = "settings-start-at-login";
const LANGUAGE: &str = "settings-language";
const THEME: &str = "settings-theme";
const MY_DEVICES: &str = "settings-my-devices";
const CHANGE_PIN: &str = "settings-change-pin";
const SHOW_GUIDE: &str = "settings-show-guide";
const COPY_SERIAL: &str = "settings-copy-serial";
const BACK: &str = "settings-back";
const REVOKE: &str = "settings-revoke";

mod accessible;
pub mod biometric;
mod view;

#[cfg(test)]
mod tests;
