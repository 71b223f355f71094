//! What happens to the app: the user, the window, the tray, the OS, the push
//! connection and the work it started, each as one message for `App::update`.

use super::{
    Answer, Arc, Device, OsSessionEvent, PushUpdate, Size, activity, biometrics, change_pin,
    devices, guide, handoff, help, home, instance, notification, problem, removed, request, revoke,
    settings, tray, unlock, welcome, window,
};

#[derive(Debug, Clone)]
pub enum Message {
    Loaded(Result<Option<Arc<Device>>, String>),
    Welcome(welcome::Message),
    Problem(problem::Message),
    Home(home::Message),
    /// From the push connection of the agent's device.
    Push(PushUpdate),
    /// Decisions that waited in the outbox of the device with this id were sent:
    /// the answer to each.
    Flushed(String, Vec<(String, Answer)>),
    /// The local wipe of the device with this id after a signed "revoked" or
    /// "blocked": whether it wiped.
    Wiped(String, Result<bool, String>),
    Request(request::Message),
    /// Once a second while a request is pending: countdowns and expiry.
    Tick,
    Settings(settings::Message),
    Help(help::Message),
    Unlock(unlock::Message),
    /// While unlocked: time to check the auto-lock.
    SessionTick,
    Activity(activity::Message),
    Guide(guide::Message),
    ChangePin(change_pin::Message),
    Devices(devices::Message),
    Revoke(revoke::Message),
    Removed(removed::Message),
    OpenSettings,
    OpenHelp,
    /// Tab and Shift+Tab: every control is reachable by keyboard.
    FocusNext,
    FocusPrevious,
    /// Escape closes what is open on top: a question, then a panel.
    Escape,
    Tray(tray::Action),
    /// Another launch of the app handed over to this one.
    Handover(instance::Handover),
    /// What the user did with a request's notification, if anything.
    Notification(Option<notification::Action>),
    WindowOpened(window::Id),
    /// The logical size of the monitor the window opened on, when the OS tells.
    MonitorMeasured(window::Id, Option<Size>),
    WindowClosed(window::Id),
    /// The app has waited in the tray for a while, with this many windows opened
    /// so far (src/memory.rs: its code pages go).
    QuietInTray(u64),
    /// The window changed size.
    WindowResized(window::Id),
    /// The OS session locked, or the computer sleeps or woke up.
    OsSession(OsSessionEvent),
    /// The device's biometric key (when on) and the server's policy on it.
    BiometricsLoaded(biometrics::Loaded),
    /// The browser hand-off listener for the device with this id started, or why not.
    HandoffStarted(String, Result<handoff::Started, String>),
    /// A hand-off reached a pending request.
    HandedOff(godkend_core::handoff::HandoffEvent),
    /// A screen reader asked to focus, press or type (godkend-a11y).
    Asked(godkend_a11y::Request),
    /// The widget with the keyboard focus, looked up after a message that may
    /// have moved it.
    Focused(Option<iced::advanced::widget::Id>),
    /// The window gained (true) or lost the keyboard focus.
    WindowFocus(bool),
    /// The OS's light or dark mode, at start and when it changes.
    SystemTheme(iced::theme::Mode),
}

impl Message {
    /// Whether this is the user doing something in the window, which keeps an
    /// unlocked app unlocked (the auto-lock counts five minutes without it).
    pub(super) fn is_user_activity(&self) -> bool {
        matches!(
            self,
            Message::Settings(_)
                | Message::Activity(_)
                | Message::ChangePin(_)
                | Message::Devices(_)
                | Message::Revoke(_)
                | Message::Guide(_)
                | Message::Help(_)
                | Message::Home(home::Message::Review)
                | Message::OpenSettings
                | Message::OpenHelp
                | Message::FocusNext
                | Message::FocusPrevious
                | Message::Escape
                | Message::Asked(_)
        )
    }

    /// Whether the keyboard focus may have moved after this message: after almost
    /// any (a push can open the request screen on its code field), but not after a
    /// timer or the focus's own report, which would look it up forever.
    pub(super) fn may_move_focus(&self) -> bool {
        !matches!(
            self,
            Message::Focused(_)
                | Message::Tick
                | Message::SessionTick
                | Message::QuietInTray(_)
                | Message::WindowFocus(_)
                | Message::SystemTheme(_)
        )
    }
}
