//! The request screen for a screen reader: the same facts, fields and buttons as the
//! view, in its reading order, with the widget ids as keys; and what a screen
//! reader's press or typing on them means. The PIN field says only how many digits
//! it holds.

use godkend_a11y::{FieldValue, Item};

use super::view::ending_words;
use super::{
    APPROVE, BACK, CODE_FIELD, DENY, Message, NOT_ME, NOT_ME_CANCEL, NOT_ME_CONFIRM, Origin,
    PIN_FIELD, Request, RequestKind, Stage, USE_BIOMETRIC, USE_PIN, fl,
};
use crate::format::site::site;

/// The countdown (an alert once the request expired).
pub const COUNTDOWN: &str = "request-countdown";
/// From this many seconds before expiry, that the last minute began is announced.
const LAST_MINUTE: i64 = 60;
/// What became of the request, or why the last try failed: read out at once.
const OUTCOME: &str = "request-outcome";
const NOTICE: &str = "request-notice";
/// The amount (with its currency): what the user approves.
pub const AMOUNT: &str = "request-amount";
/// Stops the fingerprint check (a button the shared scanning view draws).
pub(super) const CANCEL_SCAN: &str = "request-cancel-scan";
/// What kind of request, from whom: read out when the screen opens.
pub const ARRIVED: &str = "request-arrived";
/// Who asks.
pub const RP: &str = "request-rp";
/// What the browser vouched for.
const ORIGIN: &str = "request-origin";

impl Request {
    /// What the screen shows, in words.
    pub fn describe(&self) -> Vec<Item> {
        let mut items = self.describe_summary();
        match &self.stage {
            Stage::Final(ending) => items.push(Item::alert(OUTCOME, ending_words(ending).0)),
            Stage::Open if self.is_expired() => {
                items.push(Item::alert(COUNTDOWN, self.countdown_words()));
            }
            Stage::Open | Stage::Working => {
                // Read when the user asks, not spoken every second; the last minute
                // is announced once, as it begins.
                items.push(Item::text(COUNTDOWN, self.countdown_words()));
                if self.verified.request.exp - self.now <= LAST_MINUTE {
                    items.push(Item::live(
                        "request-last-minute",
                        fl!("request-expires", time = "1:00"),
                    ));
                }
                self.describe_decision(&mut items);
            }
        }
        items.push(Item::button(BACK, fl!("back-button"), true));
        items
    }

    /// Who asks, what for, the amount and where the request comes from.
    fn describe_summary(&self) -> Vec<Item> {
        let request = &self.verified.request;
        let kind = match request.kind {
            RequestKind::Login => fl!("request-kind-login"),
            RequestKind::Payment => fl!("request-kind-payment"),
            RequestKind::Action => fl!("request-kind-action"),
        };
        // The kind and who asks, politely read out as the screen opens: a request
        // arrived.
        let arrived = format!(
            "{kind}. {}",
            fl!("home-pending-from", rp = request.rp_name.clone())
        );
        let mut items = vec![
            Item::heading(RP, 1, request.rp_name.clone()),
            Item::live(ARRIVED, arrived),
            Item::heading("request-title", 2, request.title.clone()),
            Item::text("request-message", request.message.clone()),
        ];
        if let Some(amount) = &request.amount {
            items.push(Item::text(
                AMOUNT,
                format!(
                    "{}: {}",
                    fl!("request-amount"),
                    crate::format::amount::amount(amount)
                ),
            ));
        }
        if let Some(payee) = &request.payee {
            items.push(Item::text(
                "request-payee",
                fl!("request-payee", payee = payee.clone()),
            ));
        }
        let context = &request.context;
        let lines = [
            ("request-ip", fl!("request-ip"), context.ip.clone()),
            (
                "request-location",
                fl!("request-location"),
                context.location.clone(),
            ),
            (
                "request-browser",
                fl!("request-browser"),
                context.user_agent.clone(),
            ),
            (
                "request-time",
                fl!("request-time"),
                Some(crate::format::time::date_time(request.iat)),
            ),
        ];
        for (key, label, value) in lines {
            if let Some(value) = value {
                items.push(Item::text(key, format!("{label}: {value}")));
            }
        }
        self.describe_origin(&mut items);
        items
    }

    /// What the browser vouched for: a mismatch is an alert.
    fn describe_origin(&self, items: &mut Vec<Item>) {
        let rp = self.verified.request.rp_name.clone();
        match self.origin() {
            Origin::NotBound => {}
            Origin::Verified(origin) => items.push(Item::text(
                ORIGIN,
                fl!("request-origin-verified", site = site(&origin).host()),
            )),
            Origin::Unconfirmed => {
                items.push(Item::text(ORIGIN, fl!("request-origin-unconfirmed")));
            }
            Origin::Missing => {
                items.push(Item::alert(ORIGIN, fl!("request-origin-missing", rp = rp)));
            }
            Origin::Mismatch(origin) => {
                let seen = site(&origin);
                items.push(Item::alert(
                    ORIGIN,
                    format!(
                        "{} {} {} {} {}",
                        fl!("request-origin-mismatch-title"),
                        fl!("request-origin-mismatch-started"),
                        seen.host(),
                        fl!("request-origin-mismatch-site", site = seen.registrable),
                        fl!("request-origin-mismatch-advice", rp = rp)
                    ),
                ));
            }
        }
    }

