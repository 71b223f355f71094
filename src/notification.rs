//! OS notifications of approval requests (design.md §2, Notifications). One per new
//! request, withdrawn when the request closes. The text is generic: who asks (the
//! relying party's name as the server registered it) and what kind of thing, never
//! the request's title, message, amount, payee or code, since a notification may show
//! on a locked screen. Its actions are Review and Deny; approving needs the window.
//!
//! notify-rust blocks while it waits for an action, so each notification waits on
//! its own thread and hands its answer back to iced through a oneshot channel and a
//! `Task`. Without a notification daemon the app carries on: the tray and the home
//! screen still show the request.

use std::sync::atomic::{AtomicBool, Ordering};

use godkend_core::push::VerifiedRequest;
use godkend_protocol::messages::RequestKind;
use i18n_embed::fluent::FluentLanguageLoader;
use iced::Task;
use iced::futures::channel::oneshot;

/// The action id of "Review": opens the window on the request.
pub const REVIEW: &str = "review";
/// The action id of "Deny": refuses the request with the device key.
pub const DENY: &str = "deny";

/// What a notification says and offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub summary: String,
    pub body: String,
    /// (action id, label), in order.
    pub actions: Vec<(&'static str, String)>,
}

/// The notification for `request`, in the language of `loader`.
pub fn content(request: &VerifiedRequest, loader: &FluentLanguageLoader) -> Content {
    let request = &request.request;
    let rp = request.rp_name.clone();
    let body = match request.kind {
        RequestKind::Login => i18n_embed_fl::fl!(loader, "notification-body-login"),
        RequestKind::Payment => i18n_embed_fl::fl!(loader, "notification-body-payment"),
        RequestKind::Action => i18n_embed_fl::fl!(loader, "notification-body-action"),
    };
    Content {
        summary: i18n_embed_fl::fl!(loader, "notification-summary", rp = rp),
        body,
        actions: vec![
            (REVIEW, i18n_embed_fl::fl!(loader, "notification-review")),
            (DENY, i18n_embed_fl::fl!(loader, "notification-deny")),
        ],
    }
}

/// What the user did with a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open the window on this request.
    Review(String),
    /// Deny this request.
    Deny(String),
}

/// The action `id` on the notification of request `request_id`; `None` for a
/// dismissal, a close, or anything else.
fn action(request_id: &str, id: &str) -> Option<Action> {
    match id {
        REVIEW | "default" => Some(Action::Review(request_id.to_owned())),
        DENY => Some(Action::Deny(request_id.to_owned())),
        _ => None,
    }
}

/// Whether "no notifications" was logged already: once is enough.
static WARNED: AtomicBool = AtomicBool::new(false);

fn warn_once(error: &notify_rust::error::Error) {
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(%error, "no desktop notifications; the tray and the window show requests");
    }
}

fn build(content: &Content) -> notify_rust::Notification {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Godkend")
        .summary(&content.summary)
        .body(&content.body)
        .timeout(notify_rust::Timeout::Never);
    for (id, label) in &content.actions {
        notification.action(id, label);
    }
    notification
}

