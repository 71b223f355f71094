//! The welcome screen for a screen reader: the form as the view shows it (the link,
//! or server, user and code; the PIN chosen twice as secret fields, with what is
//! said of it), Activate, and what went wrong read out at once; then the serial
//! number and Continue. And what a screen reader's press or typing on them means,
//! so activation can be done with the tree alone.

use godkend_a11y::{FieldValue, Item, TypedValue};

use super::{
    ACTIVATE_BUTTON, CODE_FIELD, CONTINUE_BUTTON, COPY_BUTTON, Enrolled, KEEP_FORM_BUTTON,
    LINK_FIELD, Message, NEW_PIN, SERVER_FIELD, Stage, USE_OFFERED_BUTTON, USER_FIELD, Welcome,
    link_host, server_host,
};
use crate::fl;
use crate::widget::new_pin::describe_new_pin;

/// Activation under way, or why it failed.
const STATUS: &str = "welcome-status";

impl Welcome {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        match &self.stage {
            Stage::Done(device) => describe_done(&Enrolled::of(device)),
            _ => self.describe_form(),
        }
    }

    fn describe_form(&self) -> Vec<Item> {
        let editable = !matches!(self.stage, Stage::Activating);
        let mut items = vec![Item::heading("welcome-title", 1, fl!("welcome-title"))];
        if self.device_ended {
            items.push(Item::alert("welcome-device-ended", fl!("device-ended")));
        }
        if let Some(host) = self.offered.as_deref().and_then(link_host) {
            items.push(Item::alert(
                "welcome-offered",
                format!(
                    "{} {}",
                    fl!("link-offered", host = host),
                    fl!("link-offered-note")
                ),
            ));
            items.push(Item::button(
                USE_OFFERED_BUTTON,
                fl!("link-replace-button"),
                true,
            ));
            items.push(Item::button(
                KEEP_FORM_BUTTON,
                fl!("link-keep-button"),
                true,
            ));
        }
        items.push(Item::text("welcome-intro", fl!("welcome-intro")));
        self.describe_activation_fields(&mut items, editable);
        items.push(Item::heading("welcome-pin-heading", 2, fl!("pin-heading")));
        items.push(Item::text("welcome-pin-intro", fl!("pin-intro")));
        items.extend(describe_new_pin(
            &self.pin,
            &self.pin_again,
            NEW_PIN,
            editable,
        ));
        items.push(Item::button(
            ACTIVATE_BUTTON,
            fl!("activate-button"),
            self.can_activate(),
        ));
        match &self.stage {
            Stage::Activating => {
                let host = self
                    .input()
                    .map(|input| server_host(&input.server_url))
                    .unwrap_or_default();
                items.push(Item::live(STATUS, fl!("activating", host = host)));
            }
            Stage::Failed(reason) => items.push(Item::alert(
                STATUS,
                fl!("activation-failed", reason = reason.clone()),
            )),
            Stage::Form | Stage::Done(_) => {}
        }
        items
    }

    /// The link and what it says; the manual fields unless the link says it all.
    fn describe_activation_fields(&self, items: &mut Vec<Item>, editable: bool) {
        items.push(Item::field(
            LINK_FIELD,
            fl!("link-label"),
            FieldValue::Plain(self.link.clone()),
            editable,
        ));
        let link_is_good = if self.link.is_empty() {
            false
        } else if let Ok(input) = self.input() {
            items.push(Item::text(
                "welcome-link-note",
                fl!(
                    "link-used",
                    user = input.user,
                    host = server_host(&input.server_url)
                ),
            ));
            true
        } else {
            items.push(Item::alert("welcome-link-note", fl!("link-invalid")));
            false
        };
        if link_is_good {
            return;
        }
        items.push(Item::heading(
            "welcome-manual-heading",
            2,
            fl!("manual-heading"),
        ));
        items.push(Item::field(
            SERVER_FIELD,
            fl!("server-label"),
            FieldValue::Plain(self.server.clone()),
            editable,
        ));
        if let Some(reason) = self.server_problem() {
            items.push(Item::alert(
                "welcome-server-note",
                fl!("server-invalid", reason = reason),
            ));
        }
        items.push(Item::field(
            USER_FIELD,
            fl!("user-label"),
            FieldValue::Plain(self.user.clone()),
            editable,
        ));
        // Shown as typed on the screen, so read as typed: the user checks it
        // against what the administrator gave them.
        items.push(Item::field(
            CODE_FIELD,
            fl!("code-label"),
            FieldValue::Plain(self.code.as_str().to_owned()),
            editable,
        ));
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        Some(match key {
            ACTIVATE_BUTTON => Message::Activate,
            USE_OFFERED_BUTTON => Message::UseOffered,
            KEEP_FORM_BUTTON => Message::KeepForm,
            COPY_BUTTON => Message::CopySerial,
            CONTINUE_BUTTON => Message::Continue,
            _ => return None,
        })
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &TypedValue) -> Option<Message> {
        let text = value.as_str();
        Some(match key {
            LINK_FIELD => Message::LinkChanged(text.into()),
            SERVER_FIELD => Message::ServerChanged(text.to_owned()),
            USER_FIELD => Message::UserChanged(text.to_owned()),
            CODE_FIELD => Message::CodeChanged(text.into()),
            _ if key == NEW_PIN.pin => Message::PinChanged(text.into()),
            _ if key == NEW_PIN.again => Message::PinAgainChanged(text.into()),
            _ => return None,
        })
    }
}

