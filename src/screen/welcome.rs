//! Welcome: activate this computer from a `godkend://activate` link or from server,
//! user and code; choose the PIN twice, with the rules checked as it is typed; then
//! show the serial number and the organisation the server signed. The server's host
//! is shown from the moment a link is in the form, and a link that arrives while the
//! user is filling in the form replaces nothing unless the user says so.

use std::sync::Arc;

use godkend_core::activation::ActivationInput;
use godkend_core::device::Device;
use iced::widget::{column, container, row, text, text_input};
use iced::{Alignment, Element, Task};
use zeroize::Zeroizing;

use crate::fl;
use crate::widget::button;
use crate::widget::field::labelled;
pub use crate::widget::new_pin::PinFeedback;
use crate::widget::new_pin::{NewPinMessages, new_pin_fields};

/// The welcome screen's state.
pub struct Welcome {
    link: String,
    server: String,
    user: String,
    code: Zeroizing<String>,
    pin: Zeroizing<String>,
    pin_again: Zeroizing<String>,
    stage: Stage,
    /// Why the screen is shown again: the device was revoked or blocked.
    device_ended: bool,
    /// A link another launch handed over while the form was started: waits for the
    /// user's Replace or Keep.
    offered: Option<String>,
}

enum Stage {
    Form,
    Activating,
    Failed(String),
    Done(Arc<Device>),
}

#[derive(Clone)]
pub enum Message {
    LinkChanged(String),
    ServerChanged(String),
    UserChanged(String),
    CodeChanged(String),
    PinChanged(String),
    PinAgainChanged(String),
    Activate,
    Activated(Result<Arc<Device>, String>),
    CopySerial,
    Continue,
    /// Replace the started form with the offered link.
    UseOffered,
    /// Keep the started form; forget the offered link.
    KeepForm,
}

/// The link (it holds the activation code), the code and the PINs never show in a
/// debug print.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::LinkChanged(_) => f.write_str("LinkChanged(..)"),
            Message::ServerChanged(server) => f.debug_tuple("ServerChanged").field(server).finish(),
            Message::UserChanged(user) => f.debug_tuple("UserChanged").field(user).finish(),
            Message::CodeChanged(_) => f.write_str("CodeChanged(..)"),
            Message::PinChanged(_) => f.write_str("PinChanged(..)"),
            Message::PinAgainChanged(_) => f.write_str("PinAgainChanged(..)"),
            Message::Activate => f.write_str("Activate"),
            Message::Activated(result) => f
                .debug_tuple("Activated")
                .field(&result.as_ref().map(|_| "Device"))
                .finish(),
            Message::CopySerial => f.write_str("CopySerial"),
            Message::Continue => f.write_str("Continue"),
            Message::UseOffered => f.write_str("UseOffered"),
            Message::KeepForm => f.write_str("KeepForm"),
        }
    }
}

/// What the welcome screen tells the app.
pub enum Event {
    /// The device is activated: it goes live at once (requests may arrive while the
    /// user reads the serial number).
    Activated(Arc<Device>),
    /// The user has seen the serial number and goes on.
    Continued,
}

impl Welcome {
    /// An empty form, or one filled in from a link given on the command line.
    pub fn new(link: Option<String>) -> Self {
        Welcome {
            link: link.unwrap_or_default(),
            server: String::new(),
            user: String::new(),
            code: Zeroizing::default(),
            pin: Zeroizing::default(),
            pin_again: Zeroizing::default(),
            stage: Stage::Form,
            device_ended: false,
            offered: None,
        }
    }