/// Shows a plain message (no actions, the daemon's usual timeout), off the UI
/// thread: for things the user should know once, such as a missing tray.
pub fn tell(summary: String, body: String) {
    let spawned = std::thread::Builder::new()
        .name("notification-tell".into())
        .spawn(move || {
            let shown = notify_rust::Notification::new()
                .appname("Godkend")
                .summary(&summary)
                .body(&body)
                .show();
            if let Err(e) = shown {
                warn_once(&e);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start a notification thread");
    }
}

/// The notifications on screen, by request id, so they can be withdrawn.
#[derive(Default)]
pub struct Notifier {
    #[cfg(all(unix, not(target_os = "macos")))]
    shown: xdg::Shown,
}

impl Notifier {
    /// Shows the notification of `request` and waits, on its own thread, for what
    /// the user does with it.
    pub fn show(&self, request: &VerifiedRequest) -> Task<Option<Action>> {
        match self.spawn(request) {
            Some(rx) => Task::perform(async move { rx.await.ok().flatten() }, |answer| answer),
            None => Task::none(),
        }
    }

    /// Starts the thread that shows and waits; its answer comes on the receiver.
    #[cfg_attr(
        not(all(unix, not(target_os = "macos"))),
        expect(clippy::unused_self, reason = "no shown notifications to track here")
    )]
    fn spawn(&self, request: &VerifiedRequest) -> Option<oneshot::Receiver<Option<Action>>> {
        let content = content(request, &crate::i18n::LANGUAGE_LOADER);
        let request_id = request.request.request_id.clone();
        let (tx, rx) = oneshot::channel::<Option<Action>>();
        #[cfg(all(unix, not(target_os = "macos")))]
        let shown = self.shown.clone();
        let spawned = std::thread::Builder::new()
            .name("notification".into())
            .spawn(move || {
                let notification = build(&content);
                #[cfg(all(unix, not(target_os = "macos")))]
                let answer = xdg::show_and_wait(&shown, &notification, &request_id);
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                let answer = match notification.show() {
                    Ok(handle) => {
                        let mut answer = None;
                        handle.wait_for_action(|id| answer = action(&request_id, id));
                        answer
                    }
                    Err(e) => {
                        warn_once(&e);
                        None
                    }
                };
                let _ = tx.send(answer);
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start a notification thread");
            return None;
        }
        Some(rx)
    }

    /// Withdraws the notification of the request `request_id`, if there is one.
    /// Only where the platform can close notifications (the freedesktop D-Bus API).
    #[cfg_attr(
        not(all(unix, not(target_os = "macos"))),
        expect(clippy::unused_self, reason = "nothing to close on this platform")
    )]
    pub fn withdraw(&self, request_id: &str) {
        #[cfg(all(unix, not(target_os = "macos")))]
        self.shown.withdraw(request_id);
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let _ = request_id;
    }

    /// Withdraws every notification (the device is gone).
    #[cfg_attr(
        not(all(unix, not(target_os = "macos"))),
        expect(clippy::unused_self, reason = "nothing to close on this platform")
    )]
    pub fn withdraw_all(&self) {
        #[cfg(all(unix, not(target_os = "macos")))]
        self.shown.withdraw_all();
    }

    /// Withdraws every notification and waits (at most 1 s) until the daemon has
    /// closed those on screen: the app is quitting, and a notification left
    /// behind would offer Review and Deny that nothing answers any more (the next
    /// start shows the request's notification anew).
    #[cfg_attr(
        not(all(unix, not(target_os = "macos"))),
        expect(clippy::unused_self, reason = "nothing to close on this platform")
    )]
    pub fn withdraw_all_before_quitting(&self) {
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let closing = self.shown.withdraw_all();
            let deadline = std::time::Instant::now() + QUIT_WITHDRAW_WITHIN;
            for close in closing {
                while !close.is_finished() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        }
    }
}

/// How long quitting waits for the notification daemon to close the app's
/// notifications: a daemon that hangs must not keep the app from quitting.
#[cfg(all(unix, not(target_os = "macos")))]
const QUIT_WITHDRAW_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// The freedesktop (D-Bus) side: the daemon's ids by request id, closed on withdraw.
#[cfg(all(unix, not(target_os = "macos")))]
mod xdg {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::thread::JoinHandle;

    use notify_rust::Notification;

    use super::{Action, action, warn_once};

    /// Where one request's notification is.
    enum Slot {
        /// Being shown, on its thread.
        Showing,
        /// On screen, with the daemon's id for it.
        Shown(u32),
        /// Withdrawn before it was on screen: its thread closes it at once.
        Withdrawn,
    }

    #[derive(Clone, Default)]
    pub struct Shown(Arc<Mutex<HashMap<String, Slot>>>);

