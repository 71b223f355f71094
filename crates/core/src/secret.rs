//! A secret on its way through messages and work items (a typed PIN, an activation
//! code or link). Its `Debug` prints a fixed placeholder, never the value, so the
//! types that carry it can derive `Debug` and a `{:?}` in a log cannot leak it.

use std::fmt;

use zeroize::Zeroizing;

/// What every redacted value prints as.
const PLACEHOLDER: &str = "<redacted>";

/// `value`, hidden from `Debug`. There is deliberately no `Display`, and the value is
/// reached only through [`Redacted::expose`] or [`Redacted::into_inner`], which read
/// as what they do where they are used.
#[derive(Clone, Default)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    pub const fn new(value: T) -> Self {
        Redacted(value)
    }

    /// The secret itself.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PLACEHOLDER)
    }
}

/// Secret text as a person typed it, wiped from memory when dropped.
pub type SecretText = Redacted<Zeroizing<String>>;

impl SecretText {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for SecretText {
    fn from(text: String) -> Self {
        Redacted(Zeroizing::new(text))
    }
}

impl From<&str> for SecretText {
    fn from(text: &str) -> Self {
        SecretText::from(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code, reason = "only printed")]
    enum Typed {
        Pin(SecretText),
        Digit(Redacted<u8>),
    }

    #[test]
    fn debug_prints_the_placeholder_not_the_value() {
        let pin = Typed::Pin(SecretText::from("470913"));
        let printed = format!("{pin:?} {:#?}", Typed::Digit(Redacted::new(7)));
        assert!(
            !printed.contains("470913") && !printed.contains('7'),
            "{printed}"
        );
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
    }

    #[test]
    fn the_value_is_there_for_whoever_asks_for_it() {
        let pin = SecretText::from(String::from("470913"));
        assert_eq!(pin.clone().as_str(), "470913");
        assert_eq!(pin.into_inner().as_str(), "470913");
    }
}
