//! My devices for a screen reader: each device with its serial, dates and state,
//! a Revoke button named after the device it revokes, the confirmation with its PIN
//! field (a secret field), and problems read out at once; and what a press or
//! typing on them means.

use godkend_a11y::{FieldValue, Item, TypedValue};
use godkend_protocol::messages::{DeviceState, DeviceSummary};

use super::{CANCEL, CONFIRM, Devices, List, Message, PIN_FIELD, RELOAD, revoke_key};
use crate::fl;
use crate::format::time::date_time;
use crate::screen::PAGE_BACK;

impl Devices {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = vec![
            Item::heading("devices-title", 1, fl!("devices-title")),
            Item::text("devices-intro", fl!("devices-intro")),
        ];
        if let Some(name) = &self.revoked {
            items.push(Item::live(
                "devices-revoked",
                fl!("devices-revoked", name = name.clone()),
            ));
        }
        match &self.list {
            List::Loading => items.push(Item::live("devices-loading", fl!("devices-loading"))),
            List::Failed(reason) => {
                items.push(Item::alert(
                    "devices-failed",
                    fl!("devices-failed", reason = reason.clone()),
                ));
                items.push(Item::button(RELOAD, fl!("devices-reload"), true));
            }
            List::Loaded(devices) => {
                for device in devices {
                    self.describe_device(&mut items, device);
                }
            }
        }
        items.push(Item::button(PAGE_BACK, fl!("back-button"), true));
        items
    }

    fn describe_device(&self, items: &mut Vec<Item>, device: &DeviceSummary) {
        let key = |what: &str| format!("devices-{what}:{}", device.device_id);
        let mut name = device.name.clone();
        if device.device_id == self.this_device {
            name = fl!("devices-this-computer", name = name);
        }
        items.push(Item::heading(key("name"), 2, name));
        let mut facts = vec![
            fl!("devices-serial", serial = device.serial.clone()),
            fl!("devices-created", time = date_time(device.created_at)),
        ];
        if let Some(seen) = device.last_seen_at {
            facts.push(fl!("devices-last-seen", time = date_time(seen)));
        }
        match device.status {
            DeviceState::Active => {}
            DeviceState::Revoked => facts.push(fl!("devices-status-revoked")),
            DeviceState::Blocked => facts.push(fl!("devices-status-blocked")),
        }
        items.push(Item::text(key("facts"), facts.join(". ")));
        if self.can_revoke(device) && self.confirming.is_none() {
            items.push(Item::button(
                revoke_key(&device.device_id),
                fl!("devices-revoke-named", name = device.name.clone()),
                true,
            ));
        }
        let Some(confirmation) = self
            .confirming
            .as_ref()
            .filter(|c| c.device_id == device.device_id)
        else {
            return;
        };
        let working = confirmation.working;
        items.push(Item::text(
            "devices-confirm-question",
            fl!("devices-confirm", name = confirmation.name.clone()),
        ));
        items.push(Item::field(
            PIN_FIELD,
            fl!("devices-pin-placeholder"),
            FieldValue::Secret {
                length: confirmation.pin.as_str().chars().count(),
            },
            !working,
        ));
        items.push(Item::button(
            CONFIRM,
            fl!("devices-confirm-button"),
            !working && confirmation.pin.is_ready(),
        ));
        items.push(Item::button(CANCEL, fl!("devices-cancel"), !working));
        if working {
            items.push(Item::live("devices-working", fl!("devices-working")));
        }
        if let Some(notice) = &confirmation.notice {
            items.push(Item::alert("devices-notice", notice.clone()));
        }
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        if let Some(id) = key.strip_prefix("devices-revoke:") {
            return Some(Message::AskRevoke(id.to_owned()));
        }
        Some(match key {
            RELOAD => Message::Reload,
            CONFIRM => Message::ConfirmRevoke,
            CANCEL => Message::CancelRevoke,
            PAGE_BACK => Message::Back,
            _ => return None,
        })
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &TypedValue) -> Option<Message> {
        (key == PIN_FIELD).then(|| Message::PinChanged(value.as_str().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::DeviceScreen as _;
    use super::*;

    fn summary(id: &str, name: &str, status: DeviceState) -> DeviceSummary {
        DeviceSummary {
            device_id: id.into(),
            serial: format!("GK-{id}"),
            name: name.into(),
            status,
            created_at: 1_700_000_000,
            last_seen_at: None,
        }
    }

    #[test]
    fn another_device_is_revoked_through_the_tree() {
        let (mut screen, _) = Devices::new("desk".into());
        let _ = screen.update(Message::Loaded(Ok(vec![
            summary("desk", "Desk PC", DeviceState::Active),
            summary("laptop", "Laptop", DeviceState::Active),
            summary("old", "Old laptop", DeviceState::Revoked),
        ])));
        let items = screen.describe();
        let buttons: Vec<&str> = items
            .iter()
            .filter_map(|i| match i {
                Item::Button { key, .. } if key.starts_with("devices-revoke:") => {
                    Some(key.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            buttons,
            ["devices-revoke:laptop"],
            "only another active one"
        );
        assert!(items.contains(&Item::button(
            "devices-revoke:laptop",
            fl!("devices-revoke-named", name = "Laptop"),
            true
        )));
        let _ = screen.update(Devices::pressed("devices-revoke:laptop").expect("Revoke"));
        let typed = Devices::entered(PIN_FIELD, &TypedValue::new("403917")).expect("typed");
        let _ = screen.update(typed);
        let items = screen.describe();
        assert!(!format!("{items:?}").contains("403917"));
        assert!(items.contains(&Item::button(CONFIRM, fl!("devices-confirm-button"), true)));
        let (work, _) = screen.update(Devices::pressed(CONFIRM).expect("Yes"));
        assert!(work.is_some());
        assert!(Devices::pressed("request-approve").is_none());
    }
}
