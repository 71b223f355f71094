//! The desktop app: an `iced::daemon` that lives in the tray. Opening it creates the
//! window; closing the window destroys it but the app (tray, push connection) keeps
//! running until Quit. `update` is a flat table of contents: each message calls one
//! named method.

use std::hash::{Hash, Hasher};
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use godkend_core::agent::{Agent, Choice, Effects, Notice, Work};
use godkend_core::answer::Answer;
use godkend_core::client::DeviceClient;
use godkend_core::connection::{self, ConnectionPolicy, PushUpdate};
use godkend_core::device::Device;
use godkend_core::os_session::OsSessionEvent;
use godkend_core::push::VerifiedRequest;
use godkend_core::standing::Standing;
use iced::futures::{SinkExt as _, Stream};
use iced::{Size, Subscription, Task, keyboard, window};
use tokio::sync::{Notify, mpsc};

use crate::fl;
use crate::instance;
use crate::notification::{self, Notifier};
use crate::screen::activity::{self, Activity};
use crate::screen::change_pin::{self, ChangePin};
use crate::screen::devices::{self, Devices};
use crate::screen::guide::{self, Guide};
use crate::screen::help::{self, Help, Topic};
use crate::screen::home;
use crate::screen::problem::{self, Problem};
use crate::screen::removed::{self, Removed};
use crate::screen::request::{self, Request};
use crate::screen::revoke::{self, Revoke};
use crate::screen::settings::{self, Settings};
use crate::screen::unlock::{self, Unlock};
use crate::screen::welcome::{self, Welcome};
use crate::tray::{self, Tray};
use crate::user_settings::{self, UserSettings};

/// Starts the desktop app and runs it until Quit. With `tray_only` an activated app
/// starts without its window (start at login).
pub fn run(
    link: Option<String>,
    tray_only: bool,
    listener: Option<instance::Listener>,
) -> iced::Result {
    // iced and winit say a lot at info level; the app's own lines are what tests read.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "warn,godkend=info,godkend_core=info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
    let listener = Mutex::new(listener);
    iced::daemon(
        move || App::boot(link.clone(), tray_only, take(&listener)),
        App::update,
        App::view,
    )
    .title(|_: &App, _| fl!("app-name"))
    .theme(|app: &App, _| app.user_settings.theme(app.system_theme))
    .subscription(App::subscription)
    .executor::<executor::Runtime>()
    .run()
}

/// The window's size when it opens (the screenshot gallery draws at this size too).
const WINDOW_SIZE: Size = Size::new(560.0, 760.0);

/// The main screen under any panel.
enum Screen {
    /// Loading the device (config, keyring) at start.
    Starting,
    /// The device could not be loaded; the reason, for the user to act on.
    Problem(Problem),
    Welcome(Welcome),
    /// The activated device's home screen; the app's agent has the device.
    Home,
}

/// A screen opened from the header over the main screen, which keeps its state.
enum Panel {
    /// The last page of activation (the serial number), over home.
    Activated(Welcome),
    Settings(Settings),
    Help(Help),
    /// The PIN, before a panel that needs the app unlocked.
    Unlock(Unlock, Guarded),
    Activity(Activity),
    Guide(Guide),
    ChangePin(ChangePin),
    Devices(Devices),
    Revoke(Revoke),
    /// After revoking this computer: how to uninstall, over the welcome screen.
    Removed(Removed),
}

/// The panels that show only while the app is unlocked (design.md §3): they show
/// the user's activity and change how the device behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guarded {
    Settings,
    Activity,
}

/// How often an unlocked app checks whether it should lock itself.
const AUTO_LOCK_CHECK: Duration = Duration::from_secs(5);

/// The app's state. It outlives its window: at most one is open at a time.
pub struct App {
    window: Option<window::Id>,
    screen: Screen,
    panel: Option<Panel>,
    /// The request screen, over the home screen. It holds the PIN key of one
    /// approval, so it closes with the window.
    request: Option<Request>,
    /// A link from the command line, for the welcome screen.
    link: Option<String>,
    /// Started at login: no window once the device is loaded.
    tray_only: bool,
    /// The OS notifications of pending requests.
    notifier: Notifier,
    /// The activated device, live: its requests, connection and unlock session.
    /// Present exactly while the main screen is home.
    agent: Option<Agent>,
    tray: Tray,
    /// Where other launches hand over (taken by its subscription).
    instance: Arc<Mutex<Option<instance::Listener>>>,
    /// The user's settings, loaded at start and saved on every change.
    user_settings: UserSettings,
    /// Tells the push connection to reconnect at once (after a resume).
    wake: Arc<Notify>,
    /// The device's biometric key, the server's policy on it, the scan under way.
    biometrics: biometrics::Biometrics,
    /// The open window's screen-reader side (none while the window is closed).
    accessible: Option<accessibility::Accessible>,
    /// The OS's light or dark mode, for the theme that follows it.
    system_theme: iced::theme::Mode,
    /// Windows opened so far: a release of the code pages planned while the app
    /// was in the tray is off if a window opened since.
    windows_opened: u64,
}