    /// The code and PIN, Approve, Deny and "not me", or the question that takes
    /// their place.
    fn describe_decision(&self, items: &mut Vec<Item>) {
        if self.confirming_not_me {
            items.push(Item::text(
                "request-not-me-explained",
                fl!("request-not-me-explained"),
            ));
            items.push(Item::button(
                NOT_ME_CONFIRM,
                fl!("request-not-me-confirm"),
                self.can_decide(),
            ));
            items.push(Item::button(
                NOT_ME_CANCEL,
                fl!("request-not-me-cancel"),
                true,
            ));
            return;
        }
        if self.uv.scanning {
            items.push(Item::live(
                "request-scanning",
                fl!("biometric-scanning-approve"),
            ));
            items.push(Item::button(CANCEL_SCAN, fl!("biometric-cancel"), true));
            return;
        }
        let editable = self.can_decide() && self.stage == Stage::Open;
        let method = crate::screen::biometric::method();
        let instructions = self.instructions(&method);
        let approvable = self.origin_allows_approval();
        if approvable {
            items.push(Item::text("request-instructions", instructions));
        }
        if approvable && self.needs_code() {
            items.push(Item::field(
                CODE_FIELD,
                fl!(
                    "request-code-label",
                    length = self.verified.request.code_length
                ),
                FieldValue::Plain(self.code.clone()),
                editable,
            ));
        }
        if !approvable {
            // Only Deny and "not me" below.
        } else if self.uv.chosen() {
            items.push(Item::button(USE_PIN, fl!("biometric-use-pin"), editable));
        } else if self.pin_key.is_some() {
            items.push(Item::text("request-pin-kept", fl!("request-pin-kept")));
        } else {
            items.push(Item::field(
                PIN_FIELD,
                fl!("request-pin-label"),
                FieldValue::Secret {
                    length: self.pin.as_str().chars().count(),
                },
                editable,
            ));
        }
        if approvable && self.uv.offered && !self.uv.chosen() {
            items.push(Item::button(
                USE_BIOMETRIC,
                fl!("biometric-use", method = method.clone()),
                editable,
            ));
        }
        if let Some(notice) = &self.notice {
            items.push(Item::alert(NOTICE, notice.clone()));
        }
        let approve = if self.uv.chosen() {
            fl!("biometric-approve", method = method)
        } else {
            fl!("request-approve")
        };
        if approvable {
            items.push(Item::button(APPROVE, approve, self.can_approve()));
        }
        items.push(Item::button(DENY, fl!("request-deny"), self.can_decide()));
        items.push(Item::button(
            NOT_ME,
            fl!("request-not-me"),
            self.can_decide(),
        ));
        if self.stage == Stage::Working {
            items.push(Item::live("request-working", fl!("request-working")));
        }
    }

    /// The message a screen reader's press on the button `key` stands for.
    pub fn pressed(key: &str) -> Option<Message> {
        Some(match key {
            APPROVE => Message::Approve,
            DENY => Message::Deny,
            NOT_ME => Message::NotMe,
            NOT_ME_CONFIRM => Message::ConfirmNotMe,
            NOT_ME_CANCEL => Message::CancelNotMe,
            USE_PIN => Message::UsePin,
            USE_BIOMETRIC => Message::UseBiometric,
            BACK => Message::Close,
            CANCEL_SCAN => Message::CancelScan,
            _ => return None,
        })
    }

