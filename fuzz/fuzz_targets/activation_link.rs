//! The `godkend://activate?...` link, as the app reads it from a click, the clipboard
//! or the command line, and the activation code rules.
//!
//! Properties: parsing never panics; a parsed link has every required field non-empty
//! and writes itself out as a link that parses back to the same fields; the app's
//! activation input from a link carries exactly the link's fields; normalising a code
//! is idempotent, keeps only upper-case letters and digits, and is unchanged by the
//! grouped form shown to people.

#![no_main]

use godkend_core::activation::ActivationInput;
use godkend_protocol::messages::ActivationLink;
use godkend_protocol::messages::activation::{format_code, normalise_code};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let code = normalise_code(text);
    assert_eq!(normalise_code(&code), code, "normalising is not idempotent");
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "a normalised code holds {code:?}"
    );
    assert_eq!(
        normalise_code(&format_code(text)),
        code,
        "grouping changed the code"
    );

    let parsed = ActivationLink::parse(text);
    let input = ActivationInput::from_link(text, "fuzz-pc");
    let Ok(link) = parsed else {
        assert!(input.is_err(), "the app read a link the protocol refuses");
        return;
    };
    assert!(!link.server_url.is_empty() && !link.user.is_empty() && !link.code.is_empty());
    assert_ne!(link.server_kid.as_deref(), Some(""), "an empty fp is no fp");
    let uri = link.to_uri();
    let again = ActivationLink::parse(&uri).expect("a link's own text parses");
    assert_eq!(again, link, "the link changed through its text: {uri}");
    match (input, url::Url::parse(&link.server_url)) {
        (Ok(input), Ok(url)) => {
            assert_eq!(input.server_url, url);
            assert_eq!(input.user, link.user);
            assert_eq!(input.code, link.code);
            assert_eq!(input.expected_kid, link.server_kid);
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(_)) => panic!("the app took a server address that is not a URL"),
        (Err(e), Ok(_)) => panic!("the app refused a good link: {e}"),
    }
});
