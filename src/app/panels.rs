//! The panels over the main screen: settings and its sub-screens (change PIN, my
//! devices, revoke, the uninstall screen), activity, the guide and help.

use crate::screen::{DeviceScreen, Leave};

use super::{
    Activity, App, Arc, ChangePin, Devices, Guide, Help, Message, Panel, Removed, Revoke, Screen,
    Settings, Task, Welcome, activity, change_pin, devices, guide, help, removed, revoke, settings,
    user_settings,
};

impl App {
    pub(super) fn settings(&mut self, message: settings::Message) -> Task<Message> {
        // The app's copy of the biometric key follows the switch's change even when
        // the panel closed meanwhile (a request arrived, the app locked).
        let switched = match &message {
            settings::Message::Biometric(settings::biometric::Message::Changed(result)) => {
                self.biometrics_switched(result)
            }
            _ => Task::none(),
        };
        let Some(Panel::Settings(screen)) = &mut self.panel else {
            return switched;
        };
        let (task, event) = screen.update(message);
        let followup = match event {
            Some(settings::Event::Biometric(event)) => self.switch_biometrics(event),
            Some(settings::Event::Closed) => {
                self.panel = None;
                Task::none()
            }
            Some(settings::Event::Changed(change)) => self.change_setting(change),
            Some(settings::Event::ShowGuide) => {
                self.show_guide();
                Task::none()
            }
            Some(settings::Event::ChangePin) => {
                self.panel = Some(Panel::ChangePin(ChangePin::new()));
                iced::widget::operation::focus(change_pin::CURRENT_FIELD)
            }
            Some(settings::Event::MyDevices) => self.open_devices(),
            Some(settings::Event::Revoke) => {
                self.panel = Some(Panel::Revoke(Revoke::new()));
                iced::widget::operation::focus(revoke::PIN_FIELD)
            }
            None => Task::none(),
        };
        Task::batch([task.map(Message::Settings), followup, switched])
    }

    /// Applies and saves a setting, and tells the settings screen how it went.
    pub(super) fn change_setting(&mut self, change: user_settings::Change) -> Task<Message> {
        let result = self.user_settings.apply(change);
        match change {
            user_settings::Change::Language(language) => crate::i18n::select_language(language),
            // Off means none on screen either.
            user_settings::Change::Notifications(false) => self.notifier.withdraw_all(),
            _ => {}
        }
        if let Some(Panel::Settings(screen)) = &mut self.panel {
            screen.applied(result);
        }
        Task::none()
    }

    pub(super) fn change_pin(&mut self, message: change_pin::Message) -> Task<Message> {
        self.settings_page(message, Message::ChangePin, |panel| match panel {
            Panel::ChangePin(screen) => Some(screen),
            _ => None,
        })
    }

    pub(super) fn open_devices(&mut self) -> Task<Message> {
        let Some(agent) = &self.agent else {
            return Task::none();
        };
        let (screen, load) = Devices::new(agent.client().device_id.clone());
        self.panel = Some(Panel::Devices(screen));
        Devices::start(load, agent.device()).map(Message::Devices)
    }

    pub(super) fn devices(&mut self, message: devices::Message) -> Task<Message> {
        self.settings_page(message, Message::Devices, |panel| match panel {
            Panel::Devices(screen) => Some(screen),
            _ => None,
        })
    }

    pub(super) fn revoke(&mut self, message: revoke::Message) -> Task<Message> {
        self.settings_page(message, Message::Revoke, |panel| match panel {
            Panel::Revoke(screen) => Some(screen),
            _ => None,
        })
    }

    /// One handler for the settings pages that need the PIN: the page updates, the
    /// app runs its work against the agent's device, and how the page is left
    /// decides what shows next.
    fn settings_page<S>(
        &mut self,
        message: S::Message,
        wrap: fn(S::Message) -> Message,
        page: fn(&mut Panel) -> Option<&mut S>,
    ) -> Task<Message>
    where
        S: DeviceScreen<Event = Leave>,
        S::Message: Send + 'static,
    {
        let (Some(screen), Some(agent)) = (self.panel.as_mut().and_then(page), &self.agent) else {
            return Task::none();
        };
        let (work, leave) = screen.update(message);
        let task = work.map_or_else(Task::none, |work| S::start(work, agent.device()).map(wrap));
        let followup = match leave {
            None => Task::none(),
            // A new PIN takes the biometric key with it: the app's copy follows.
            Some(Leave::Back) => Task::batch([self.open_settings(), self.load_biometrics()]),
            Some(Leave::Revoked) => self.revoked(),
            Some(Leave::DeviceEnded(status)) => self.device_ended(status),
        };
        Task::batch([task, followup])
    }

