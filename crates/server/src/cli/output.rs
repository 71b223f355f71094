//! Printing command results as text or JSON. Text output passes every stored value
//! through `clean`, so a value holding a newline, a terminal escape sequence or a
//! bidirectional override cannot forge lines or recolour an operator's terminal
//! (JSON output is escaped by the serializer).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

/// Prints `value` as pretty JSON when `json`, else the text from `text`.
pub fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        let text = text(value);
        if !text.is_empty() {
            println!("{text}");
        }
    }
}

/// `text` with control characters (C0, DEL, C1: among them ESC, which starts every
/// ANSI escape sequence) and bidirectional formatting characters written as visible
/// escapes (`\n`, `\u{1b}`, ...), and backslashes doubled so an escape cannot be
/// faked.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `clean` for an optional value, `-` when absent.
pub fn clean_or_dash(text: Option<&str>) -> Cow<'_, str> {
    text.map_or(Cow::Borrowed("-"), clean)
}

fn needs_escape(c: char) -> bool {
    c == '\\'
        || c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Formats Unix seconds as RFC 3339 UTC.
pub fn time(unix: i64) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(unix).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_controls_and_terminal_sequences() {
        assert_eq!(super::clean("alice@example.com"), "alice@example.com");
        assert_eq!(
            super::clean("\u{1b}[31mred\nforged line"),
            "\\u{1b}[31mred\\nforged line"
        );
        assert_eq!(super::clean("a\\nb"), "a\\\\nb");
        assert_eq!(
            super::clean("\u{9b}x\u{202e}y\u{7f}"),
            "\\u{9b}x\\u{202e}y\\u{7f}"
        );
        assert_eq!(super::clean_or_dash(None), "-");
    }

    #[test]
    fn formats_utc_time() {
        assert_eq!(super::time(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::time(1_795_773_350), "2026-11-27T09:55:50Z");
    }
}
