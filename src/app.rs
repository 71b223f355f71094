//! The desktop app: an `iced::daemon` that lives in the tray. Opening it creates the
//! window; closing the window destroys it but the app (tray, push connection) keeps
//! running until Quit. `update` is a flat table of contents: each message calls one
//! named method.

use std::hash::{Hash, Hasher};
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use godkend_core::client::{DeviceClient, VerifiedRequest};
use godkend_core::connection::{self, ConnectionPolicy, PushUpdate};
use godkend_core::device::Device;
use godkend_core::inbox::{Change, Standing};
use godkend_core::session::Session;
use iced::futures::{SinkExt as _, Stream};
use iced::widget::{center, column, text};
use iced::{Element, Size, Subscription, Task, keyboard, window};
use tokio::sync::{Notify, mpsc};

use crate::fl;
use crate::instance;
use crate::notification::{self, Notifier};
use crate::screen::activity::{self, Activity};
use crate::screen::change_pin::{self, ChangePin};
use crate::screen::devices::{self, Devices};
use crate::screen::guide::{self, Guide};
use crate::screen::help::{self, Help, Topic};
use crate::screen::home::{self, Home};
use crate::screen::problem::{self, Problem};
use crate::screen::removed::{self, Removed};
use crate::screen::request::{self, Request};
use crate::screen::revoke::{self, Revoke};
use crate::screen::settings::{self, Settings};
use crate::screen::unlock::{self, Unlock};
use crate::screen::welcome::{self, Welcome};
use crate::tray::{self, Tray};
use crate::user_settings::{self, UserSettings};
use crate::widget::header::header;

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
    .theme(|app: &App, _| app.user_settings.theme())
    .subscription(App::subscription)
    .run()
}

/// The window's size when it opens (the screenshot gallery draws at this size too).
const WINDOW_SIZE: Size = Size::new(560.0, 760.0);

/// Whether this build can unlock with a fingerprint or face. No biometric backend
/// exists yet (design §3), so the settings screen hides that switch.
const BIOMETRIC_AVAILABLE: bool = false;

/// The main screen under any panel.
enum Screen {
    /// Loading the device (config, keyring) at start.
    Starting,
    /// The device could not be loaded; the reason, for the user to act on.
    Problem(Problem),
    Welcome(Welcome),
    Home(Home),
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
    /// Unlocked or not, and until when.
    session: Session,
    tray: Tray,
    /// Where other launches hand over (taken by its subscription).
    instance: Arc<Mutex<Option<instance::Listener>>>,
    /// The user's settings, loaded at start and saved on every change.
    user_settings: UserSettings,
}

