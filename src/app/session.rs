//! Locked or unlocked: the panels that need the PIN, the unlock screen, Lock now,
//! the auto-lock, and Escape.

use crate::screen::DeviceScreen as _;

use super::{
    App, Guarded, Instant, Message, OsSessionEvent, Panel, Request, Task, Unlock, request, unlock,
};

impl App {
    /// Opens `panel`, after the PIN when there is a device and the app is locked.
    pub(super) fn open_guarded(&mut self, panel: Guarded) -> Task<Message> {
        let locked = self
            .agent
            .as_ref()
            .is_some_and(|agent| !agent.is_unlocked(Instant::now()));
        if locked {
            let unlock = Unlock::new().offering_biometric(self.offers_biometric_unlock());
            self.panel = Some(Panel::Unlock(unlock, panel));
            return Unlock::focus().map(Message::Unlock);
        }
        self.show_guarded(panel)
    }

    pub(super) fn show_guarded(&mut self, panel: Guarded) -> Task<Message> {
        match panel {
            Guarded::Activity => {
                self.open_activity();
                Task::none()
            }
            Guarded::Settings => self.open_settings(),
        }
    }

    pub(super) fn unlock(&mut self, message: unlock::Message) -> Task<Message> {
        let (Some(Panel::Unlock(screen, then)), Some(agent)) = (&mut self.panel, &mut self.agent)
        else {
            return Task::none();
        };
        let then = *then;
        let cancel = matches!(message, unlock::Message::CancelScan);
        let (work, event) = screen.update(message);
        let scan = matches!(work, Some(unlock::Work::Scan { .. }));
        let task = work.map_or_else(Task::none, |work| {
            Unlock::start(work, agent.device()).map(Message::Unlock)
        });
        if matches!(event, Some(unlock::Event::Unlocked)) {
            agent.proved(Instant::now());
        }
        let task = if scan { self.run_scan(task) } else { task };
        if cancel {
            self.cancel_scan();
        }
        let followup = match event {
            None => Task::none(),
            Some(unlock::Event::Unlocked) => self.show_guarded(then),
            Some(unlock::Event::Cancelled) => {
                self.panel = None;
                Task::none()
            }
            Some(unlock::Event::Blocked(status)) => self.device_ended(status),
            Some(unlock::Event::BiometricsRemoved) => {
                self.biometrics_removed();
                Task::none()
            }
        };
        Task::batch([task, followup])
    }

    /// Escape closes what is on top: a confirmation, else the panel.
    pub(super) fn escape(&mut self) -> Task<Message> {
        if self.panel.is_none() && self.request.as_ref().is_some_and(Request::is_confirming) {
            return self.request(request::Message::CancelNotMe);
        }
        if let Some(Panel::Devices(screen)) = &mut self.panel
            && screen.cancel()
        {
            return Task::none();
        }
        if let Some(Panel::Guide(_)) = self.panel {
            // Escape skips the guide, as its Skip link does.
            self.guide_finished();
        }
        self.panel = None;
        self.initial_focus()
    }

    /// Locks the app now (tray, settings): the guarded panels close.
    pub(super) fn lock(&mut self) -> Task<Message> {
        tracing::info!("locked");
        self.close_guarded();
        self.feed(|agent| agent.lock(Instant::now()))
    }

    /// The OS session locked or the computer sleeps: the app locks with it, as a
    /// password manager does. A resume locks too (the sleep may not have been heard
    /// in time, or only the clock check saw it) and reconnects the push connection
    /// at once, whose stream the sleep has most likely left dead.
    pub(super) fn os_session(&mut self, event: OsSessionEvent) -> Task<Message> {
        tracing::info!(?event, "OS session");
        if event == OsSessionEvent::Resumed {
            self.wake.notify_one();
        }
        self.lock()
    }

    /// Closes a panel that needs the app unlocked, once it is locked.
    pub(super) fn close_guarded(&mut self) {
        // A revocation under way stays: its answer says what shows next.
        if let Some(Panel::Revoke(revoke)) = &self.panel
            && revoke.is_working()
        {
            return;
        }
        if matches!(
            self.panel,
            Some(
                Panel::Settings(_)
                    | Panel::Activity(_)
                    | Panel::Unlock(..)
                    | Panel::ChangePin(_)
                    | Panel::Devices(_)
                    | Panel::Revoke(_)
            )
        ) {
            self.panel = None;
        }
    }
}