    /// The form after the server revoked or blocked this device and it was wiped.
    pub fn after_device_ended() -> Self {
        Welcome {
            device_ended: true,
            ..Welcome::new(None)
        }
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::LinkChanged(link) => link.trim().clone_into(&mut self.link),
            Message::ServerChanged(server) => self.server = server,
            Message::UserChanged(user) => self.user = user,
            Message::CodeChanged(code) => self.code = Zeroizing::new(code),
            Message::PinChanged(pin) => self.pin = Zeroizing::new(pin),
            Message::PinAgainChanged(pin) => self.pin_again = Zeroizing::new(pin),
            Message::Activate => return (self.activate(), None),
            Message::Activated(result) => return self.activated(result),
            Message::CopySerial => return (self.copy_serial(), None),
            Message::Continue => return (Task::none(), self.finish()),
            Message::UseOffered => self.use_offered(),
            Message::KeepForm => self.offered = None,
        }
        (Task::none(), None)
    }

    /// A link handed over by another launch of the app. It fills in a form nobody has
    /// touched; a started form (a link, server details or a PIN in it) stays as it is
    /// and the user is asked, so a link a web page opens cannot swap the server under
    /// them. Ignored while activation is under way or done.
    pub fn use_link(&mut self, link: String) {
        if !matches!(self.stage, Stage::Form | Stage::Failed(_)) {
            return;
        }
        if self.is_untouched() {
            self.offered = None;
            let _ = self.update(Message::LinkChanged(link));
            return;
        }
        let link = link.trim();
        if link != self.link {
            if link_host(link).is_none() {
                tracing::warn!("ignored an invalid activation link from another launch");
                return;
            }
            self.offered = Some(link.to_owned());
        }
    }

    /// Whether nothing is typed or filled in yet.
    fn is_untouched(&self) -> bool {
        self.link.is_empty()
            && self.server.trim().is_empty()
            && self.user.trim().is_empty()
            && self.code.trim().is_empty()
            && self.pin.is_empty()
            && self.pin_again.is_empty()
    }

    /// The user chose the offered link: it replaces the link and server details (the
    /// PIN they chose stays theirs).
    fn use_offered(&mut self) {
        let Some(link) = self.offered.take() else {
            return;
        };
        if !matches!(self.stage, Stage::Form | Stage::Failed(_)) {
            return;
        }
        self.server.clear();
        self.user.clear();
        self.code = Zeroizing::default();
        self.link = link;
        self.stage = Stage::Form;
    }

    /// Clears both PIN fields (the window closed).
    pub fn forget_pin(&mut self) {
        self.pin = Zeroizing::default();
        self.pin_again = Zeroizing::default();
    }

    /// What the PIN fields show now.
    pub fn pin_feedback(&self) -> PinFeedback {
        PinFeedback::of(&self.pin, &self.pin_again)
    }

    /// The activation input, when the form holds a usable one.
    fn input(&self) -> Result<ActivationInput, String> {
        let name = crate::device::host_name();
        if !self.link.is_empty() {
            return ActivationInput::from_link(&self.link, &name).map_err(|_| fl!("link-invalid"));
        }
        let server_url = url::Url::parse(self.server.trim()).map_err(|e| e.to_string())?;
        godkend_protocol::rules::check_transport(&server_url)?;
        if self.user.trim().is_empty() || self.code.trim().is_empty() {
            return Err(String::new());
        }
        Ok(ActivationInput {
            server_url,
            user: self.user.trim().to_owned(),
            code: self.code.trim().to_owned(),
            expected_kid: None,
            device_name: name,
        })
    }

    /// Whether the Activate button is enabled.
    pub fn can_activate(&self) -> bool {
        matches!(self.stage, Stage::Form | Stage::Failed(_))
            && self.pin_feedback() == PinFeedback::Ok
            && self.input().is_ok()
    }

    fn activate(&mut self) -> Task<Message> {
        if !self.can_activate() {
            return Task::none();
        }
        let Ok(input) = self.input() else {
            return Task::none();
        };
        self.stage = Stage::Activating;
        let pin = self.pin.clone();
        Task::perform(crate::device::activate(input, pin), Message::Activated)
    }

    /// Activation finished: the serial number and Continue (focused), or why not.
    fn activated(&mut self, result: Result<Arc<Device>, String>) -> (Task<Message>, Option<Event>) {
        match result {
            Ok(device) => {
                tracing::info!("activated");
                // The PIN is not needed again until a request is approved.
                self.pin = Zeroizing::default();
                self.pin_again = Zeroizing::default();
                self.code = Zeroizing::default();
                self.stage = Stage::Done(Arc::clone(&device));
                (
                    iced::widget::operation::focus(CONTINUE_BUTTON),
                    Some(Event::Activated(device)),
                )
            }
            Err(reason) => {
                tracing::warn!(%reason, "activation failed");
                self.stage = Stage::Failed(reason);
                (Task::none(), None)
            }
        }
    }

    /// Puts the serial number on the clipboard, for a support request.
    fn copy_serial(&self) -> Task<Message> {
        match &self.stage {
            Stage::Done(device) => iced::clipboard::write(device.config.account.serial.to_string()),
            _ => Task::none(),
        }
    }

    fn finish(&mut self) -> Option<Event> {
        matches!(self.stage, Stage::Done(_)).then_some(Event::Continued)
    }

    pub fn view(&self) -> Element<'_, Message> {
        let content = match &self.stage {
            Stage::Done(device) => done(Enrolled::of(device)),
            _ => self.form(),
        };
        crate::widget::body(content)
    }

    fn form(&self) -> Element<'_, Message> {
        let activate = button(text(fl!("activate-button")).size(16))
            .padding([8, 24])
            .style(button::primary)
            .on_press_maybe(self.can_activate().then_some(Message::Activate));
        let host = self
            .input()
            .map(|input| server_host(&input.server_url))
            .unwrap_or_default();
        let status = match &self.stage {
            Stage::Activating => Some(note(
                fl!("activating", host = host),
                crate::widget::tone::muted,
            )),
            Stage::Failed(reason) => Some(note(
                fl!("activation-failed", reason = reason.clone()),
                text::danger,
            )),
            Stage::Form | Stage::Done(_) => None,
        };

        let mut page = column![text(fl!("welcome-title")).size(26)].spacing(20);
        if self.device_ended {
            page = page.push(note(fl!("device-ended"), text::danger));
        }
        page.push(self.offer())
            .push(text(fl!("welcome-intro")).size(14))
            .push(self.activation_fields())
            .push(self.pin_fields())
            .push(activate)
            .push(status)
            .into()
    }

    /// An input that takes typing unless activation is under way.
    fn editable<'a>(
        &self,
        input: text_input::TextInput<'a, Message>,
        on_input: fn(String) -> Message,
    ) -> text_input::TextInput<'a, Message> {
        if matches!(self.stage, Stage::Activating) {
            input
        } else {
            input.on_input(on_input)
        }
    }

    /// The link, or server, user and code.
    fn activation_fields(&self) -> Element<'_, Message> {
        let editable = |input, on_input| self.editable(input, on_input);
        let from_link = if self.link.is_empty() {
            None
        } else {
            Some(self.input())
        };
        let link_is_good = matches!(from_link, Some(Ok(_)));
        let link_note = match from_link {
            None => None,
            Some(Ok(input)) => Some(note(
                fl!(
                    "link-used",
                    user = input.user,
                    host = server_host(&input.server_url)
                ),
                crate::widget::tone::success,
            )),
            Some(Err(_)) => Some(note(fl!("link-invalid"), text::danger)),
        };
        let link = labelled(
            fl!("link-label"),
            editable(
                text_input(&fl!("link-placeholder"), &self.link)
                    .id(LINK_FIELD)
                    .padding(8),
                Message::LinkChanged,
            ),
            link_note,
        );

        let server_note = self
            .server_problem()
            .map(|reason| note(fl!("server-invalid", reason = reason), text::danger));
        let manual = column![
            text(fl!("manual-heading")).size(16),
            labelled(
                fl!("server-label"),
                editable(
                    text_input(&fl!("server-placeholder"), &self.server).padding(8),
                    Message::ServerChanged,
                ),
                server_note,
            ),
            row![
                labelled(
                    fl!("user-label"),
                    editable(
                        text_input(&fl!("user-placeholder"), &self.user).padding(8),
                        Message::UserChanged,
                    ),
                    None,
                ),
                labelled(
                    fl!("code-label"),
                    editable(
                        text_input(&fl!("code-placeholder"), &self.code).padding(8),
                        Message::CodeChanged,
                    ),
                    None,
                ),
            ]
            .spacing(12),
        ]
        .spacing(12);
        // A good link says everything: the manual fields would only raise questions.
        // The link stays the column's first child either way, so the field keeps its
        // focus when the manual fields go.
        let mut fields = column![link].spacing(20);
        if !link_is_good {
            fields = fields.push(manual);
        }
        fields.into()
    }

    /// The question about a link that arrived while the form was started.
    fn offer(&self) -> Option<Element<'_, Message>> {
        let host = link_host(self.offered.as_deref()?)?;
        let choice = row![
            button(text(fl!("link-replace-button")).size(14))
                .padding([6, 16])
                .style(button::secondary)
                .on_press(Message::UseOffered),
            button(text(fl!("link-keep-button")).size(14))
                .padding([6, 16])
                .style(button::primary)
                .on_press(Message::KeepForm),
        ]
        .spacing(12);
        let question = column![
            text(fl!("link-offered", host = host)).size(16),
            text(fl!("link-offered-note"))
                .size(13)
                .style(crate::widget::tone::muted),
            choice,
        ]
        .spacing(10);
        Some(
            container(question)
                .padding(16)
                .width(iced::Length::Fill)
                .style(container::bordered_box)
                .into(),
        )
    }

    /// The new PIN twice, with the rules checked as it is typed.
    fn pin_fields(&self) -> Element<'_, Message> {
        let editable = !matches!(self.stage, Stage::Activating);
        let messages = NewPinMessages {
            pin: editable.then_some(Message::PinChanged as fn(String) -> Message),
            again: editable.then_some(Message::PinAgainChanged as fn(String) -> Message),
            submit: Message::Activate,
        };
        column![
            text(fl!("pin-heading")).size(16),
            text(fl!("pin-intro")).size(14),
            new_pin_fields(&self.pin, &self.pin_again, messages),
        ]
        .spacing(10)
        .into()
    }

    /// Why the typed server address cannot be used, once something is typed.
    fn server_problem(&self) -> Option<String> {
        let typed = self.server.trim();
        if typed.is_empty() || !self.link.is_empty() {
            return None;
        }
        match url::Url::parse(typed) {
            Err(e) => Some(e.to_string()),
            Ok(url) => godkend_protocol::rules::check_transport(&url).err(),
        }
    }
}

