//! What a screen means, in words: the description each screen of the app gives.

/// One screen as an assistive technology should read it: its items in reading
/// order, and which of them has the keyboard focus.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Screen {
    /// The window's name ("Godkend"), said when the window is entered.
    pub window: String,
    pub items: Vec<Item>,
    /// The key of the item with the keyboard focus, if any.
    pub focus: Option<String>,
}

impl Screen {
    /// Whether `request` is one this screen can take now: focus for any item, a
    /// press for an enabled button, a value for an editable field. What a screen
    /// reader asks of a control the user could not use is refused, as a click on it
    /// would do nothing.
    pub fn accepts(&self, request: &crate::Request) -> bool {
        let (crate::Request::Focus(key)
        | crate::Request::Press(key)
        | crate::Request::SetValue(key, _)) = request;
        let Some(item) = self.items.iter().find(|item| item.key() == key) else {
            return false;
        };
        match (request, item) {
            (crate::Request::Focus(_), _) => true,
            (
                crate::Request::Press(_),
                Item::Button { enabled, .. } | Item::Toggle { enabled, .. },
            ) => *enabled,
            (crate::Request::SetValue(..), Item::Field { editable, .. }) => *editable,
            _ => false,
        }
    }
}

/// One thing on a screen. Every item has a key, unique on its screen and the same
/// from one frame to the next (the app's widget id where it has one), so a screen
/// reader keeps its place while the screen changes around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A heading (level 1 is the screen's title).
    Heading {
        key: String,
        level: usize,
        text: String,
    },
    /// Text to read (a fact, an explanation, a field's label).
    Text { key: String, text: String },
    /// A text field with its label; it takes typing when `editable`.
    Field {
        key: String,
        label: String,
        value: FieldValue,
        editable: bool,
    },
    /// A button; `enabled` says whether pressing it does anything now.
    Button {
        key: String,
        name: String,
        enabled: bool,
    },
    /// A switch (a setting that is on or off); a press flips it when `enabled`.
    /// `note` says more about it, read with it (why it cannot be changed: the
    /// organisation fixed it).
    Toggle {
        key: String,
        name: String,
        on: bool,
        enabled: bool,
        note: Option<String>,
    },
    /// Text that changes by itself and is read out when it does, politely (the
    /// countdown).
    Live { key: String, text: String },
    /// A warning read out at once (a wrong PIN, an expired request).
    Alert { key: String, text: String },
}

/// What a field holds, as far as an assistive technology may know it.
#[derive(Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// Plain text (a code, a link).
    Plain(String),
    /// A secret (a PIN): only how many characters it has, shown masked.
    Secret { length: usize },
}

impl std::fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // A code is not a secret by itself, but it is one half of an approval:
            // kept out of logs like the PIN.
            FieldValue::Plain(text) => write!(f, "Plain({} chars)", text.chars().count()),
            FieldValue::Secret { length } => write!(f, "Secret({length} chars)"),
        }
    }
}

impl Item {
    pub fn heading(key: impl Into<String>, level: usize, text: impl Into<String>) -> Self {
        Item::Heading {
            key: key.into(),
            level,
            text: text.into(),
        }
    }

    pub fn text(key: impl Into<String>, text: impl Into<String>) -> Self {
        Item::Text {
            key: key.into(),
            text: text.into(),
        }
    }

    pub fn field(
        key: impl Into<String>,
        label: impl Into<String>,
        value: FieldValue,
        editable: bool,
    ) -> Self {
        Item::Field {
            key: key.into(),
            label: label.into(),
            value,
            editable,
        }
    }

    pub fn button(key: impl Into<String>, name: impl Into<String>, enabled: bool) -> Self {
        Item::Button {
            key: key.into(),
            name: name.into(),
            enabled,
        }
    }

    pub fn toggle(
        key: impl Into<String>,
        name: impl Into<String>,
        on: bool,
        enabled: bool,
    ) -> Self {
        Item::Toggle {
            key: key.into(),
            name: name.into(),
            on,
            enabled,
            note: None,
        }
    }

    /// The same item with `note` read with it (only a switch has one).
    #[must_use]
    pub fn with_note(mut self, text: impl Into<String>) -> Self {
        if let Item::Toggle { note, .. } = &mut self {
            *note = Some(text.into());
        }
        self
    }

    pub fn live(key: impl Into<String>, text: impl Into<String>) -> Self {
        Item::Live {
            key: key.into(),
            text: text.into(),
        }
    }

    pub fn alert(key: impl Into<String>, text: impl Into<String>) -> Self {
        Item::Alert {
            key: key.into(),
            text: text.into(),
        }
    }

    /// The item's key, unique on its screen.
    pub fn key(&self) -> &str {
        match self {
            Item::Heading { key, .. }
            | Item::Text { key, .. }
            | Item::Field { key, .. }
            | Item::Button { key, .. }
            | Item::Toggle { key, .. }
            | Item::Live { key, .. }
            | Item::Alert { key, .. } => key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Request, TypedValue};

    #[test]
    fn a_screen_takes_only_what_its_controls_can_do_now() {
        let screen = Screen {
            window: "Godkend".into(),
            items: vec![
                Item::heading("title", 1, "Unlock"),
                Item::field("pin", "PIN", FieldValue::Secret { length: 0 }, true),
                Item::field("code", "Code", FieldValue::Plain(String::new()), false),
                Item::button("unlock", "Unlock", false),
                Item::button("back", "Back", true),
                Item::toggle("on", "Notifications", true, true),
                Item::toggle("fixed", "Start at login", true, false),
            ],
            focus: None,
        };
        assert!(screen.accepts(&Request::Press("on".into())));
        assert!(
            !screen.accepts(&Request::Press("fixed".into())),
            "fixed by the organisation"
        );
        let value = || TypedValue::new("1");
        assert!(screen.accepts(&Request::Press("back".into())));
        assert!(
            !screen.accepts(&Request::Press("unlock".into())),
            "disabled"
        );
        assert!(
            !screen.accepts(&Request::Press("pin".into())),
            "not a button"
        );
        assert!(!screen.accepts(&Request::Press("gone".into())));
        assert!(screen.accepts(&Request::SetValue("pin".into(), value())));
        assert!(
            !screen.accepts(&Request::SetValue("code".into(), value())),
            "read-only"
        );
        assert!(!screen.accepts(&Request::SetValue("back".into(), value())));
        assert!(screen.accepts(&Request::Focus("title".into())));
        assert!(!screen.accepts(&Request::Focus("gone".into())));
    }

    #[test]
    fn field_values_stay_out_of_debug_prints() {
        let printed = format!(
            "{:?}",
            Item::field("code", "Code", FieldValue::Plain("123456".into()), true)
        );
        assert!(!printed.contains("123456"), "{printed}");
    }
}
