//! The identifiers people and relying parties choose (user ids, relying-party ids)
//! and the ones the server mints (device ids). They appear in links, URLs, logs, the
//! audit log and terminal output, so each is checked before any write or audit: 1 to
//! 128 characters of ASCII letters, digits and `@ . _ - +`. Nothing else gets through,
//! so no id can carry a control character, a terminal escape or a huge payload. The
//! server checks them; here, beside the bodies that carry them, so the fuzz targets
//! judge the same rules.

use crate::{ErrorCode, Problem};

/// Longest id accepted.
pub const MAX_ID_LEN: usize = 128;

/// The characters besides ASCII letters and digits an id may use.
pub const ID_PUNCTUATION: &str = "@._-+";

/// Whether `id` is a well-formed id.
pub fn is_valid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ID_PUNCTUATION.contains(c))
}

/// A 400 `bad_request` naming the rule (never echoing the id, which may be huge or
/// hold terminal escapes).
pub fn check(what: &str, id: &str) -> Result<(), Box<Problem>> {
    if is_valid(id) {
        Ok(())
    } else {
        Err(Box::new(Problem::new(
            ErrorCode::BadRequest,
            format!(
                "a {what} id is 1 to {MAX_ID_LEN} characters of letters, digits and {ID_PUNCTUATION}"
            ),
        )))
    }
}

pub fn check_user(id: &str) -> Result<(), Box<Problem>> {
    check("user", id)
}

pub fn check_rp(id: &str) -> Result<(), Box<Problem>> {
    check("relying party", id)
}

pub fn check_device(id: &str) -> Result<(), Box<Problem>> {
    check("device", id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids_and_refuses_controls_and_long_ones() {
        for ok in ["alice", "a.b+c@example.com", "dev_Ab-9_x", &"x".repeat(128)] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            &"x".repeat(129),
            "ali ce",
            "alice\n",
            "\u{1b}[31mred",
            "bob\u{202e}",
            "æble",
            "a/b",
        ] {
            assert!(!is_valid(bad), "{bad:?}");
        }
        let problem = check_user(&"y".repeat(60_000)).unwrap_err();
        assert!(!problem.to_string().contains("yyyy"));
    }
}