/// The link field's id: focused when the window opens on this screen.
pub const LINK_FIELD: &str = "welcome-link";
/// The Continue button's id: focused once activated, so Enter goes on.
const CONTINUE_BUTTON: &str = "welcome-continue";

fn note<'a>(message: String, style: fn(&iced::Theme) -> text::Style) -> Element<'a, Message> {
    text(message).size(13).style(style).into()
}

/// The server's host (and port, when not the default) as the user should know it:
/// the part of the address that says who they enrol with. International names stay
/// in their ASCII form, so a look-alike name cannot pass for another.
fn server_host(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The server host a link names; `None` for a link that is not a valid one.
fn link_host(link: &str) -> Option<String> {
    ActivationInput::from_link(link, "")
        .ok()
        .map(|input| server_host(&input.server_url))
}

/// What the end of activation shows: the serial number, for support, and who the
/// user enrolled with.
struct Enrolled {
    serial: String,
    /// The organisation's name as the server signed it in its activation answer.
    org: String,
    host: String,
}

impl Enrolled {
    fn of(device: &Device) -> Self {
        let account = &device.config.account;
        Enrolled {
            serial: account.serial.to_string(),
            org: account.org.name.clone(),
            host: server_host(&account.server_url),
        }
    }
}

/// The end of activation as it looks for a device enrolled with `org` at `host`, for
/// the screenshot gallery (a real `Device` needs a keyring and a server).
#[cfg(test)]
pub fn done_for_gallery(serial: &str, org: &str, host: &str) -> Element<'static, Message> {
    crate::widget::body(done(Enrolled {
        serial: serial.into(),
        org: org.into(),
        host: host.into(),
    }))
}

