//! What the app listens to: the tray, other launches, window closes, keys, the OS
//! session's lock and sleep, the push connection of the device, and timers.

use godkend_core::os_session;

use super::*;

impl App {
    pub(super) fn subscription(&self) -> Subscription<Message> {
        let mut subscriptions = vec![
            Subscription::run(tray::events).map(Message::Tray),
            Subscription::run_with(Instance(Arc::clone(&self.instance)), Instance::handovers)
                .map(Message::Handover),
            window::close_events().map(Message::WindowClosed),
            window::resize_events().map(|(id, _)| Message::WindowResized(id)),
            keyboard::listen().filter_map(focus_key),
            Subscription::run(os_session::watch).map(Message::OsSession),
            iced::system::theme_changes().map(Message::SystemTheme),
        ];
        if let Some(requests) = self.accessibility_requests() {
            subscriptions.push(requests);
            subscriptions.push(iced::event::listen_with(window_focus));
        }
        if let Some(agent) = &self.agent {
            let client = Push(Arc::clone(agent.client()), Arc::clone(&self.wake));
            subscriptions.push(Subscription::run_with(client, Push::updates).map(Message::Push));
            if let Some(listener) = agent.handoff() {
                let events = super::handoff::Events(Arc::clone(listener));
                subscriptions.push(
                    Subscription::run_with(events, super::handoff::Events::stream)
                        .map(Message::HandedOff),
                );
            }
            if agent.pending().is_some() || self.request.as_ref().is_some_and(Request::is_open) {
                subscriptions
                    .push(iced::time::every(Duration::from_secs(1)).map(|_| Message::Tick));
            }
            if agent.locks_at().is_some() {
                subscriptions
                    .push(iced::time::every(AUTO_LOCK_CHECK).map(|_| Message::SessionTick));
            }
        }
        Subscription::batch(subscriptions)
    }
}

/// Tab moves the focus forward, Shift+Tab back; Escape closes.
#[expect(
    clippy::needless_pass_by_value,
    reason = "Subscription::filter_map passes events by value"
)]
pub(super) fn focus_key(event: keyboard::Event) -> Option<Message> {
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

/// The window gained or lost the keyboard focus (for the screen reader's tree).
#[allow(
    clippy::needless_pass_by_value,
    reason = "iced::event::listen_with passes events by value"
)]
fn window_focus(
    event: iced::Event,
    _status: iced::event::Status,
    _window: window::Id,
) -> Option<Message> {
    match event {
        iced::Event::Window(window::Event::Focused) => Some(Message::WindowFocus(true)),
        iced::Event::Window(window::Event::Unfocused) => Some(Message::WindowFocus(false)),
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
pub(super) fn take(listener: &Mutex<Option<instance::Listener>>) -> Option<instance::Listener> {
    listener
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

/// The push connection of one device, as a subscription: it runs as long as that
/// device is shown, and is told apart from another device's by the device id. The
/// app's wake makes it reconnect at once (after a resume).
struct Push(Arc<DeviceClient>, Arc<Notify>);

impl Hash for Push {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.device_id.hash(state);
    }
}

impl Push {
    fn updates(&self) -> impl Stream<Item = PushUpdate> + use<> {
        let client = Arc::clone(&self.0);
        let wake = Arc::clone(&self.1);
        iced::stream::channel(16, async move |mut output| {
            let (tx, mut rx) = mpsc::channel(16);
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