#[derive(Debug, Clone)]
pub enum Message {
    Loaded(Result<Option<Arc<Device>>, String>),
    Welcome(welcome::Message),
    Problem(problem::Message),
    Home(home::Message),
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
    WindowClosed(window::Id),
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
            session: Session::locked(),
            tray: Tray::spawn(),
            instance: Arc::new(Mutex::new(listener)),
            user_settings,
        };
        // The window opens once it is known what it should show.
        let load = Task::perform(crate::device::load(), Message::Loaded);
        (app, load)
    }

    fn update(&mut self, message: Message) -> Task<Message> {
        if message.is_user_activity() {
            self.session.touch(Instant::now());
        }
        let task = self.dispatch(message);
        let notify = self.notify_changes();
        let status = self.tray_status();
        self.tray.show(status);
        Task::batch([task, notify])
    }

    fn dispatch(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Loaded(result) => self.loaded(result),
            Message::Welcome(message) => self.welcome(message),
            Message::Problem(message) => self.problem(message),
            Message::Home(message) => self.home(message),
            Message::Request(message) => self.request(message),
            Message::Tick => self.tick(),
            Message::Settings(message) => self.settings(message),
            Message::Help(message) => self.help(message),
            Message::Unlock(message) => self.unlock(message),
            Message::SessionTick => self.session_tick(),
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
            Message::Notification(None) => Task::none(),
            Message::WindowOpened(id) => self.window_opened(id),
            Message::WindowClosed(id) => self.window_closed(id),
        }
    }

    fn loaded(&mut self, result: Result<Option<Arc<Device>>, String>) -> Task<Message> {
        self.screen = match result {
            Ok(Some(device)) => {
                tracing::info!("device loaded");
                Screen::Home(Home::new(device))
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
        if self.tray_only && matches!(self.screen, Screen::Home(_)) {
            return Task::none();
        }
        self.open_window()
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
            Some(welcome::Event::Activated(device)) => self.activated(device),
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
        let screen = std::mem::replace(&mut self.screen, Screen::Home(Home::new(device)));
        if let Screen::Welcome(welcome) = screen {
            self.panel = Some(Panel::Activated(welcome));
        }
        self.user_settings.activated();
        // The user has just chosen the PIN and the server registered its key: as good
        // a proof as an unlock.
        self.session.proved(Instant::now());
    }

    fn home(&mut self, message: home::Message) -> Task<Message> {
        let Screen::Home(home) = &mut self.screen else {
            return Task::none();
        };
        let (task, event) = home.update(message);
        let now = home.server_now();
        match event {
            // The user's own revocation: the server's signed "revoked" can come down
            // the push stream before the answer to the revoke call itself.
            Some(home::Event::DeviceEnded) if matches!(self.panel, Some(Panel::Revoke(_))) => {
                self.session.lock();
                return Task::batch([task.map(Message::Home), self.revoked()]);
            }
            Some(home::Event::DeviceEnded) => {
                self.request = None;
                self.panel = None;
                self.session.lock();
                let mut welcome = Welcome::after_device_ended();
                // A link given at start for a device that turned out to be gone.
                if let Some(link) = self.link.take() {
                    welcome.use_link(link);
                }
                self.screen = Screen::Welcome(welcome);
            }
            Some(home::Event::Review(pending)) => {
                return Task::batch([task.map(Message::Home), self.open_request(pending, now)]);
            }
            // Shown at once when the window is open; otherwise home lists it.
            Some(home::Event::Arrived(pending)) if self.window.is_some() => {
                return Task::batch([task.map(Message::Home), self.open_request(pending, now)]);
            }
            Some(home::Event::Closed(id, standing)) => {
                if let Some(request) = self.request.as_mut().filter(|r| r.request_id() == id) {
                    request.closed(standing);
                }
            }
            Some(home::Event::SeeAll) => {
                return Task::batch([
                    task.map(Message::Home),
                    self.open_guarded(Guarded::Activity),
                ]);
            }
            Some(home::Event::Arrived(_)) | None => {}
        }
        task.map(Message::Home)
    }

    /// Shows a notification for each new request and withdraws those of requests
    /// that closed; all of them when there is no device any more. An open activity
    /// screen follows the same changes.
    fn notify_changes(&mut self) -> Task<Message> {
        let Screen::Home(home) = &mut self.screen else {
            self.notifier.withdraw_all();
            return Task::none();
        };
        let mut tasks = Vec::new();
        let changes = home.take_changes();
        let log_changed = !changes.is_empty();
        for change in changes {
            match change {
                Change::New(id) => {
                    if self.user_settings.current().notifications
                        && let Some((request, Standing::Pending)) = home.tracked(&id)
                    {
                        tasks.push(self.notifier.show(request).map(Message::Notification));
                    }
                }
                Change::Closed(id, _) => self.notifier.withdraw(&id),
            }
        }
        if log_changed {
            self.refresh_activity();
        }
        Task::batch(tasks)
    }

    /// Review opens the window on the request (or what became of it); Deny denies
    /// it with the device key, as the request screen's Deny does.
    fn notification(&mut self, action: notification::Action) -> Task<Message> {
        let Screen::Home(home) = &mut self.screen else {
            return Task::none();
        };
        let now = home.server_now();
        match action {
            notification::Action::Review(id) => {
                let Some((request, standing)) = home.tracked(&id) else {
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
                match home.tracked(&id) {
                    Some((request, Standing::Pending))
                        if !godkend_protocol::rules::is_expired(request.request.exp, now) =>
                    {
                        tracing::info!(request = %id, "denied from the notification");
                        request::deny(request.clone(), home.device()).map(Message::Request)
                    }
                    _ => Task::none(),
                }
            }
        }
    }

    /// Shows `pending` on the request screen, with the code field focused.
    fn open_request(&mut self, pending: VerifiedRequest, now: i64) -> Task<Message> {
        tracing::info!(request = %pending.request.request_id, "request shown");
        self.request = Some(Request::new(pending, now));
        self.panel = None;
        iced::widget::operation::focus(request::CODE_FIELD)
    }

    fn request(&mut self, message: request::Message) -> Task<Message> {
        let Screen::Home(home) = &mut self.screen else {
            return Task::none();
        };
        let shown = self.request.as_ref().map(Request::request_id);
        if let Some((id, kind)) = message.accepted()
            && shown != Some(id)
        {
            // Accepted after its screen closed or was replaced: home still learns it.
            home.decided(id, kind);
        }
        let Some(request) = &mut self.request else {
            return Task::none();
        };
        let focus = if matches!(message, request::Message::NotMe) {
            iced::widget::operation::focus(request::NOT_ME_CONFIRM)
        } else {
            Task::none()
        };
        let (work, event) = request.update(message);
        let task = work.map_or_else(Task::none, |work| {
            request.start(work, home.device()).map(Message::Request)
        });
        let followup = match event {
            None => Task::none(),
            Some(request::Event::Closed) => {
                self.request = None;
                Task::none()
            }
            Some(request::Event::Decided(id, kind)) => {
                home.decided(&id, kind);
                if kind == godkend_protocol::messages::DecisionKind::Approve {
                    // The server checked the PIN with the approval: that unlocks too.
                    self.session.proved(Instant::now());
                }
                Task::none()
            }
            Some(request::Event::Ended(id, standing)) => {
                home.closed_by_server(&id, standing);
                Task::none()
            }
            Some(request::Event::DeviceBlocked(status)) => status
                .map_or_else(Task::none, |status| {
                    home.wipe_if_ended(status).map(Message::Home)
                }),
        };
        Task::batch([task, followup, focus])
    }

    /// Countdowns on the home and request screens, and expiry.
    fn tick(&mut self) -> Task<Message> {
        let Screen::Home(home) = &mut self.screen else {
            return Task::none();
        };
        if let Some(request) = &mut self.request {
            request.tick(home.server_now());
        }
        self.home(home::Message::Tick)
    }

    fn settings(&mut self, message: settings::Message) -> Task<Message> {
        let Some(Panel::Settings(screen)) = &mut self.panel else {
            return Task::none();
        };
        let (task, event) = screen.update(message);
        let followup = match event {
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
        Task::batch([task.map(Message::Settings), followup])
    }

    /// Applies and saves a setting, and tells the settings screen how it went.
    fn change_setting(&mut self, change: user_settings::Change) -> Task<Message> {
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

    fn change_pin(&mut self, message: change_pin::Message) -> Task<Message> {
        let (Some(Panel::ChangePin(screen)), Screen::Home(home)) = (&mut self.panel, &self.screen)
        else {
            return Task::none();
        };
        let (work, event) = screen.update(message);
        let task = work.map_or_else(Task::none, |work| {
            ChangePin::start(work, home.device()).map(Message::ChangePin)
        });
        let followup = match event {
            None => Task::none(),
            Some(change_pin::Event::Closed) => self.open_settings(),
            Some(change_pin::Event::DeviceEnded(status)) => self.device_ended(status),
        };
        Task::batch([task, followup])
    }

    fn open_devices(&mut self) -> Task<Message> {
        let Screen::Home(home) = &self.screen else {
            return Task::none();
        };
        let (screen, load) = Devices::new(home.device().client.device_id.clone());
        self.panel = Some(Panel::Devices(screen));
        Devices::start(load, home.device()).map(Message::Devices)
    }

    fn devices(&mut self, message: devices::Message) -> Task<Message> {
        let (Some(Panel::Devices(screen)), Screen::Home(home)) = (&mut self.panel, &self.screen)
        else {
            return Task::none();
        };
        let (work, event) = screen.update(message);
        let task = work.map_or_else(Task::none, |work| {
            Devices::start(work, home.device()).map(Message::Devices)
        });
        let followup = match event {
            None => Task::none(),
            Some(devices::Event::Closed) => self.open_settings(),
            Some(devices::Event::DeviceEnded(status)) => self.device_ended(status),
        };
        Task::batch([task, followup])
    }

    fn revoke(&mut self, message: revoke::Message) -> Task<Message> {
        let (Some(Panel::Revoke(screen)), Screen::Home(home)) = (&mut self.panel, &self.screen)
        else {
            return Task::none();
        };
        let (work, event) = screen.update(message);
        let task = work.map_or_else(Task::none, |work| {
            Revoke::start(work, home.device()).map(Message::Revoke)
        });
        let followup = match event {
            None => Task::none(),
            Some(revoke::Event::Closed) => self.open_settings(),
            Some(revoke::Event::Revoked) => self.revoked(),
            Some(revoke::Event::DeviceEnded(status)) => self.device_ended(status),
        };
        Task::batch([task, followup])
    }

    /// This computer is revoked and wiped: back to the welcome screen, with the
    /// uninstall screen over it. The settings file went with the wipe.
    fn revoked(&mut self) -> Task<Message> {
        tracing::info!("this computer was revoked by its user");
        self.request = None;
        self.user_settings.reset();
        self.screen = Screen::Welcome(Welcome::new(None));
        self.panel = Some(Panel::Removed(Removed::new()));
        Task::none()
    }

    fn removed(&mut self, message: removed::Message) -> Task<Message> {
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
    fn device_ended(&mut self, status: Option<godkend_protocol::Envelope>) -> Task<Message> {
        self.panel = None;
        match (&self.screen, status) {
            (Screen::Home(home), Some(status)) => home.wipe_if_ended(status).map(Message::Home),
            _ => Task::none(),
        }
    }

    fn help(&mut self, message: help::Message) -> Task<Message> {
        match Help::update(message) {
            help::Event::Closed => self.panel = None,
        }
        Task::none()
    }

    fn activity(&mut self, message: activity::Message) -> Task<Message> {
        match Activity::update(message) {
            activity::Event::Closed => self.panel = None,
        }
        Task::none()
    }

    /// The settings panel, with the support contacts fetched afresh.
    fn open_settings(&mut self) -> Task<Message> {
        let device = match &self.screen {
            Screen::Home(home) => Some(Arc::clone(home.device())),
            _ => None,
        };
        let account = device.as_ref().map(|d| &d.config.account);
        self.panel = Some(Panel::Settings(Settings::new(account, BIOMETRIC_AVAILABLE)));
        // The support contacts may have changed since activation.
        device.map_or_else(Task::none, |device| {
            Task::perform(crate::device::organisation(device), |result| {
                Message::Settings(settings::Message::OrganisationLoaded(result))
            })
        })
    }

    /// The activity screen over home, with the activity log as it is now.
    fn open_activity(&mut self) {
        if let Screen::Home(home) = &self.screen {
            let activity = Activity::new(home.activity(), home.server_now());
            self.panel = Some(Panel::Activity(activity));
        }
    }

    /// A request arrived or closed: an open activity screen shows it.
    fn refresh_activity(&mut self) {
        if let (Screen::Home(home), Some(Panel::Activity(activity))) =
            (&self.screen, &mut self.panel)
        {
            activity.refresh(home.activity(), home.server_now());
        }
    }

    fn guide(&mut self, message: guide::Message) -> Task<Message> {
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
    pub fn show_guide(&mut self) {
        self.panel = Some(Panel::Guide(Guide::new()));
    }

    /// The guide was read to the end or skipped: it does not show by itself again.
    fn guide_finished(&mut self) {
        self.user_settings.guide_seen();
        self.panel = None;
    }

    /// Opens `panel`, after the PIN when there is a device and the app is locked.
    fn open_guarded(&mut self, panel: Guarded) -> Task<Message> {
        let activated = matches!(self.screen, Screen::Home(_));
        if activated && !self.session.is_unlocked(Instant::now()) {
            self.panel = Some(Panel::Unlock(Unlock::new(), panel));
            return Unlock::focus().map(Message::Unlock);
        }
        self.show_guarded(panel)
    }

    fn show_guarded(&mut self, panel: Guarded) -> Task<Message> {
        match panel {
            Guarded::Activity => {
                self.open_activity();
                Task::none()
            }
            Guarded::Settings => self.open_settings(),
        }
    }

    fn unlock(&mut self, message: unlock::Message) -> Task<Message> {
        let (Some(Panel::Unlock(screen, then)), Screen::Home(home)) =
            (&mut self.panel, &mut self.screen)
        else {
            return Task::none();
        };
        let then = *then;
        let (task, event) = screen.update(message, home.device());
        let followup = match event {
            None => Task::none(),
            Some(unlock::Event::Unlocked) => {
                self.session.proved(Instant::now());
                self.show_guarded(then)
            }
            Some(unlock::Event::Cancelled) => {
                self.panel = None;
                Task::none()
            }
            Some(unlock::Event::Blocked(status)) => {
                self.panel = None;
                status.map_or_else(Task::none, |status| {
                    home.wipe_if_ended(status).map(Message::Home)
                })
            }
        };
        Task::batch([task.map(Message::Unlock), followup])
    }

    /// Escape closes what is on top: a confirmation, else the panel.
    fn escape(&mut self) -> Task<Message> {
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
    fn lock(&mut self) {
        self.session.lock();
        self.close_guarded();
        tracing::info!("locked");
    }

    /// Closes a panel that needs the app unlocked, once it is locked.
    fn close_guarded(&mut self) {
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

    /// The auto-lock: five minutes without activity.
    fn session_tick(&mut self) -> Task<Message> {
        if !self.session.is_unlocked(Instant::now()) {
            tracing::info!("locked after five minutes without activity");
            self.close_guarded();
        }
        Task::none()
    }

    fn tray_action(&mut self, action: tray::Action) -> Task<Message> {
        match action {
            tray::Action::Open => self.open_window(),
            tray::Action::Quit => iced::exit(),
            tray::Action::Lock => {
                self.lock();
                Task::none()
            }
            tray::Action::Settings => {
                let open = self.open_window();
                Task::batch([open, self.open_guarded(Guarded::Settings)])
            }
            tray::Action::Review => match &mut self.screen {
                Screen::Home(home) => {
                    let (task, event) = home.update(home::Message::Review);
                    let now = home.server_now();
                    let focus = match event {
                        Some(home::Event::Review(pending)) => self.open_request(pending, now),
                        _ => Task::none(),
                    };
                    Task::batch([self.open_window(), task.map(Message::Home), focus])
                }
                _ => self.open_window(),
            },
            tray::Action::NoHost => {
                crate::notification::tell(fl!("tray-no-host-title"), fl!("tray-no-host-body"));
                Task::none()
            }
        }
    }

    /// Another launch: the window comes to the front, with its link in the
    /// activation form when this computer is not activated yet.
    fn handover(&mut self, handover: instance::Handover) -> Task<Message> {
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
    fn tray_status(&mut self) -> tray::Status {
        let unlocked = self.session.is_unlocked(Instant::now());
        let Screen::Home(home) = &self.screen else {
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
        let pending_from = home.pending().map(|p| p.request.rp_name.clone());
        tray::Status {
            look: tray::Look {
                mark: if unlocked {
                    tray::Mark::Check
                } else {
                    tray::Mark::Padlock
                },
                online: home.is_online(),
                pending: pending_from.is_some(),
            },
            pending_from,
            can_lock: unlocked,
            activated: true,
        }
    }

    fn open_help(&mut self) -> Task<Message> {
        let topic = match &self.screen {
            Screen::Welcome(_) => Topic::Welcome,
            Screen::Home(_) if self.request.is_some() => Topic::Request,
            Screen::Home(_) => Topic::Home,
            Screen::Starting | Screen::Problem(_) => Topic::General,
        };
        self.panel = Some(Panel::Help(Help::new(topic)));
        Task::none()
    }

    /// Opens the window, or brings it to the front when it is open.
    fn open_window(&mut self) -> Task<Message> {
        if let Some(id) = self.window {
            return window::gain_focus(id);
        }
        let (rgba, size) = tray::icon_rgba(64);
        let (id, opened) = window::open(window::Settings {
            size: WINDOW_SIZE,
            min_size: Some(Size::new(420.0, 480.0)),
            icon: window::icon::from_rgba(rgba, size, size).ok(),
            ..window::Settings::default()
        });
        self.window = Some(id);
        opened.map(Message::WindowOpened)
    }

    fn window_opened(&self, id: window::Id) -> Task<Message> {
        tracing::info!(?id, "window opened");
        self.initial_focus()
    }

    /// Focuses the field the shown screen starts with, so typing can begin at once.
    fn initial_focus(&self) -> Task<Message> {
        let field = match (&self.panel, &self.request, &self.screen) {
            (Some(Panel::Unlock(..)), _, _) => Some(unlock::PIN_FIELD),
            (None, Some(_), _) => Some(request::CODE_FIELD),
            (None, None, Screen::Welcome(_)) => Some(welcome::LINK_FIELD),
            _ => None,
        };
        field.map_or_else(Task::none, iced::widget::operation::focus)
    }

    /// The window is gone; the app stays in the tray. Panels close with it.
    fn window_closed(&mut self, id: window::Id) -> Task<Message> {
        if self.window == Some(id) {
            tracing::info!(?id, "window closed; still running in the tray");
            self.window = None;
            self.panel = None;
            // The request screen takes its PIN and PIN key with it.
            self.request = None;
            self.session.window_closed(self.lock_on_close());
            // A half-typed PIN does not outlive the window it was typed in.
            if let Screen::Welcome(welcome) = &mut self.screen {
                welcome.forget_pin();
            }
        }
        Task::none()
    }

    /// Whether the app is unlocked now (without locking it: views cannot).
    fn is_unlocked(&self) -> bool {
        self.session
            .locks_at()
            .is_some_and(|at| Instant::now() < at)
    }

    /// "Lock when the app closes" (on by default).
    fn lock_on_close(&self) -> bool {
        self.user_settings.current().lock_on_close
    }

    fn view(&self, _window: window::Id) -> Element<'_, Message> {
        let body = match &self.panel {
            Some(Panel::Activated(welcome)) => welcome.view().map(Message::Welcome),
            Some(Panel::Settings(settings)) => settings
                .view(self.user_settings.current())
                .map(Message::Settings),
            Some(Panel::Help(help)) => help.view().map(Message::Help),
            Some(Panel::Unlock(screen, _)) => screen.view().map(Message::Unlock),
            Some(Panel::Activity(activity)) => activity.view().map(Message::Activity),
            Some(Panel::Guide(guide)) => guide.view().map(Message::Guide),
            Some(Panel::ChangePin(screen)) => screen.view().map(Message::ChangePin),
            Some(Panel::Devices(screen)) => screen.view().map(Message::Devices),
            Some(Panel::Revoke(screen)) => screen.view().map(Message::Revoke),
            Some(Panel::Removed(screen)) => screen.view().map(Message::Removed),
            None => self.screen_view(),
        };
        column![header(Message::OpenSettings, Message::OpenHelp), body].into()
    }

    fn screen_view(&self) -> Element<'_, Message> {
        match &self.screen {
            Screen::Starting => center(text(fl!("starting")).style(text::secondary)).into(),
            Screen::Problem(problem) => problem.view().map(Message::Problem),
            Screen::Welcome(welcome) => welcome.view().map(Message::Welcome),
            Screen::Home(_) if self.request.is_some() => self
                .request
                .as_ref()
                .map_or_else(|| text("").into(), |r| r.view().map(Message::Request)),
            Screen::Home(home) => home.view(self.is_unlocked()).map(Message::Home),
        }
    }

    fn subscription(&self) -> Subscription<Message> {
        let mut subscriptions = vec![
            Subscription::run(tray::events).map(Message::Tray),
            Subscription::run_with(Instance(Arc::clone(&self.instance)), Instance::handovers)
                .map(Message::Handover),
            window::close_events().map(Message::WindowClosed),
            keyboard::listen().filter_map(focus_key),
        ];
        if let Screen::Home(home) = &self.screen {
            let client = Push(Arc::clone(&home.device().client));
            subscriptions.push(Subscription::run_with(client, Push::updates).map(home_push));
            if home.has_pending() || self.request.as_ref().is_some_and(Request::is_open) {
                subscriptions
                    .push(iced::time::every(Duration::from_secs(1)).map(|_| Message::Tick));
            }
            if self.session.locks_at().is_some() {
                subscriptions
                    .push(iced::time::every(AUTO_LOCK_CHECK).map(|_| Message::SessionTick));
            }
        }
        Subscription::batch(subscriptions)
    }
}

impl Message {
    /// Whether this is the user doing something in the window, which keeps an
    /// unlocked app unlocked (the auto-lock counts five minutes without it).
    fn is_user_activity(&self) -> bool {
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
        )
    }
}

/// Tab moves the focus forward, Shift+Tab back; Escape closes.
#[expect(
    clippy::needless_pass_by_value,
    reason = "Subscription::filter_map passes events by value"
)]
fn focus_key(event: keyboard::Event) -> Option<Message> {
    match event {
        keyboard::Event::KeyPressed {
            key: keyboard::Key::Named(keyboard::key::Named::Escape),
            ..
        } => Some(Message::Escape),
        keyboard::Event::KeyPressed {
            key: keyboard::Key::Named(keyboard::key::Named::Tab),
            modifiers,
            ..
        } => Some(if modifiers.shift() {
            Message::FocusPrevious
        } else {
            Message::FocusNext
        }),
        _ => None,
    }
}

/// The single-instance listener, as a subscription: one for the app's life.
struct Instance(Arc<Mutex<Option<instance::Listener>>>);

impl Hash for Instance {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "instance".hash(state);
    }
}

impl Instance {
    fn handovers(&self) -> impl Stream<Item = instance::Handover> + use<> {
        instance::handovers(Arc::clone(&self.0))
    }
}

/// The listener, for the first boot only (iced may call the boot closure once).
fn take(listener: &Mutex<Option<instance::Listener>>) -> Option<instance::Listener> {
    listener
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

fn home_push(update: PushUpdate) -> Message {
    Message::Home(home::Message::Push(update))
}

/// The push connection of one device, as a subscription: it runs as long as that
/// device is shown, and is told apart from another device's by the device id.
struct Push(Arc<DeviceClient>);

impl Hash for Push {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.device_id.hash(state);
    }
}

impl Push {
    fn updates(&self) -> impl Stream<Item = PushUpdate> + use<> {
        let client = Arc::clone(&self.0);
        iced::stream::channel(16, async move |mut output| {
            let (tx, mut rx) = mpsc::channel(16);
            // Nothing calls for an early reconnect yet (sleep/resume comes later).
            let wake = Arc::new(Notify::new());
            let run = connection::run(client, ConnectionPolicy::default(), tx, wake);
            let forward = async move {
                while let Some(update) = rx.recv().await {
                    if output.send(update).await.is_err() {
                        break;
                    }
                }
            };
            iced::futures::join!(run, forward);
        })
    }
}

#[cfg(test)]
mod gallery;

/// An app showing `screen`, with no window, tray thread, instance socket or
/// settings file: for the simulator tests and the screenshot gallery.
#[cfg(test)]
impl App {
    fn for_tests(screen: Screen) -> App {
        App {
            window: None,
            screen,
            panel: None,
            request: None,
            link: None,
            tray_only: false,
            notifier: Notifier::default(),
            session: Session::locked(),
            tray: Tray::none(),
            instance: Arc::new(Mutex::new(None)),
            user_settings: UserSettings::load(None, |_| Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use iced_test::simulator;

    use super::*;
    use crate::widget::header::{HELP_GLYPH, SETTINGS_GLYPH};

    fn showing(screen: Screen) -> App {
        App::for_tests(screen)
    }

    /// The messages a click on the control labelled `label` sends.
    fn click(app: &App, label: &str) -> Vec<Message> {
        let mut ui = simulator(app.view(window::Id::unique()));
        ui.click(label)
            .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
        ui.into_messages().collect()
    }

    fn shows(app: &App, text: &str) -> bool {
        simulator(app.view(window::Id::unique())).find(text).is_ok()
    }

    #[test]
    fn every_screen_has_the_gear_and_help_buttons() {
        let screens = [
            Screen::Starting,
            Screen::Problem(Problem::new("the keyring is locked".into())),
            Screen::Welcome(Welcome::new(None)),
        ];
        for screen in screens {
            let app = showing(screen);
            assert!(matches!(
                click(&app, SETTINGS_GLYPH).as_slice(),
                [Message::OpenSettings]
            ));
            assert!(matches!(
                click(&app, HELP_GLYPH).as_slice(),
                [Message::OpenHelp]
            ));
        }
    }

    #[test]
    fn help_explains_the_current_screen_and_back_returns_to_it() {
        let mut app = showing(Screen::Welcome(Welcome::new(None)));
        let _ = app.update(Message::OpenHelp);
        assert!(shows(&app, &fl!("help-welcome")));
        let back = click(&app, &fl!("back-button"));
        for message in back {
            let _ = app.update(message);
        }
        assert!(app.panel.is_none());
        assert!(shows(&app, &fl!("welcome-title")));
    }

    #[test]
    fn settings_open_over_the_screen_and_close_with_the_window() {
        let mut app = showing(Screen::Welcome(Welcome::new(None)));
        let id = window::Id::unique();
        app.window = Some(id);
        let _ = app.update(Message::OpenSettings);
        assert!(shows(&app, &fl!("settings-security")));
        let _ = app.update(Message::WindowClosed(id));
        assert!(app.window.is_none());
        assert!(
            app.panel.is_none(),
            "a reopened window starts on the screen"
        );
    }

    /// The app before activation with its settings in `dir`, and the settings open.
    fn settings_in(dir: &std::path::Path, autostart: user_settings::ApplyAutostart) -> App {
        let mut app = showing(Screen::Welcome(Welcome::new(None)));
        app.user_settings = UserSettings::load(Some(dir.join("settings.toml")), autostart);
        let _ = app.update(Message::OpenSettings);
        app
    }

    fn click_through(app: &mut App, label: &str) {
        for message in click(app, label) {
            let _ = app.update(message);
        }
    }

    #[test]
    fn a_settings_change_applies_at_once_and_is_saved() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut app = settings_in(dir.path(), |_| Ok(()));
        click_through(&mut app, &fl!("settings-notifications-on"));
        click_through(&mut app, &fl!("settings-lock-on-close"));
        let _ = app.update(Message::Settings(settings::Message::Changed(
            user_settings::Change::Theme(godkend_core::settings::Theme::Dark),
        )));
        assert!(!app.user_settings.current().notifications);
        assert_eq!(app.user_settings.theme(), Some(iced::Theme::Dark));
        let saved = godkend_core::settings::Settings::load(&dir.path().join("settings.toml"));
        assert!(!saved.notifications);
        assert!(!saved.lock_on_close);
        assert_eq!(saved.theme, godkend_core::settings::Theme::Dark);
    }

    #[test]
    fn start_at_login_stays_on_and_says_why_when_the_entry_cannot_change() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut app = settings_in(dir.path(), |_| Err("no autostart folder".into()));
        click_through(&mut app, &fl!("settings-start-at-login"));
        assert!(app.user_settings.current().start_at_login);
        assert!(shows(
            &app,
            &fl!("settings-autostart-failed", reason = "no autostart folder")
        ));
    }

    #[test]
    fn show_the_guide_from_settings_opens_it_and_finishing_remembers_it() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut app = settings_in(dir.path(), |_| Ok(()));
        let _ = app.update(Message::Settings(settings::Message::ShowGuide));
        assert!(shows(&app, &fl!("guide-what-title")));
        assert!(!app.user_settings.current().guide_shown);
        let _ = app.update(Message::Guide(guide::Message::Finish));
        assert!(app.panel.is_none());
        assert!(app.user_settings.current().guide_shown);
        let saved = godkend_core::settings::Settings::load(&dir.path().join("settings.toml"));
        assert!(
            saved.guide_shown,
            "saved, so it does not show again at the next start"
        );
    }

    #[test]
    fn after_revoking_the_app_is_back_at_welcome_with_the_uninstall_screen() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut app = settings_in(dir.path(), |_| Ok(()));
        let _ = app.update(Message::Settings(settings::Message::Changed(
            user_settings::Change::Notifications(false),
        )));
        let _ = app.revoked();
        assert!(matches!(app.screen, Screen::Welcome(_)));
        assert!(shows(&app, &fl!("removed-title")));
        assert!(
            app.user_settings.current().notifications,
            "the settings went with the wipe"
        );
        click_through(&mut app, &fl!("back-button"));
        assert!(shows(&app, &fl!("welcome-title")));
    }

    #[test]
    fn escape_is_the_key_that_closes_a_confirmation() {
        let escape = crate::widget::focus::pressed(keyboard::key::Named::Escape);
        assert!(matches!(focus_key(escape), Some(Message::Escape)));
    }

    #[test]
    fn no_pin_code_or_activation_link_in_a_debug_print() {
        let link = "godkend://activate?server=https%3A%2F%2Fa.example&user=alice&code=K7QM-3XPA";
        let messages = [
            Message::Welcome(welcome::Message::PinChanged("470913".into())),
            Message::Welcome(welcome::Message::PinAgainChanged("470913".into())),
            Message::Welcome(welcome::Message::CodeChanged("K7QM-3XPA".into())),
            Message::Welcome(welcome::Message::LinkChanged(link.into())),
            Message::Unlock(unlock::Message::PinChanged("470913".into())),
            Message::Unlock(unlock::Message::Digit(7)),
            Message::Request(request::Message::PinChanged("470913".into())),
            Message::Handover(instance::Handover::Activate(link.into())),
        ];
        for message in messages {
            let printed = format!("{message:?}");
            for secret in ["470913", "K7QM", "7)"] {
                assert!(!printed.contains(secret), "{printed}");
            }
        }
    }

    #[test]
    fn escape_closes_a_panel_and_tab_is_keyboard_activity() {
        let mut app = showing(Screen::Welcome(Welcome::new(None)));
        let _ = app.update(Message::OpenHelp);
        assert!(app.panel.is_some());
        let escape = crate::widget::focus::pressed(keyboard::key::Named::Escape);
        let message = focus_key(escape).expect("Escape is a key the app handles");
        assert!(message.is_user_activity());
        let _ = app.update(message);
        assert!(app.panel.is_none());
        assert!(!Message::Tick.is_user_activity(), "a timer is not the user");
    }

    #[test]
    fn the_guide_opens_as_a_panel_and_done_closes_it() {
        let mut app = showing(Screen::Welcome(Welcome::new(None)));
        app.show_guide();
        assert!(shows(&app, &fl!("guide-what-title")));
        let _ = app.update(Message::Guide(guide::Message::Next));
        assert!(shows(&app, &fl!("guide-arrives-title")));
        let _ = app.update(Message::Guide(guide::Message::Finish));
        assert!(app.panel.is_none());
        assert!(shows(&app, &fl!("welcome-title")));
    }

    #[test]
    fn a_guide_message_without_the_guide_open_changes_nothing() {
        let mut app = showing(Screen::Welcome(Welcome::new(None)));
        let _ = app.update(Message::OpenHelp);
        let _ = app.update(Message::Guide(guide::Message::Finish));
        assert!(matches!(app.panel, Some(Panel::Help(_))));
    }

    #[test]
    fn closing_the_window_forgets_a_half_typed_pin() {
        let mut app = showing(Screen::Welcome(Welcome::new(None)));
        let id = window::Id::unique();
        app.window = Some(id);
        let _ = app.update(Message::Welcome(welcome::Message::PinChanged(
            "4709".into(),
        )));
        let _ = app.update(Message::WindowClosed(id));
        let Screen::Welcome(welcome) = &app.screen else {
            panic!("still on the welcome screen");
        };
        assert_eq!(welcome.pin_feedback(), welcome::PinFeedback::Hint);
    }
}