    impl Shown {
        fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// Withdraws the notification of `request_id`; the thread closing it, if it
        /// was on screen.
        pub fn withdraw(&self, request_id: &str) -> Option<JoinHandle<()>> {
            let slot = {
                let mut slots = self.slots();
                match slots.get(request_id) {
                    Some(Slot::Showing) => {
                        slots.insert(request_id.to_owned(), Slot::Withdrawn);
                        None
                    }
                    Some(Slot::Shown(_)) => slots.remove(request_id),
                    Some(Slot::Withdrawn) | None => None,
                }
            };
            match slot {
                Some(Slot::Shown(id)) => close(id),
                _ => None,
            }
        }

        /// Withdraws every notification; the threads closing those on screen.
        pub fn withdraw_all(&self) -> Vec<JoinHandle<()>> {
            let ids: Vec<String> = self.slots().keys().cloned().collect();
            ids.iter().filter_map(|id| self.withdraw(id)).collect()
        }
    }

    /// Closes notification `id` off the UI thread, on a connection of its own: the
    /// handle belongs to the thread waiting on it. The daemon then tells that thread
    /// (dunst sends NotificationClosed and ActionInvoked only to the connection that
    /// showed the notification, so the waiting must be on the handle itself).
    fn close(id: u32) -> Option<JoinHandle<()>> {
        let spawned = std::thread::Builder::new()
            .name("notification-close".into())
            .spawn(move || {
                let closed = zbus::block_on(async {
                    let connection = zbus::Connection::session().await?;
                    connection
                        .call_method(
                            Some("org.freedesktop.Notifications"),
                            "/org/freedesktop/Notifications",
                            Some("org.freedesktop.Notifications"),
                            "CloseNotification",
                            &(id,),
                        )
                        .await
                });
                if let Err(e) = closed {
                    tracing::warn!(error = %e, "could not withdraw a notification");
                }
            });
        spawned
            .inspect_err(|e| tracing::warn!(error = %e, "could not withdraw a notification"))
            .ok()
    }

