//! RFC 8785 (JCS) canonical JSON: the exact bytes every signature and hash covers.
//! The canonicaliser is `serde_json_canonicalizer`, which implements the RFC's number
//! serialisation (ECMAScript `Number.prototype.toString`) and UTF-16 key ordering.

use serde::Serialize;

use crate::ProtocolError;

/// The canonical UTF-8 bytes of `value`.
pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, ProtocolError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| ProtocolError::Canonical(e.to_string()))
}

/// The canonical form of `value` as a string.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, ProtocolError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| ProtocolError::Canonical(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_by_utf16_code_units() {
        // RFC 8785 §3.2.3: "\u{20ac}" (U+20AC) sorts before "\u{1f600}" (surrogates D83D..)
        // in UTF-16 order, although UTF-8 byte order would put it first too; the
        // telling pair is U+E000 (private use) versus U+1F600: UTF-16 puts the
        // surrogate pair (0xD83D) first, UTF-8 bytes would not.
        let value = json!({"\u{e000}": 1, "\u{1f600}": 2, "b": 3, "a": 4});
        assert_eq!(
            to_string(&value).unwrap(),
            "{\"a\":4,\"b\":3,\"\u{1f600}\":2,\"\u{e000}\":1}"
        );
    }

    #[test]
    fn writes_numbers_in_ecmascript_form() {
        let value = json!([1.0, 1e21, 1e-7, 0.1, -0.0, 100, 123_456_789_012_i64]);
        assert_eq!(
            to_string(&value).unwrap(),
            "[1,1e+21,1e-7,0.1,0,100,123456789012]"
        );
    }

    #[test]
    fn keeps_unicode_and_escapes_only_what_rfc_requires() {
        let value = json!({"s": "æøå \u{1f600} \"q\" \\ \n \u{1}"});
        assert_eq!(
            to_string(&value).unwrap(),
            "{\"s\":\"æøå \u{1f600} \\\"q\\\" \\\\ \\n \\u0001\"}"
        );
    }

    #[test]
    fn nested_objects_are_sorted_and_whitespace_free() {
        let value = json!({"z": {"y": [true, null, {"b": 1, "a": 2}]}, "a": "x"});
        assert_eq!(
            to_string(&value).unwrap(),
            r#"{"a":"x","z":{"y":[true,null,{"a":2,"b":1}]}}"#
        );
    }
}