/// The end of activation in words: the serial number (with Copy), who the user
/// enrolled with, and Continue.
fn describe_done(enrolled: &Enrolled) -> Vec<Item> {
    vec![
        Item::heading("welcome-activated-title", 1, fl!("activated-title")),
        Item::text(
            "welcome-serial",
            format!("{}: {}", fl!("activated-serial"), enrolled.serial),
        ),
        Item::button(COPY_BUTTON, fl!("copy-button"), true),
        Item::text(
            "welcome-org",
            format!("{}: {}", fl!("activated-org"), enrolled.org),
        ),
        Item::text(
            "welcome-server-host",
            format!("{}: {}", fl!("activated-server"), enrolled.host),
        ),
        Item::text("welcome-activated-note", fl!("activated-note")),
        Item::button(CONTINUE_BUTTON, fl!("continue-button"), true),
    ]
}

/// The end of activation in words for a device enrolled with `org` at `host`, as
/// [`super::done_for_gallery`] draws it.
#[cfg(test)]
pub fn done_described_for_gallery(serial: &str, org: &str, host: &str) -> Vec<Item> {
    describe_done(&Enrolled {
        serial: serial.into(),
        org: org.into(),
        host: host.into(),
    })
}

#[cfg(test)]
mod tests {
    use godkend_a11y::{Request as Asked, Screen};

    use super::*;