    /// Shows `notification` for `request_id`, keeps its id for [`Shown::withdraw`],
    /// and waits for an action or its closing. Runs on the notification's thread.
    pub fn show_and_wait(
        shown: &Shown,
        notification: &Notification,
        request_id: &str,
    ) -> Option<Action> {
        shown.slots().insert(request_id.to_owned(), Slot::Showing);
        let handle = match notification.show() {
            Ok(handle) => handle,
            Err(e) => {
                shown.slots().remove(request_id);
                warn_once(&e);
                return None;
            }
        };
        let id = handle.id();
        {
            let mut slots = shown.slots();
            if let Some(Slot::Showing) = slots.get(request_id) {
                slots.insert(request_id.to_owned(), Slot::Shown(id));
            } else {
                // Withdrawn while it was being shown.
                slots.remove(request_id);
                drop(slots);
                handle.close();
                return None;
            }
        }
        tracing::info!(request = %request_id, "notification shown");
        let mut answer = None;
        // Until an action, a dismissal, or a withdraw (`close` by id).
        handle.wait_for_action(|action_id| answer = action(request_id, action_id));
        // Acted on or closed. Some daemons (dunst, through its menu) leave a
        // notification on screen after an action: it has done its job, so it goes.
        if answer.is_some() {
            close(id);
        }
        let mut slots = shown.slots();
        if matches!(slots.get(request_id), Some(Slot::Shown(shown)) if *shown == id) {
            slots.remove(request_id);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use godkend_core::DeviceKey;
    use godkend_protocol::Envelope;
    use godkend_protocol::messages::{Amount, ApprovalRequest, RequestContext, UserVerification};

    use super::*;

    fn request(kind: RequestKind) -> VerifiedRequest {
        let request = ApprovalRequest {
            iat: 1_795_780_800,
            exp: 1_795_780_920,
            request_id: "r1".into(),
            nonce: "n".into(),
            user: "alice".into(),
            rp_id: "shop".into(),
            rp_name: "Webshop".into(),
            kind,
            title: "Pay for order SECRET-TITLE".into(),
            message: "Hidden message body 4242".into(),
            amount: Some(Amount {
                value: "1250.00".into(),
                currency: "DKK".into(),
            }),
            payee: Some("Payee Corp ApS".into()),
            context: RequestContext::default(),
            code_length: 6,
            user_verification: UserVerification::Any,
            origin_binding: godkend_protocol::messages::OriginBinding::default(),
            rp_origins: Vec::new(),
        };
        let key = DeviceKey::from_seed(&[1; 32]);
        let envelope =
            Envelope::seal(&request, &[key.signing_key()]).expect("a test request seals");
        VerifiedRequest {
            hash: envelope.payload_hash().expect("hashable"),
            envelope,
            request,
            handed_off: None,
        }
    }

    fn loader(lang: &str) -> FluentLanguageLoader {
        crate::i18n::loader_for(&[lang.parse().expect("a language id")])
    }

    fn all_text(content: &Content) -> String {
        let mut lines = vec![content.summary.clone(), content.body.clone()];
        for (id, label) in &content.actions {
            lines.push(format!("{id} {label}"));
        }
        lines.join("\n")
    }

    #[test]
    fn names_the_relying_party_and_nothing_from_the_request_text() {
        for kind in [
            RequestKind::Login,
            RequestKind::Payment,
            RequestKind::Action,
        ] {
            for lang in ["en", "da"] {
                let content = content(&request(kind), &loader(lang));
                assert!(content.summary.contains("Webshop"), "{lang}: {content:?}");
                let text = all_text(&content);
                for secret in [
                    "SECRET-TITLE",
                    "Pay for order",
                    "Hidden message",
                    "4242",
                    "1250",
                    "1.250",
                    "1,250",
                    "DKK",
                    "kr.",
                    "Payee Corp",
                ] {
                    assert!(!text.contains(secret), "{lang} shows {secret:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn english_text_is_generic_by_kind() {
        let en = loader("en");
        let login = content(&request(RequestKind::Login), &en);
        assert_eq!(login.summary, "Approval request from Webshop");
        assert_eq!(login.body, "wants you to approve a sign-in");
        let payment = content(&request(RequestKind::Payment), &en);
        assert_eq!(payment.body, "wants you to approve a payment");
        let action = content(&request(RequestKind::Action), &en);
        assert_eq!(action.body, "wants you to approve an action");
    }

    #[test]
    fn the_actions_are_exactly_review_and_deny() {
        let content = content(&request(RequestKind::Payment), &loader("en"));
        assert_eq!(
            content.actions,
            vec![(REVIEW, "Review".to_owned()), (DENY, "Deny".to_owned())]
        );
        assert_eq!(action("r1", REVIEW), Some(Action::Review("r1".into())));
        assert_eq!(action("r1", DENY), Some(Action::Deny("r1".into())));
        assert_eq!(action("r1", "approve"), None);
        assert_eq!(action("r1", "__closed"), None);
    }

    #[test]
    fn danish_strings_are_there() {
        let da = loader("da");
        let content = content(&request(RequestKind::Login), &da);
        assert_eq!(content.summary, "Anmodning om godkendelse fra Webshop");
        assert_eq!(content.body, "beder dig godkende et login");
        assert_eq!(
            content.actions,
            vec![
                (REVIEW, "Se anmodningen".to_owned()),
                (DENY, "Afvis".to_owned())
            ]
        );
        let payment = content_for(RequestKind::Payment, &da);
        assert_eq!(payment.body, "beder dig godkende en betaling");
        let action = content_for(RequestKind::Action, &da);
        assert_eq!(action.body, "beder dig godkende en handling");
    }

    fn content_for(kind: RequestKind, loader: &FluentLanguageLoader) -> Content {
        content(&request(kind), loader)
    }
}