/// The end of activation.
fn done<'a>(enrolled: Enrolled) -> Element<'a, Message> {
    column![
        text(fl!("activated-title")).size(26),
        column![
            text(fl!("activated-serial"))
                .size(14)
                .style(crate::widget::tone::muted),
            row![
                text(enrolled.serial).size(28),
                button(text(fl!("copy-button")).size(14))
                    .padding([4, 12])
                    .style(button::secondary)
                    .on_press(Message::CopySerial),
            ]
            .spacing(16)
            .align_y(Alignment::Center),
        ]
        .spacing(4),
        // Who the user enrolled with: the organisation as the server signed it in its
        // answer, and the server it came from.
        row![
            column![
                text(fl!("activated-org"))
                    .size(14)
                    .style(crate::widget::tone::muted),
                text(enrolled.org).size(16),
            ]
            .spacing(4),
            column![
                text(fl!("activated-server"))
                    .size(14)
                    .style(crate::widget::tone::muted),
                text(enrolled.host).size(16),
            ]
            .spacing(4),
        ]
        .spacing(40),
        text(fl!("activated-note")).size(14),
        button(text(fl!("continue-button")).size(16))
            .padding([8, 24])
            .style(button::primary)
            .id(CONTINUE_BUTTON)
            .on_press(Message::Continue),
    ]
    .spacing(20)
    .into()
}

#[cfg(test)]
mod tests {
    use iced_test::simulator;

    use godkend_core::pin::PinProblem;

    use super::*;