    fn item<'a>(items: &'a [Item], key: &str) -> &'a Item {
        items
            .iter()
            .find(|item| item.key() == key)
            .unwrap_or_else(|| panic!("no {key} in {items:?}"))
    }

    /// Applies what a screen reader asked, as the app does (refused where the
    /// screen cannot take it).
    fn ask(screen: &mut Welcome, asked: &Asked) -> bool {
        let described = Screen {
            window: String::new(),
            items: screen.describe(),
            focus: None,
        };
        if !described.accepts(asked) {
            return false;
        }
        let message = match asked {
            Asked::Press(key) => Welcome::pressed(key),
            Asked::SetValue(key, value) => Welcome::entered(key, value),
            Asked::Focus(_) => None,
        };
        let _ = screen.update(message.expect("a message"));
        true
    }

    fn set(screen: &mut Welcome, key: &str, text: &str) -> bool {
        ask(screen, &Asked::SetValue(key.into(), TypedValue::new(text)))
    }

    const LINK: &str = "godkend://activate?server=https%3A%2F%2Fgodkend.acme.example&user=alice&code=K7QM-3XPA-9TWD-M4RZ";

    #[test]
    fn the_form_is_filled_in_and_sent_with_the_tree_alone() {
        let mut screen = Welcome::new(None);
        let items = screen.describe();
        assert_eq!(
            items[0],
            Item::heading("welcome-title", 1, fl!("welcome-title"))
        );
        for key in [LINK_FIELD, SERVER_FIELD, USER_FIELD, CODE_FIELD] {
            assert!(matches!(
                item(&items, key),
                Item::Field { editable: true, .. }
            ));
        }
        assert_eq!(
            *item(&items, ACTIVATE_BUTTON),
            Item::button(ACTIVATE_BUTTON, fl!("activate-button"), false)
        );
        // Pressing a disabled Activate is refused, as a click would do nothing.
        assert!(!ask(&mut screen, &Asked::Press(ACTIVATE_BUTTON.into())));

        assert!(set(&mut screen, LINK_FIELD, LINK));
        let items = screen.describe();
        assert!(
            !items.iter().any(|i| i.key() == SERVER_FIELD),
            "a good link hides the manual fields: {items:?}"
        );
        assert_eq!(
            *item(&items, "welcome-link-note"),
            Item::text(
                "welcome-link-note",
                fl!("link-used", user = "alice", host = "godkend.acme.example")
            )
        );
        assert!(set(&mut screen, NEW_PIN.pin, "470913"));
        assert!(set(&mut screen, NEW_PIN.again, "470913"));
        let items = screen.describe();
        assert_eq!(
            *item(&items, NEW_PIN.pin),
            Item::field(
                NEW_PIN.pin,
                fl!("pin-label"),
                FieldValue::Secret { length: 6 },
                true
            )
        );
        assert!(!format!("{items:?}").contains("470913"));
        assert_eq!(
            *item(&items, NEW_PIN.feedback),
            Item::live(NEW_PIN.feedback, fl!("pin-ok"))
        );
        assert!(ask(&mut screen, &Asked::Press(ACTIVATE_BUTTON.into())));
        let items = screen.describe();
        assert!(
            matches!(item(&items, STATUS), Item::Live { .. }),
            "activating: {items:?}"
        );
        assert!(
            matches!(
                item(&items, LINK_FIELD),
                Item::Field {
                    editable: false,
                    ..
                }
            ),
            "no typing while activating"
        );
        let _ = screen.update(Message::Activated(Err("the server said no".into())));
        assert_eq!(
            *item(&screen.describe(), STATUS),
            Item::alert(
                STATUS,
                fl!("activation-failed", reason = "the server said no")
            )
        );
    }

    #[test]
    fn problems_are_read_out_at_once() {
        let mut screen = Welcome::new(None);
        assert!(set(&mut screen, SERVER_FIELD, "http://godkend.example.com"));
        assert!(matches!(
            item(&screen.describe(), "welcome-server-note"),
            Item::Alert { .. }
        ));
        assert!(set(&mut screen, NEW_PIN.pin, "470913"));
        assert!(set(&mut screen, NEW_PIN.again, "470914"));
        assert_eq!(
            *item(&screen.describe(), NEW_PIN.feedback),
            Item::alert(NEW_PIN.feedback, fl!("pin-mismatch"))
        );
        // Still on its way: said politely.
        assert!(set(&mut screen, NEW_PIN.pin, "47"));
        assert!(matches!(
            item(&screen.describe(), NEW_PIN.feedback),
            Item::Live { .. }
        ));
        assert!(set(&mut screen, LINK_FIELD, "godkend://nonsense"));
        assert_eq!(
            *item(&screen.describe(), "welcome-link-note"),
            Item::alert("welcome-link-note", fl!("link-invalid"))
        );
        let ended = Welcome::after_device_ended();
        assert!(matches!(
            item(&ended.describe(), "welcome-device-ended"),
            Item::Alert { .. }
        ));
    }

    #[test]
    fn an_offered_link_is_a_question_with_two_buttons() {
        let mut screen = Welcome::new(Some(LINK.into()));
        let _ = screen.update(Message::PinChanged("470913".into()));
        screen.use_link(LINK.replace("acme", "other"));
        let items = screen.describe();
        assert!(matches!(
            item(&items, "welcome-offered"),
            Item::Alert { .. }
        ));
        assert!(ask(&mut screen, &Asked::Press(USE_OFFERED_BUTTON.into())));
        assert!(
            !screen
                .describe()
                .iter()
                .any(|i| i.key() == USE_OFFERED_BUTTON)
        );
        assert!(screen.link.contains("other"));
        assert!(Welcome::pressed(KEEP_FORM_BUTTON).is_some());
        assert!(Welcome::pressed("request-approve").is_none());
        assert!(Welcome::entered(ACTIVATE_BUTTON, &TypedValue::new("1")).is_none());
    }

    #[test]
    fn the_end_of_activation_reads_the_serial_and_goes_on() {
        let items = done_described_for_gallery("4821-0937-551", "Acme", "godkend.acme.example");
        assert_eq!(
            *item(&items, "welcome-serial"),
            Item::text(
                "welcome-serial",
                format!("{}: 4821-0937-551", fl!("activated-serial"))
            )
        );
        assert_eq!(
            *item(&items, CONTINUE_BUTTON),
            Item::button(CONTINUE_BUTTON, fl!("continue-button"), true)
        );
        assert!(matches!(
            Welcome::pressed(CONTINUE_BUTTON),
            Some(Message::Continue)
        ));
    }
}
