//! My devices (from settings): the user's devices as the server lists them, this
//! computer marked. Another device can be revoked here, after a confirmation with
//! the PIN; this computer is revoked from its own screen (revoke.rs), which also
//! deletes its local data.

use std::sync::Arc;

use godkend_core::device::Device;
use godkend_core::secret::SecretText;
use godkend_protocol::messages::{DeviceState, DeviceSummary};
use iced::widget::{Column, column, container, row, space, text};
use iced::{Alignment, Element, Length, Task};
use zeroize::Zeroizing;

use super::{DeviceScreen, Leave};
use crate::device::PinVerdict;
use crate::fl;
use crate::format::time::date_time;
use crate::theme::{pad, spacing, text_size};
use crate::widget::button;
use crate::widget::pin_field::PinField;
use crate::widget::{surface, tone};

/// The controls' widget ids, which are also their keys for a screen reader.
const RELOAD: &str = "devices-reload";
const PIN_FIELD: &str = "devices-pin";
const CONFIRM: &str = "devices-confirm";
const CANCEL: &str = "devices-cancel";

/// The key of the button that revokes the device with `device_id`.
fn revoke_key(device_id: &str) -> String {
    format!("devices-revoke:{device_id}")
}

/// The devices screen's state.
pub struct Devices {
    /// This computer's device id, to mark it and leave it without a revoke button.
    this_device: String,
    list: List,
    /// The device the user asked to revoke, waiting for the PIN and a confirmation.
    confirming: Option<Confirmation>,
    /// The last revocation that went through: the device's name.
    revoked: Option<String>,
}

enum List {
    Loading,
    Loaded(Vec<DeviceSummary>),
    /// The server could not be reached (or refused): why.
    Failed(String),
}

struct Confirmation {
    device_id: String,
    name: String,
    pin: PinField,
    working: bool,
    notice: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Loaded(Result<Vec<DeviceSummary>, String>),
    Reload,
    /// Revoke the device with this id: asks for confirmation first.
    AskRevoke(String),
    PinChanged(SecretText),
    ConfirmRevoke,
    CancelRevoke,
    /// The server's answer to revoking the device with this id.
    Revoked(String, PinVerdict),
    Back,
}

/// Network work the app runs with [`Devices::start`].
pub enum Work {
    Load,
    Revoke {
        device_id: String,
        pin: Zeroizing<String>,
    },
}

impl DeviceScreen for Devices {
    type Message = Message;
    type Work = Work;
    type Event = Leave;

    fn update(&mut self, message: Message) -> (Option<Work>, Option<Leave>) {
        match message {
            Message::Loaded(result) => {
                self.list = match result {
                    Ok(devices) => List::Loaded(devices),
                    Err(reason) => List::Failed(reason),
                };
            }
            Message::Reload => {
                self.list = List::Loading;
                return (Some(Work::Load), None);
            }
            Message::AskRevoke(id) => self.ask_revoke(&id),
            Message::PinChanged(typed) => {
                if let Some(confirmation) = &mut self.confirming {
                    confirmation.pin.typed(&typed);
                }
            }
            Message::ConfirmRevoke => return (self.confirm(), None),
            Message::CancelRevoke => {
                self.cancel();
            }
            Message::Revoked(id, verdict) => return self.revoked(&id, verdict),
            Message::Back => return (None, Some(Leave::Back)),
        }
        (None, None)
    }

    /// Runs `work` with `device`, off the UI thread.
    fn start(work: Work, device: &Arc<Device>) -> Task<Message> {
        let device = Arc::clone(device);
        match work {
            Work::Load => Task::perform(crate::device::devices(device), Message::Loaded),
            Work::Revoke { device_id, pin } => {
                let id = device_id.clone();
                Task::perform(
                    crate::device::revoke_other(device, device_id, pin),
                    move |verdict| Message::Revoked(id.clone(), verdict),
                )
            }
        }
    }
}

impl Devices {
    /// The screen, loading; the app runs [`Work::Load`] to fill it.
    pub fn new(this_device: String) -> (Self, Work) {
        let screen = Devices {
            this_device,
            list: List::Loading,
            confirming: None,
            revoked: None,
        };
        (screen, Work::Load)
    }

    /// Escape: closes the confirmation, if one is open. Whether it did.
    pub fn cancel(&mut self) -> bool {
        // Not while the revocation is on its way: its answer belongs to it.
        if self.confirming.as_ref().is_some_and(|c| !c.working) {
            self.confirming = None;
            return true;
        }
        false
    }

    fn ask_revoke(&mut self, id: &str) {
        let List::Loaded(devices) = &self.list else {
            return;
        };
        let Some(device) = devices
            .iter()
            .find(|d| d.device_id == id && self.can_revoke(d))
        else {
            return;
        };
        self.revoked = None;
        self.confirming = Some(Confirmation {
            device_id: device.device_id.clone(),
            name: device.name.clone(),
            pin: PinField::default(),
            working: false,
            notice: None,
        });
    }

    /// Another of the user's devices that is still active.
    fn can_revoke(&self, device: &DeviceSummary) -> bool {
        device.device_id != self.this_device && device.status == DeviceState::Active
    }

    fn confirm(&mut self) -> Option<Work> {
        let confirmation = self.confirming.as_mut()?;
        if confirmation.working || !confirmation.pin.is_ready() {
            return None;
        }
        confirmation.working = true;
        confirmation.notice = None;
        Some(Work::Revoke {
            device_id: confirmation.device_id.clone(),
            pin: confirmation.pin.secret(),
        })
    }

