//! RFC 8785 (JCS) canonical JSON: the exact bytes every signature and hash covers.
//! The canonicaliser is `serde_json_canonicalizer`, which implements the RFC's number
//! serialisation (ECMAScript `Number.prototype.toString`) and UTF-16 key ordering.
//!
//! That serialisation goes through an f64, so `1`, `1.0` and `1e0` (and any two
//! integers that round to the same f64 above 2^53) share one canonical form. Signed
//! payloads therefore may hold only integers of absolute value below 2^53
//! (`check_numbers`), where the canonical form is one-to-one.

use serde::Serialize;
use serde_json::Value;

use crate::ProtocolError;

/// 2^53: integers of smaller absolute value are exact in an f64.
pub const SAFE_INTEGER_BOUND: u64 = 1 << 53;

/// Refuses `value` if any number in it is not an integer of absolute value below
/// 2^53 (a fraction, an exponent form, or a large integer).
pub fn check_numbers(value: &Value) -> Result<(), ProtocolError> {
    match value {
        Value::Number(n) => {
            let safe = n
                .as_u64()
                .map(|u| u < SAFE_INTEGER_BOUND)
                .or_else(|| n.as_i64().map(|i| i.unsigned_abs() < SAFE_INTEGER_BOUND))
                .unwrap_or(false);
            if safe {
                Ok(())
            } else {
                Err(ProtocolError::UnsafeNumber(n.to_string()))
            }
        }
        Value::Array(items) => items.iter().try_for_each(check_numbers),
        Value::Object(members) => members.values().try_for_each(check_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
    }
}

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
    fn only_integers_below_two_to_the_53_are_safe() {
        let bound = SAFE_INTEGER_BOUND;
        for ok in [
            json!(0),
            json!(-1),
            json!(bound - 1),
            json!(-(i64::try_from(bound).unwrap() - 1)),
            json!({"a": [1, {"b": 2}], "s": "1.5"}),
        ] {
            assert_eq!(check_numbers(&ok), Ok(()), "{ok}");
        }
        for bad in [
            json!(bound),
            json!(bound + 1),
            json!(-i64::try_from(bound).unwrap()),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.0),
            json!(0.5),
            json!(-0.0),
            json!({"deep": [[{"x": 1e3}]]}),
        ] {
            assert!(check_numbers(&bad).is_err(), "{bad}");
        }
        // Parsed text: the exponent and fraction forms are floats, never integers.
        for text in ["1.0", "1e0", "1E2", "9007199254740993", "-9007199254740993"] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert!(check_numbers(&value).is_err(), "{text}");
        }
    }

    #[test]
    fn distinct_unsafe_numbers_share_canonical_bytes() {
        // Why the check exists: the canonical form alone cannot tell these apart.
        let pairs = [("1", "1.0"), ("9007199254740992", "9007199254740993")];
        for (a, b) in pairs {
            let (a, b): (Value, Value) = (
                serde_json::from_str(a).unwrap(),
                serde_json::from_str(b).unwrap(),
            );
            assert_ne!(a, b);
            assert_eq!(to_vec(&a).unwrap(), to_vec(&b).unwrap());
            assert!(check_numbers(&a).is_err() || check_numbers(&b).is_err());
        }
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