    /// Clicks the input with `placeholder`, types `typed` into it and feeds the
    /// resulting messages back, as the app would.
    fn type_into(welcome: &mut Welcome, placeholder: &str, typed: &str) {
        let mut ui = simulator(welcome.view());
        ui.click(placeholder)
            .unwrap_or_else(|e| panic!("no input {placeholder:?}: {e}"));
        ui.typewrite(typed);
        let messages: Vec<Message> = ui.into_messages().collect();
        assert!(
            !messages.is_empty(),
            "typing into {placeholder:?} did nothing"
        );
        for message in messages {
            let _ = welcome.update(message);
        }
    }

    /// Whether the screen shows `text` now.
    fn shows(welcome: &Welcome, text: &str) -> bool {
        simulator(welcome.view()).find(text).is_ok()
    }

    /// The messages a click on the Activate button sends.
    fn click_activate(welcome: &Welcome) -> Vec<Message> {
        let mut ui = simulator(welcome.view());
        ui.click(fl!("activate-button").as_str())
            .expect("the Activate button is shown");
        ui.into_messages().collect()
    }

    fn with_server_details() -> Welcome {
        let mut welcome = Welcome::new(None);
        type_into(
            &mut welcome,
            &fl!("server-placeholder"),
            "http://127.0.0.1:8420",
        );
        type_into(&mut welcome, &fl!("user-placeholder"), "demo");
        type_into(&mut welcome, &fl!("code-placeholder"), "ABCD-1234");
        welcome
    }

    #[test]
    fn shows_the_rules_before_a_pin_is_typed() {
        let welcome = Welcome::new(None);
        assert_eq!(welcome.pin_feedback(), PinFeedback::Hint);
        assert!(shows(&welcome, &fl!("pin-hint")));
    }

    #[test]
    fn a_short_pin_is_called_too_short() {
        let mut welcome = Welcome::new(None);
        type_into(&mut welcome, &fl!("pin-placeholder"), "4711");
        assert_eq!(
            welcome.pin_feedback(),
            PinFeedback::Problem(PinProblem::TooShort)
        );
        assert!(shows(&welcome, &fl!("pin-too-short")));
    }

    #[test]
    fn an_easy_pin_is_called_too_easy() {
        let mut welcome = Welcome::new(None);
        type_into(&mut welcome, &fl!("pin-placeholder"), "123456");
        assert_eq!(
            welcome.pin_feedback(),
            PinFeedback::Problem(PinProblem::TooSimple)
        );
        assert!(shows(&welcome, &fl!("pin-too-simple")));
    }

    #[test]
    fn a_different_repetition_is_a_mismatch() {
        let mut welcome = Welcome::new(None);
        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        assert!(shows(&welcome, &fl!("pin-type-again")));
        type_into(&mut welcome, &fl!("pin-again-placeholder"), "470931");
        assert_eq!(
            welcome.pin_feedback(),
            PinFeedback::Problem(PinProblem::Mismatch)
        );
        assert!(shows(&welcome, &fl!("pin-mismatch")));
    }

    #[test]
    fn the_same_good_pin_twice_is_ok() {
        let mut welcome = Welcome::new(None);
        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
        assert_eq!(welcome.pin_feedback(), PinFeedback::Ok);
        assert!(shows(&welcome, &fl!("pin-ok")));
    }

    #[test]
    fn activate_is_disabled_until_details_and_pin_are_valid() {
        let mut welcome = Welcome::new(None);
        assert!(!welcome.can_activate());
        assert!(click_activate(&welcome).is_empty(), "nothing typed yet");

        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
        assert!(!welcome.can_activate());
        assert!(click_activate(&welcome).is_empty(), "no server details");

        let mut welcome = with_server_details();
        assert!(click_activate(&welcome).is_empty(), "no PIN");
        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        type_into(&mut welcome, &fl!("pin-again-placeholder"), "470914");
        assert!(click_activate(&welcome).is_empty(), "the PINs differ");

        let mut welcome = with_server_details();
        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
        assert!(welcome.can_activate());
        let messages = click_activate(&welcome);
        assert!(
            matches!(messages.as_slice(), [Message::Activate]),
            "a valid form activates: {messages:?}"
        );
    }

    #[test]
    fn an_invalid_link_blocks_activation() {
        let mut welcome = Welcome::new(Some("godkend://activate?nonsense".into()));
        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
        assert!(shows(&welcome, &fl!("link-invalid")));
        assert!(!welcome.can_activate());
    }

    const LINK: &str = "godkend://activate?server=https%3A%2F%2Fgodkend.acme.example&user=alice&code=K7QM-3XPA-9TWD-M4RZ";
    const OTHER_LINK: &str = "godkend://activate?server=https%3A%2F%2Fevil.example%3A8443&user=alice&code=ZZZZ-3XPA-9TWD-M4RZ";

