//! Welcome: activate this computer from a `godkend://activate` link or from server,
//! user and code; choose the PIN twice, with the rules checked as it is typed; then
//! show the serial number and the organisation the server signed. The server's host
//! is shown from the moment a link is in the form, and a link that arrives while the
//! user is filling in the form replaces nothing unless the user says so.

use std::sync::Arc;

use godkend_core::activation::ActivationInput;
use godkend_core::device::Device;
use godkend_core::secret::SecretText;
use iced::widget::{column, container, row, text, text_input};
use iced::{Alignment, Element, Task};
use zeroize::Zeroizing;

use crate::fl;
use crate::theme::{pad, spacing, text_size};
use crate::widget::button;
use crate::widget::field::labelled;
pub use crate::widget::new_pin::PinFeedback;
use crate::widget::new_pin::{NewPinIds, NewPinMessages, new_pin_fields};
use crate::widget::pin_field::PinField;
use crate::widget::{surface, tone};

/// The welcome screen's state.
pub struct Welcome {
    link: String,
    server: String,
    user: String,
    code: Zeroizing<String>,
    pin: PinField,
    pin_again: PinField,
    /// This computer's name for the user's device list, read once when the screen
    /// is made (the form asks for it on every redraw).
    device_name: String,
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

/// The link (it holds the activation code), the code and the PINs are
/// [`SecretText`], so they never show in a debug print.
#[derive(Debug, Clone)]
pub enum Message {
    LinkChanged(SecretText),
    ServerChanged(String),
    UserChanged(String),
    CodeChanged(SecretText),
    PinChanged(SecretText),
    PinAgainChanged(SecretText),
    Activate,
    Activated(Result<Arc<Device>, String>),
    CopySerial,
    Continue,
    /// Replace the started form with the offered link.
    UseOffered,
    /// Keep the started form; forget the offered link.
    KeepForm,
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
            pin: PinField::default(),
            pin_again: PinField::default(),
            device_name: crate::device::host_name(),
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
            Message::LinkChanged(link) => link.as_str().trim().clone_into(&mut self.link),
            Message::ServerChanged(server) => self.server = server,
            Message::UserChanged(user) => self.user = user,
            Message::CodeChanged(code) => self.code = code.into_inner(),
            Message::PinChanged(typed) => self.pin.typed(&typed),
            Message::PinAgainChanged(typed) => self.pin_again.typed(&typed),
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
            let _ = self.update(Message::LinkChanged(link.into()));
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
        self.pin.clear();
        self.pin_again.clear();
    }

    /// What the PIN fields show now.
    pub fn pin_feedback(&self) -> PinFeedback {
        PinFeedback::of(self.pin.as_str(), self.pin_again.as_str())
    }

    /// The activation input, when the form holds a usable one.
    fn input(&self) -> Result<ActivationInput, String> {
        let name = self.device_name.clone();
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
        let pin = self.pin.secret();
        Task::perform(crate::device::activate(input, pin), Message::Activated)
    }

    /// Activation finished: the serial number and Continue (focused), or why not.
    fn activated(&mut self, result: Result<Arc<Device>, String>) -> (Task<Message>, Option<Event>) {
        match result {
            Ok(device) => {
                tracing::info!("activated");
                // The PIN is not needed again until a request is approved.
                self.pin.clear();
                self.pin_again.clear();
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
        let activate = button(text(fl!("activate-button")).size(text_size::BODY))
            .id(ACTIVATE_BUTTON)
            .padding(pad::BUTTON)
            .style(button::primary)
            .on_press_maybe(self.can_activate().then_some(Message::Activate));
        let host = self
            .input()
            .map(|input| server_host(&input.server_url))
            .unwrap_or_default();
        let status = match &self.stage {
            Stage::Activating => Some(note(fl!("activating", host = host), tone::muted)),
            Stage::Failed(reason) => Some(note(
                fl!("activation-failed", reason = reason.clone()),
                tone::danger,
            )),
            Stage::Form | Stage::Done(_) => None,
        };

        let mut page =
            column![text(fl!("welcome-title")).size(text_size::HEADING)].spacing(spacing::XL);
        if self.device_ended {
            page = page.push(note(fl!("device-ended"), tone::danger));
        }
        page.push(self.offer())
            .push(text(fl!("welcome-intro")).size(text_size::SMALL))
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
        let editable = |input, on_input: fn(String) -> Message| self.editable(input, on_input);
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
                tone::success,
            )),
            Some(Err(_)) => Some(note(fl!("link-invalid"), tone::danger)),
        };
        let link = labelled(
            fl!("link-label"),
            editable(
                text_input(&fl!("link-placeholder"), &self.link)
                    .id(LINK_FIELD)
                    .padding(pad::INPUT)
                    .style(surface::input),
                |link| Message::LinkChanged(link.into()),
            ),
            link_note,
        );