impl App {
    fn boot(
        link: Option<String>,
        tray_only: bool,
        listener: Option<instance::Listener>,
    ) -> (Self, Task<Message>) {
        let user_settings = UserSettings::platform();
        crate::i18n::select_language(user_settings.current().language);
        let app = App {
            window: None,
            screen: Screen::Starting,
            panel: None,
            request: None,
            link,
            tray_only,
            notifier: Notifier::default(),
            agent: None,
            tray: Tray::spawn(),
            instance: Arc::new(Mutex::new(listener)),
            user_settings,
            wake: Arc::new(Notify::new()),
            biometrics: biometrics::Biometrics::default(),
            accessible: None,
            system_theme: iced::theme::Mode::None,
            windows_opened: 0,
        };
        // The window opens once it is known what it should show.
        let load = Task::perform(crate::device::load(), Message::Loaded);
        let mode = iced::system::theme().map(Message::SystemTheme);
        (app, Task::batch([load, mode]))
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        self.update_at(message, Instant::now())
    }

    /// One message at `now`. The auto-lock comes first, as one explicit step: any
    /// message (a heartbeat, a tick, a key) may be the first after the five minutes,
    /// and whichever it is closes the panels that needed the PIN.
    pub(super) fn update_at(&mut self, message: Message, now: Instant) -> Task<Message> {
        let locked = self.agent.as_mut().map(|agent| agent.expire(now));
        let locked = self.apply(locked.unwrap_or_default());
        if message.is_user_activity()
            && let Some(agent) = &mut self.agent
        {
            agent.touch(now);
        }
        let moves_focus = message.may_move_focus();
        let task = self.dispatch(message);
        self.drop_finished_scan();
        let status = self.tray_status(now);
        self.tray.show(status);
        // Batched after the message's own work, so a focus change it makes is applied
        // before the focus is looked up (not chained: that work may wait for long,
        // as a notification waits for its answer).
        let accessible = self.after_message(moves_focus);
        Task::batch([locked, task, accessible])
    }