    /// Clicks the button labelled `label` and feeds its message back.
    fn click(welcome: &mut Welcome, label: &str) {
        let mut ui = simulator(welcome.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no button {label:?}: {e}"));
        for message in ui.into_messages().collect::<Vec<_>>() {
            let _ = welcome.update(message);
        }
    }

    fn asks_about(welcome: &Welcome, host: &str) -> bool {
        shows(welcome, &fl!("link-offered", host = host))
    }

    fn link_for(user: &str, host: &str) -> String {
        fl!("link-used", user = user, host = host)
    }

    #[test]
    fn a_link_fills_in_a_form_nobody_has_touched() {
        let mut welcome = Welcome::new(None);
        welcome.use_link(LINK.into());
        assert_eq!(welcome.link, LINK);
        assert!(!asks_about(&welcome, "godkend.acme.example"));
    }

    #[test]
    fn a_link_never_replaces_a_started_form_without_asking() {
        // The user pasted a link and chose a PIN; then a web page opens another link.
        let mut welcome = Welcome::new(None);
        type_into(&mut welcome, &fl!("link-placeholder"), LINK);
        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        welcome.use_link(OTHER_LINK.into());
        assert_eq!(welcome.link, LINK, "the typed link stays");
        assert!(asks_about(&welcome, "evil.example:8443"));
        assert!(shows(&welcome, &link_for("alice", "godkend.acme.example")));

        click(&mut welcome, &fl!("link-keep-button"));
        assert!(!asks_about(&welcome, "evil.example:8443"));
        assert_eq!(welcome.link, LINK);
        assert_eq!(welcome.pin.as_str(), "470913", "the PIN stays too");

        // Asked again, and this time the user wants the new one.
        welcome.use_link(OTHER_LINK.into());
        click(&mut welcome, &fl!("link-replace-button"));
        assert_eq!(welcome.link, OTHER_LINK);
        assert!(!asks_about(&welcome, "evil.example:8443"));
        assert!(shows(&welcome, &link_for("alice", "evil.example:8443")));
    }

    #[test]
    fn typed_server_details_or_a_pin_alone_are_a_started_form() {
        let mut welcome = with_server_details();
        welcome.use_link(LINK.into());
        assert!(welcome.link.is_empty());
        assert!(asks_about(&welcome, "godkend.acme.example"));

        let mut welcome = Welcome::new(None);
        type_into(&mut welcome, &fl!("pin-placeholder"), "4");
        welcome.use_link(LINK.into());
        assert!(welcome.link.is_empty());
        assert!(asks_about(&welcome, "godkend.acme.example"));
        // The same link again asks nothing new; an invalid one is not offered.
        let mut welcome = Welcome::new(Some(LINK.into()));
        welcome.use_link(LINK.into());
        welcome.use_link("godkend://activate?nonsense".into());
        assert!(welcome.offered.is_none());
    }

    #[test]
    fn the_server_host_shows_as_soon_as_a_link_is_in_before_the_pin() {
        let welcome = Welcome::new(Some(OTHER_LINK.into()));
        assert!(welcome.pin.is_empty());
        assert!(shows(&welcome, &link_for("alice", "evil.example:8443")));
    }

    #[test]
    fn activation_names_the_host_while_it_runs() {
        let mut welcome = Welcome::new(Some(LINK.into()));
        type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
        type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
        let _ = welcome.update(Message::Activate);
        assert!(matches!(welcome.stage, Stage::Activating));
        assert!(shows(
            &welcome,
            &fl!("activating", host = "godkend.acme.example")
        ));
    }

    #[test]
    fn the_end_of_activation_names_the_signed_organisation_and_the_server() {
        let enrolled = Enrolled {
            serial: "1234-5678-9012".into(),
            org: "Acme Corporation".into(),
            host: "godkend.acme.example".into(),
        };
        let mut ui = simulator(done(enrolled));
        for expected in [
            fl!("activated-org"),
            "Acme Corporation".into(),
            fl!("activated-server"),
            "godkend.acme.example".into(),
        ] {
            assert!(ui.find(expected.as_str()).is_ok(), "{expected:?} is shown");
        }
    }

    #[test]
    fn a_plain_http_server_elsewhere_is_refused() {
        let mut welcome = Welcome::new(None);
        type_into(
            &mut welcome,
            &fl!("server-placeholder"),
            "http://example.com",
        );
        assert!(welcome.server_problem().is_some());
    }
}