        let server_note = self
            .server_problem()
            .map(|reason| note(fl!("server-invalid", reason = reason), tone::danger));
        let manual = column![
            text(fl!("manual-heading")).size(text_size::BODY),
            labelled(
                fl!("server-label"),
                editable(
                    text_input(&fl!("server-placeholder"), &self.server)
                        .id(SERVER_FIELD)
                        .padding(pad::INPUT)
                        .style(surface::input),
                    Message::ServerChanged,
                ),
                server_note,
            ),
            row![
                labelled(
                    fl!("user-label"),
                    editable(
                        text_input(&fl!("user-placeholder"), &self.user)
                            .id(USER_FIELD)
                            .padding(pad::INPUT)
                            .style(surface::input),
                        Message::UserChanged,
                    ),
                    None,
                ),
                labelled(
                    fl!("code-label"),
                    editable(
                        text_input(&fl!("code-placeholder"), &self.code)
                            .id(CODE_FIELD)
                            .padding(pad::INPUT)
                            .style(surface::input),
                        |code| Message::CodeChanged(code.into()),
                    ),
                    None,
                ),
            ]
            .spacing(spacing::M),
        ]
        .spacing(spacing::M);
        // A good link says everything: the manual fields would only raise questions.
        // The link stays the column's first child either way, so the field keeps its
        // focus when the manual fields go.
        let mut fields = column![link].spacing(spacing::XL);
        if !link_is_good {
            fields = fields.push(manual);
        }
        fields.into()
    }

    /// The question about a link that arrived while the form was started.
    fn offer(&self) -> Option<Element<'_, Message>> {
        let host = link_host(self.offered.as_deref()?)?;
        let choice = row![
            button(text(fl!("link-replace-button")).size(text_size::SMALL))
                .id(USE_OFFERED_BUTTON)
                .padding(pad::BUTTON_SMALL)
                .style(button::secondary)
                .on_press(Message::UseOffered),
            button(text(fl!("link-keep-button")).size(text_size::SMALL))
                .id(KEEP_FORM_BUTTON)
                .padding(pad::BUTTON_SMALL)
                .style(button::primary)
                .on_press(Message::KeepForm),
        ]
        .spacing(spacing::M);
        let question = column![
            text(fl!("link-offered", host = host)).size(text_size::BODY),
            text(fl!("link-offered-note"))
                .size(text_size::CAPTION)
                .style(tone::muted),
            choice,
        ]
        .spacing(spacing::M);
        Some(
            container(question)
                .padding(pad::CARD)
                .width(iced::Length::Fill)
                .style(surface::card)
                .into(),
        )
    }

    /// The new PIN twice, with the rules checked as it is typed.
    fn pin_fields(&self) -> Element<'_, Message> {
        let editable = !matches!(self.stage, Stage::Activating);
        let messages = NewPinMessages {
            pin: editable.then_some(Message::PinChanged as fn(SecretText) -> Message),
            again: editable.then_some(Message::PinAgainChanged as fn(SecretText) -> Message),
            submit: Message::Activate,
        };
        column![
            text(fl!("pin-heading")).size(text_size::BODY),
            text(fl!("pin-intro")).size(text_size::SMALL),
            new_pin_fields(&self.pin, &self.pin_again, NEW_PIN, messages),
        ]
        .spacing(spacing::M)
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
pub const CONTINUE_BUTTON: &str = "welcome-continue";
/// The other controls' ids, which are also their keys for a screen reader.
pub const SERVER_FIELD: &str = "welcome-server";
pub const USER_FIELD: &str = "welcome-user";
pub const CODE_FIELD: &str = "welcome-code";
pub const ACTIVATE_BUTTON: &str = "welcome-activate";
pub const USE_OFFERED_BUTTON: &str = "welcome-use-offered";
pub const KEEP_FORM_BUTTON: &str = "welcome-keep-form";
pub const COPY_BUTTON: &str = "welcome-copy-serial";
/// The PIN chosen, its repetition and what is said of them.
pub const NEW_PIN: NewPinIds = NewPinIds {
    pin: "welcome-pin",
    again: "welcome-pin-again",
    feedback: "welcome-pin-feedback",
};

fn note<'a>(message: String, style: fn(&iced::Theme) -> text::Style) -> Element<'a, Message> {
    text(message).size(text_size::CAPTION).style(style).into()
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
        text(fl!("activated-title")).size(text_size::HEADING),
        column![
            text(fl!("activated-serial"))
                .size(text_size::SMALL)
                .style(tone::muted),
            row![
                text(enrolled.serial).size(text_size::DISPLAY),
                button(text(fl!("copy-button")).size(text_size::SMALL))
                    .id(COPY_BUTTON)
                    .padding(pad::BUTTON_SMALL)
                    .style(button::secondary)
                    .on_press(Message::CopySerial),
            ]
            .spacing(spacing::L)
            .align_y(Alignment::Center),
        ]
        .spacing(spacing::XS),
        // Who the user enrolled with: the organisation as the server signed it in its
        // answer, and the server it came from.
        row![
            column![
                text(fl!("activated-org"))
                    .size(text_size::SMALL)
                    .style(tone::muted),
                text(enrolled.org).size(text_size::BODY),
            ]
            .spacing(spacing::XS),
            column![
                text(fl!("activated-server"))
                    .size(text_size::SMALL)
                    .style(tone::muted),
                text(enrolled.host).size(text_size::BODY),
            ]
            .spacing(spacing::XS),
        ]
        .spacing(spacing::XXXL),
        text(fl!("activated-note")).size(text_size::SMALL),
        button(text(fl!("continue-button")).size(text_size::BODY))
            .padding(pad::BUTTON)
            .style(button::primary)
            .id(CONTINUE_BUTTON)
            .on_press(Message::Continue),
    ]
    .spacing(spacing::XL)
    .into()
}

mod accessible;
#[cfg(test)]
pub use accessible::done_described_for_gallery;
#[cfg(test)]
mod tests;