    /// The message a screen reader's typing `value` into the field `key` stands for.
    pub fn entered(key: &str, value: &godkend_a11y::TypedValue) -> Option<Message> {
        match key {
            CODE_FIELD => Some(Message::CodeChanged(value.as_str().into())),
            PIN_FIELD => Some(Message::PinChanged(value.as_str().into())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use godkend_a11y::{Request as Asked, Screen, TypedValue};

    use super::*;
    use crate::screen::fixtures::{IAT, payment_request};

    fn screen() -> Request {
        Request::new(payment_request(), IAT + 20)
    }

    fn item<'a>(items: &'a [Item], key: &str) -> &'a Item {
        items
            .iter()
            .find(|item| item.key() == key)
            .unwrap_or_else(|| panic!("no {key} in {items:?}"))
    }

    /// What a screen reader's request does to the screen, through its messages.
    fn ask(screen: &mut Request, asked: &Asked) {
        let described = Screen {
            window: String::new(),
            items: screen.describe(),
            focus: None,
        };
        assert!(
            described.accepts(asked),
            "{asked:?} on {:?}",
            described.items
        );
        let message = match asked {
            Asked::Press(key) => Request::pressed(key),
            Asked::SetValue(key, value) => Request::entered(key, value),
            Asked::Focus(_) => None,
        };
        screen.update(message.expect("a message"));
    }

    #[test]
    fn who_asks_what_for_and_how_much_are_read_first() {
        let items = screen().describe();
        assert_eq!(items[0], Item::heading(RP, 1, "Shop"));
        assert_eq!(
            items[1],
            Item::live(ARRIVED, "Payment request. From Shop"),
            "announced as the screen opens"
        );
        assert_eq!(
            *item(&items, "request-title"),
            Item::heading("request-title", 2, "Pay for your order")
        );
        assert_eq!(
            *item(&items, AMOUNT),
            Item::text(AMOUNT, "Amount: DKK\u{a0}1,250.00")
        );
        assert_eq!(
            *item(&items, COUNTDOWN),
            Item::text(COUNTDOWN, fl!("request-expires", time = "1:40"))
        );
        assert!(items.iter().all(|item| item.key() != "request-last-minute"));
        assert_eq!(
            *item(&items, "request-ip"),
            Item::text("request-ip", "IP address: 192.0.2.7")
        );
        assert_eq!(
            *item(&items, APPROVE),
            Item::button(APPROVE, "Approve", false)
        );
        assert_eq!(*item(&items, BACK), Item::button(BACK, "Back", true));
    }

    #[test]
    fn typed_through_a_screen_reader_the_pin_shows_only_as_its_length() {
        let mut screen = screen();
        ask(
            &mut screen,
            &Asked::SetValue(CODE_FIELD.into(), TypedValue::new("12a3456")),
        );
        ask(
            &mut screen,
            &Asked::SetValue(PIN_FIELD.into(), TypedValue::new("403917")),
        );
        let items = screen.describe();
        assert_eq!(
            *item(&items, CODE_FIELD),
            Item::field(
                CODE_FIELD,
                "Code (6 digits)",
                FieldValue::Plain("123456".into()),
                true
            ),
            "digits only, as typed on the keyboard"
        );
        assert_eq!(
            *item(&items, PIN_FIELD),
            Item::field(PIN_FIELD, "PIN", FieldValue::Secret { length: 6 }, true)
        );
        let everything = format!("{items:?}");
        assert!(!everything.contains("403917"), "{everything}");
        assert_eq!(
            *item(&items, APPROVE),
            Item::button(APPROVE, "Approve", true)
        );
        // Pressing Approve asks for the PIN key, as a click would.
        let (work, _) = screen.update(Request::pressed(APPROVE).expect("Approve"));
        assert!(
            matches!(work, Some(super::super::Work::DerivePinKey(_))),
            "{work:?}"
        );
        assert_eq!(
            *item(&screen.describe(), "request-working"),
            Item::live("request-working", fl!("request-working"))
        );
    }

    #[test]
    fn not_me_asks_first_and_expiry_and_the_outcome_are_alerts() {
        let mut screen = screen();
        ask(&mut screen, &Asked::Press(NOT_ME.into()));
        let items = screen.describe();
        assert!(items.iter().all(|item| item.key() != APPROVE), "{items:?}");
        assert_eq!(
            *item(&items, NOT_ME_CONFIRM),
            Item::button(NOT_ME_CONFIRM, fl!("request-not-me-confirm"), true)
        );
        ask(&mut screen, &Asked::Press(NOT_ME_CANCEL.into()));
        assert!(screen.describe().iter().any(|item| item.key() == APPROVE));

        screen.tick(IAT + 61);
        assert_eq!(
            *item(&screen.describe(), "request-last-minute"),
            Item::live("request-last-minute", fl!("request-expires", time = "1:00")),
            "announced once, the same words while it lasts"
        );
        screen.tick(IAT + 600);
        let items = screen.describe();
        assert_eq!(
            *item(&items, COUNTDOWN),
            Item::alert(COUNTDOWN, fl!("request-expired"))
        );
        assert!(items.iter().all(|item| item.key() != CODE_FIELD));

        let mut decided = Request::new(payment_request(), IAT + 20);
        decided.closed(godkend_core::standing::Standing::Decided(
            godkend_protocol::messages::DecisionKind::Approve,
        ));
        assert_eq!(
            *item(&decided.describe(), OUTCOME),
            Item::alert(OUTCOME, fl!("request-approved"))
        );
    }

    #[test]
    fn only_the_screens_own_buttons_and_fields_map_to_messages() {
        assert!(Request::pressed("unlock-button").is_none());
        assert!(Request::entered(APPROVE, &TypedValue::new("1")).is_none());
        assert!(matches!(Request::pressed(BACK), Some(Message::Close)));
    }
}