    /// This computer is revoked and wiped: back to the welcome screen, with the
    /// uninstall screen over it. The settings file went with the wipe.
    pub(super) fn revoked(&mut self) -> Task<Message> {
        tracing::info!("this computer was revoked by its user");
        self.agent = None;
        self.notifier.withdraw_all();
        self.request = None;
        self.user_settings.reset();
        self.screen = Screen::Welcome(Welcome::new(None));
        self.panel = Some(Panel::Removed(Removed::new()));
        Task::none()
    }

    pub(super) fn removed(&mut self, message: removed::Message) -> Task<Message> {
        let Some(Panel::Removed(screen)) = &mut self.panel else {
            return Task::none();
        };
        let (task, event) = screen.update(message);
        if let Some(removed::Event::Closed) = event {
            self.panel = None;
        }
        task.map(Message::Removed)
    }

    /// The server says this device is blocked or revoked: wipe it if the signed
    /// status says so, which takes the app back to the welcome screen.
    pub(super) fn device_ended(
        &mut self,
        status: Option<godkend_protocol::Envelope>,
    ) -> Task<Message> {
        self.panel = None;
        match (&self.agent, status) {
            (Some(agent), Some(status)) => super::live::wipe(agent, status),
            _ => Task::none(),
        }
    }

    pub(super) fn help(&mut self, message: help::Message) -> Task<Message> {
        match Help::update(message) {
            help::Event::Closed => self.panel = None,
        }
        Task::none()
    }

    pub(super) fn activity(&mut self, message: activity::Message) -> Task<Message> {
        match Activity::update(message) {
            activity::Event::Closed => self.panel = None,
        }
        Task::none()
    }

    /// The settings panel, with the support contacts fetched afresh.
    pub(super) fn open_settings(&mut self) -> Task<Message> {
        let device = self.agent.as_ref().map(|agent| Arc::clone(agent.device()));
        let account = device.as_ref().map(|d| &d.config.account);
        let switch = self.biometric_switch();
        self.panel = Some(Panel::Settings(Settings::new(account, switch)));
        // The support contacts may have changed since activation.
        let organisation = device.map_or_else(Task::none, |device| {
            Task::perform(crate::device::organisation(device), |result| {
                Message::Settings(settings::Message::OrganisationLoaded(result))
            })
        });
        Task::batch([organisation, self.probe_biometrics()])
    }

    /// The activity screen over home, with the activity log as it is now.
    pub(super) fn open_activity(&mut self) {
        if let Some(agent) = &self.agent {
            let activity = Activity::new(agent.activity(), agent.server_now());
            self.panel = Some(Panel::Activity(activity));
        }
    }

    /// A request arrived or closed: an open activity screen shows it.
    pub(super) fn refresh_activity(&mut self) {
        if let (Some(agent), Some(Panel::Activity(activity))) = (&self.agent, &mut self.panel) {
            activity.refresh(agent.activity(), agent.server_now());
        }
    }

    pub(super) fn guide(&mut self, message: guide::Message) -> Task<Message> {
        let Some(Panel::Guide(guide)) = &mut self.panel else {
            return Task::none();
        };
        if let Some(guide::Event::Finished) = guide.update(message) {
            self.guide_finished();
        }
        Task::none()
    }

    /// Opens the first-run guide over the current screen, at its first page: after
    /// activation, and from the settings ("Show guide").
    pub(super) fn show_guide(&mut self) {
        self.panel = Some(Panel::Guide(Guide::new()));
    }

    /// The guide was read to the end or skipped: it does not show by itself again.
    pub(super) fn guide_finished(&mut self) {
        self.user_settings.guide_seen();
        self.panel = None;
    }
}
