//! What comes from the desktop around the window: the tray's menu and what it
//! shows, and other launches of the app.

use super::{App, Guarded, Instant, Message, Screen, Task, fl, instance, tray};

impl App {
    pub(super) fn tray_action(&mut self, action: tray::Action) -> Task<Message> {
        match action {
            tray::Action::Open => self.open_window(),
            tray::Action::Quit => {
                self.notifier.withdraw_all_before_quitting();
                iced::exit()
            }
            tray::Action::Lock => self.lock(),
            tray::Action::Settings => {
                let open = self.open_window();
                Task::batch([open, self.open_guarded(Guarded::Settings)])
            }
            tray::Action::Review => {
                let focus = self.review();
                Task::batch([self.open_window(), focus])
            }
            tray::Action::NoHost => {
                crate::notification::tell(fl!("tray-no-host-title"), fl!("tray-no-host-body"));
                Task::none()
            }
        }
    }

    /// Another launch: the window comes to the front, with its link in the
    /// activation form when this computer is not activated yet.
    pub(super) fn handover(&mut self, handover: instance::Handover) -> Task<Message> {
        if let instance::Handover::Activate(link) = handover {
            if let Screen::Welcome(welcome) = &mut self.screen {
                welcome.use_link(link);
                // The form with the link is what the user came for.
                self.panel = None;
            } else {
                tracing::info!("already activated; the link from another launch is not used");
            }
        }
        self.open_window()
    }

    /// What the tray shows: locked or not, online or not, and what waits.
    pub(super) fn tray_status(&self, now: Instant) -> tray::Status {
        let Some(agent) = &self.agent else {
            return tray::Status {
                // Grey until there is a device: nothing will arrive yet.
                look: tray::Look {
                    online: false,
                    ..tray::Look::default()
                },
                pending_from: None,
                can_lock: false,
                activated: false,
            };
        };
        let unlocked = agent.is_unlocked(now);
        let pending_from = agent.pending().map(|p| p.request.rp_name.clone());
        tray::Status {
            look: tray::Look {
                mark: if unlocked {
                    tray::Mark::Check
                } else {
                    tray::Mark::Padlock
                },
                online: agent.is_online(),
                pending: pending_from.is_some(),
            },
            pending_from,
            can_lock: unlocked,
            activated: true,
        }
    }
}