    fn dispatch(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Loaded(result) => self.loaded(result),
            Message::Welcome(message) => self.welcome(message),
            Message::Problem(message) => self.problem(message),
            Message::Home(message) => self.home(&message),
            Message::Push(update) => self.feed(|agent| agent.push(&update)),
            // Answers about a device that is gone (wiped, replaced) are not this one's.
            Message::Flushed(device, answers) => {
                self.feed_device(&device, |agent| agent.flushed(answers))
            }
            Message::Wiped(device, result) => {
                self.feed_device(&device, |agent| agent.wiped(result))
            }
            Message::Request(message) => self.request(message),
            Message::Tick => self.tick(),
            Message::Settings(message) => self.settings(message),
            Message::Help(message) => self.help(message),
            Message::Unlock(message) => self.unlock(message),
            Message::Activity(message) => self.activity(message),
            Message::Guide(message) => self.guide(message),
            Message::ChangePin(message) => self.change_pin(message),
            Message::Devices(message) => self.devices(message),
            Message::Revoke(message) => self.revoke(message),
            Message::Removed(message) => self.removed(message),
            Message::OpenSettings => self.open_guarded(Guarded::Settings),
            Message::OpenHelp => self.open_help(),
            Message::FocusNext => iced::widget::operation::focus_next(),
            Message::FocusPrevious => iced::widget::operation::focus_previous(),
            Message::Escape => self.escape(),
            Message::Tray(action) => self.tray_action(action),
            Message::Handover(handover) => self.handover(handover),
            Message::Notification(Some(action)) => self.notification(action),
            // The auto-lock ran in `update_at`: its tick only wakes the app for it.
            Message::SessionTick | Message::Notification(None) => Task::none(),
            Message::WindowOpened(id) => self.window_opened(id),
            Message::MonitorMeasured(id, monitor) => Self::fit_window(id, monitor),
            Message::WindowResized(id) => self.window_resized(id),
            Message::WindowClosed(id) => self.window_closed(id),
            Message::QuietInTray(opened) => self.quiet_in_tray(opened),
            Message::OsSession(event) => self.os_session(event),
            Message::BiometricsLoaded(loaded) => self.biometrics_loaded(loaded),
            Message::HandoffStarted(device, result) => self.handoff_started(&device, result),
            Message::HandedOff(event) => self.handed_off(&event),
            Message::Asked(asked) => self.asked(&asked),
            Message::Focused(id) => self.focused(id),
            Message::WindowFocus(focused) => self.window_focus(focused),
            Message::SystemTheme(mode) => {
                self.system_theme = mode;
                Task::none()
            }
        }
    }

    fn loaded(&mut self, result: Result<Option<Arc<Device>>, String>) -> Task<Message> {
        self.screen = match result {
            Ok(Some(device)) => {
                tracing::info!("device loaded");
                self.agent = Some(Agent::new(device));
                self.biometrics = biometrics::Biometrics::default();
                self.user_settings.loaded_device();
                Screen::Home
            }
            Ok(None) => {
                tracing::info!("not activated yet");
                Screen::Welcome(Welcome::new(self.link.take()))
            }
            Err(reason) => {
                tracing::warn!(%reason, "the device could not be loaded");
                Screen::Problem(Problem::new(reason))
            }
        };
        // Activation and problems need the window; an activated app started at
        // login waits in the tray.
        let biometrics = Task::batch([self.load_biometrics(), self.start_handoff()]);
        if self.tray_only && matches!(self.screen, Screen::Home) {
            return Task::batch([biometrics, self.release_code_when_quiet()]);
        }
        Task::batch([biometrics, self.open_window()])
    }

    fn problem(&mut self, message: problem::Message) -> Task<Message> {
        let Screen::Problem(problem) = &mut self.screen else {
            return Task::none();
        };
        let (task, event) = problem.update(message);
        let followup = match event {
            None => Task::none(),
            Some(problem::Event::Retry) => {
                self.screen = Screen::Starting;
                Task::perform(crate::device::load(), Message::Loaded)
            }
            Some(problem::Event::Forgotten) => {
                self.screen = Screen::Welcome(Welcome::new(self.link.take()));
                Task::none()
            }
        };
        Task::batch([task.map(Message::Problem), followup])
    }

    /// The welcome screen, or its last page (the serial number) over home once the
    /// device is activated.
    fn welcome(&mut self, message: welcome::Message) -> Task<Message> {
        let ((Screen::Welcome(welcome), _) | (_, Some(Panel::Activated(welcome)))) =
            (&mut self.screen, &mut self.panel)
        else {
            return Task::none();
        };
        let (task, event) = welcome.update(message);
        match event {
            Some(welcome::Event::Activated(device)) => {
                self.activated(device);
                return Task::batch([
                    task.map(Message::Welcome),
                    self.load_biometrics(),
                    self.start_handoff(),
                ]);
            }
            Some(welcome::Event::Continued) => {
                self.panel = None;
                if !self.user_settings.current().guide_shown {
                    self.show_guide();
                }
            }
            None => {}
        }
        task.map(Message::Welcome)
    }

    /// The device goes live at once (push connection, notifications); the welcome
    /// screen's last page stays on top until the user goes on.
    fn activated(&mut self, device: Arc<Device>) {
        let mut agent = Agent::new(device);
        // The user has just chosen the PIN and the server registered its key: as good
        // a proof as an unlock.
        agent.proved(Instant::now());
        self.agent = Some(agent);
        self.biometrics = biometrics::Biometrics::default();
        let screen = std::mem::replace(&mut self.screen, Screen::Home);
        if let Screen::Welcome(welcome) = screen {
            self.panel = Some(Panel::Activated(welcome));
        }
        self.user_settings.activated();
    }

    fn home(&mut self, message: &home::Message) -> Task<Message> {
        match home::update(message) {
            home::Event::Review => self.review(),
            home::Event::SeeAll => self.open_guarded(Guarded::Activity),
        }
    }

    /// Opens the pending request, if any.
    pub(super) fn review(&mut self) -> Task<Message> {
        let Some(agent) = &self.agent else {
            return Task::none();
        };
        let now = agent.server_now();
        match agent.pending().cloned() {
            Some(pending) => self.open_request(pending, now),
            None => Task::none(),
        }
    }

    /// Review opens the window on the request (or what became of it); Deny denies
    /// it with the device key, as the request screen's Deny does.
    fn notification(&mut self, action: notification::Action) -> Task<Message> {
        let Some(agent) = &self.agent else {
            return Task::none();
        };
        let now = agent.server_now();
        match action {
            notification::Action::Review(id) => {
                let Some((request, standing)) = agent.tracked(&id) else {
                    return self.open_window();
                };
                let request = request.clone();
                let shown = self.request.as_ref().map(Request::request_id);
                let mut focus = Task::none();
                if shown != Some(id.as_str()) {
                    focus = self.open_request(request, now);
                    if let Some(screen) = &mut self.request {
                        screen.closed(standing);
                    }
                }
                self.panel = None;
                Task::batch([self.open_window(), focus])
            }
            notification::Action::Deny(id) => {
                if self
                    .request
                    .as_ref()
                    .is_some_and(|r| r.request_id() == id && r.is_open())
                {
                    return self.request(request::Message::Deny);
                }
                let pending = match agent.tracked(&id) {
                    Some((request, Standing::Pending))
                        if !godkend_protocol::rules::is_expired(request.request.exp, now) =>
                    {
                        Some(request.clone())
                    }
                    _ => None,
                };
                match (pending, &mut self.agent) {
                    (Some(request), Some(agent)) => {
                        tracing::info!(request = %id, "denied from the notification");
                        decide(agent, &request, Choice::Deny)
                    }
                    _ => Task::none(),
                }
            }
        }
    }

    /// Shows `pending` on the request screen, with the code field focused.
    fn open_request(&mut self, pending: VerifiedRequest, now: i64) -> Task<Message> {
        tracing::info!(request = %pending.request.request_id, "request shown");
        let biometric = self.offers_biometric_approval(pending.request.user_verification);
        let binding = self.binding(&pending.request.request_id);
        let mut screen = Request::new(pending, now).offering_biometric(biometric);
        screen.set_binding(binding);
        let first = screen.first_field();
        self.request = Some(screen);
        // A revocation under way stays on top until it is answered.
        if !matches!(&self.panel, Some(Panel::Revoke(revoke)) if revoke.is_working()) {
            self.panel = None;
        }
        first.map_or_else(Task::none, iced::widget::operation::focus)
    }

    fn request(&mut self, message: request::Message) -> Task<Message> {
        // The agent hears every answer, also one for a screen that has closed or
        // moved on: it closes the request, retries a kept decision, wipes a blocked
        // device.
        let heard = match &message {
            request::Message::Sent(id, kind, answer) => {
                self.feed(|agent| agent.answered(id, *kind, answer, Instant::now()))
            }
            _ => Task::none(),
        };
        let after = self.approval_answered(&message);
        if matches!(message, request::Message::CancelScan) {
            self.cancel_scan();
        }
        let uv_key = self.biometric_signer();
        let (Some(request), Some(agent)) = (&mut self.request, &mut self.agent) else {
            return Task::batch([heard, after]);
        };
        let focus = if matches!(message, request::Message::NotMe) {
            iced::widget::operation::focus(request::NOT_ME_CONFIRM)
        } else {
            Task::none()
        };
        let (work, event) = request.update(message);
        let mut scanning = false;
        let task = work.map_or_else(Task::none, |work| match work {
            request::Work::DerivePinKey(pin) => derive_pin_key(agent, request.request_id(), pin),
            request::Work::Decide(choice) => decide(agent, request.verified(), choice),
            request::Work::Send(signed) => send(agent, signed),
            request::Work::Scan { code, reason } => {
                scanning = true;
                biometrics::scan_approval(agent, request.verified(), code, reason, uv_key)
            }
        });
        let task = if scanning { self.run_scan(task) } else { task };
        if let Some(request::Event::Closed) = event {
            self.request = None;
        }
        Task::batch([heard, task, focus, after])
    }

    /// Countdowns on the home and request screens, and expiry.
    fn tick(&mut self) -> Task<Message> {
        if let (Some(request), Some(agent)) = (&mut self.request, &self.agent) {
            request.tick(agent.server_now());
        }
        self.feed(Agent::tick)
    }

    fn open_help(&mut self) -> Task<Message> {
        let topic = match &self.screen {
            Screen::Welcome(_) => Topic::Welcome,
            Screen::Home if self.request.is_some() => Topic::Request,
            Screen::Home => Topic::Home,
            Screen::Starting | Screen::Problem(_) => Topic::General,
        };
        self.panel = Some(Panel::Help(Help::new(topic)));
        Task::none()
    }
}

mod accessibility;
mod biometrics;
mod desktop;
mod executor;
mod handoff;
mod live;
mod message;
mod panels;
mod session;
mod subscriptions;
mod windowing;

use live::{decide, derive_pin_key, send};
pub use message::Message;
use subscriptions::take;

#[cfg(test)]
mod agent_tests;
#[cfg(test)]
mod gallery;
#[cfg(test)]
mod tests;