    fn revoked(&mut self, id: &str, verdict: PinVerdict) -> (Option<Work>, Option<Leave>) {
        let Some(confirmation) = self.confirming.as_mut().filter(|c| c.device_id == id) else {
            return (None, None);
        };
        confirmation.working = false;
        confirmation.pin.clear();
        confirmation.notice = match verdict {
            PinVerdict::Accepted => {
                self.revoked = self.confirming.take().map(|c| c.name);
                self.list = List::Loading;
                return (Some(Work::Load), None);
            }
            PinVerdict::Ended(status) => {
                self.confirming = None;
                return (None, Some(Leave::DeviceEnded(status)));
            }
            PinVerdict::WrongPin { attempts_left } => {
                Some(fl!("devices-wrong-pin", left = attempts_left))
            }
            PinVerdict::Offline(reason) => {
                tracing::info!(%reason, "could not revoke another device: offline");
                Some(fl!("devices-offline"))
            }
            PinVerdict::Failed(reason) => Some(fl!("devices-revoke-failed", reason = reason)),
        };
        (None, None)
    }

    pub fn view(&self) -> Element<'_, Message> {
        let mut content =
            column![text(fl!("devices-intro")).size(text_size::SMALL)].spacing(spacing::L);
        if let Some(name) = &self.revoked {
            content = content
                .push(text(fl!("devices-revoked", name = name.clone())).style(text::success));
        }
        content = match &self.list {
            List::Loading => content.push(text(fl!("devices-loading")).style(tone::muted)),
            List::Failed(reason) => content.push(
                column![
                    text(fl!("devices-failed", reason = reason.clone())).style(tone::danger),
                    button(text(fl!("devices-reload")))
                        .id(RELOAD)
                        .padding(pad::BUTTON_SMALL)
                        .style(button::secondary)
                        .on_press(Message::Reload),
                ]
                .spacing(spacing::S),
            ),
            List::Loaded(devices) => content.push(self.rows(devices)),
        };
        super::page(fl!("devices-title"), content.into(), Message::Back)
    }

    fn rows<'a>(&'a self, devices: &'a [DeviceSummary]) -> Column<'a, Message> {
        let mut rows = column![].spacing(spacing::M);
        for device in devices {
            rows = rows.push(self.row(device));
        }
        rows
    }

    fn row<'a>(&'a self, device: &'a DeviceSummary) -> Element<'a, Message> {
        let mut name = device.name.clone();
        if device.device_id == self.this_device {
            name = fl!("devices-this-computer", name = name);
        }
        let mut details = column![
            text(name).size(text_size::BODY),
            text(fl!("devices-serial", serial = device.serial.clone())).size(text_size::CAPTION),
            text(fl!("devices-created", time = date_time(device.created_at)))
                .size(text_size::CAPTION)
                .style(tone::muted),
        ]
        .spacing(spacing::XXS);
        if let Some(seen) = device.last_seen_at {
            details = details.push(
                text(fl!("devices-last-seen", time = date_time(seen)))
                    .size(text_size::CAPTION)
                    .style(tone::muted),
            );
        }
        match device.status {
            DeviceState::Active => {}
            DeviceState::Revoked => {
                details =
                    details.push(text(fl!("devices-status-revoked")).size(text_size::CAPTION));
            }
            DeviceState::Blocked => {
                details =
                    details.push(text(fl!("devices-status-blocked")).size(text_size::CAPTION));
            }
        }
        let mut line = row![details, space::horizontal()].align_y(Alignment::Center);
        if self.can_revoke(device) && self.confirming.is_none() {
            line = line.push(
                button(text(fl!("devices-revoke")))
                    .id(revoke_key(&device.device_id))
                    .padding(pad::BUTTON_SMALL)
                    .style(button::danger)
                    .on_press(Message::AskRevoke(device.device_id.clone())),
            );
        }
        let mut card = column![line].spacing(spacing::M);
        if let Some(confirmation) = self
            .confirming
            .as_ref()
            .filter(|c| c.device_id == device.device_id)
        {
            card = card.push(confirmation_view(confirmation));
        }
        container(card)
            .padding(pad::CARD)
            .width(Length::Fill)
            .style(surface::card)
            .into()
    }
}

/// "Revoke <name>?": the PIN, Revoke and Cancel.
fn confirmation_view(confirmation: &Confirmation) -> Element<'_, Message> {
    let ready = !confirmation.working && confirmation.pin.is_ready();
    let pin = confirmation
        .pin
        .input(
            &fl!("devices-pin-placeholder"),
            (!confirmation.working).then_some(Message::PinChanged as fn(SecretText) -> Message),
        )
        .id(PIN_FIELD)
        .on_submit(Message::ConfirmRevoke);
    let mut confirm = column![
        text(fl!("devices-confirm", name = confirmation.name.clone())),
        pin,
        row![
            button(text(fl!("devices-confirm-button")))
                .id(CONFIRM)
                .padding(pad::BUTTON_SMALL)
                .style(button::danger)
                .on_press_maybe(ready.then_some(Message::ConfirmRevoke)),
            button(text(fl!("devices-cancel")))
                .id(CANCEL)
                .padding(pad::BUTTON_SMALL)
                .style(button::secondary)
                .on_press_maybe((!confirmation.working).then_some(Message::CancelRevoke)),
        ]
        .spacing(spacing::M),
    ]
    .spacing(spacing::S);
    if confirmation.working {
        confirm = confirm.push(
            text(fl!("devices-working"))
                .size(text_size::CAPTION)
                .style(tone::muted),
        );
    }
    if let Some(notice) = &confirmation.notice {
        confirm = confirm.push(
            text(notice.clone())
                .size(text_size::CAPTION)
                .style(tone::danger),
        );
    }
    confirm.into()
}

mod accessible;
#[cfg(test)]
mod tests;
