//! The admin API's JSON request bodies (`/v1/admin/...`), read as the server reads
//! them (axum's `Json`: `serde_json::from_slice`) into the protocol's types
//! (`messages::admin`), then judged by the rules the server checks them by: the id
//! rules (`ids`), a relying party's name (`check_rp_name`), its origins
//! (`normalise_origins`) and a key rotation's overlap (`check_overlap`).
//!
//! Properties: no panic; every body that reads writes back as JSON that reads as the
//! same value; the bodies that refuse unknown fields read only objects with their own
//! fields; an accepted id is 1 to 128 ASCII letters, digits and `@._-+`, and a
//! refused one gets the same problem whatever it held (nothing of it is echoed); an
//! accepted name is not blank and at most 80 characters, and every other is
//! refused; accepted origins are normalised (normalising again changes nothing),
//! without duplicates, no more than were given; an overlap is accepted exactly from
//! 0 to 30 days, and a body without one gets the default of a day.

#![no_main]

use godkend_fuzz::round_trip;
use godkend_protocol::ids::{self, ID_PUNCTUATION, MAX_ID_LEN};
use godkend_protocol::messages::admin::{
    DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS, MAX_RP_NAME_CHARS, check_overlap, check_rp_name,
};
use godkend_protocol::messages::{
    NewActivationBody, NewRpBody, NewUser, RotateKeyBody, RpUpdateBody,
};
use godkend_protocol::origin::{normalise_origin, normalise_origins};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn id_rules(id: &str, check: fn(&str) -> Result<(), Box<godkend_protocol::Problem>>) {
    let well_formed = (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || ID_PUNCTUATION.as_bytes().contains(&b));
    match check(id) {
        Ok(()) => assert!(well_formed, "accepted the id {id:?}"),
        Err(problem) => {
            assert!(!well_formed, "refused the id {id:?}");
            assert_eq!(
                problem,
                check("").expect_err("an empty id is refused"),
                "the problem depends on the id"
            );
        }
    }
}

fn name_rules(name: &str) {
    let fits = !name.trim().is_empty() && name.chars().count() <= MAX_RP_NAME_CHARS;
    assert_eq!(check_rp_name(name).is_ok(), fits, "name {name:?}");
}

fn origin_rules(given: &[String]) {
    let Ok(origins) = normalise_origins(given) else {
        return;
    };
    assert!(origins.len() <= given.len(), "more origins than given");
    for (i, origin) in origins.iter().enumerate() {
        assert_eq!(
            normalise_origin(origin).as_deref(),
            Ok(origin.as_str()),
            "a normalised origin normalises to something else"
        );
        assert!(!origins[..i].contains(origin), "duplicate origin {origin}");
    }
}

/// The fields of the JSON object `data` holds, if it is one. (serde also reads a
/// struct from an array of its fields in order, which the server accepts too.)
fn fields(data: &[u8]) -> Option<Vec<String>> {
    match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(members)) => Some(members.keys().cloned().collect()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(body) = round_trip::<NewUser>(data) {
        id_rules(&body.user, ids::check_user);
    }
    if let Some(body) = round_trip::<NewActivationBody>(data) {
        id_rules(&body.user, ids::check_user);
    }
    if let Some(body) = round_trip::<NewRpBody>(data) {
        id_rules(&body.rp_id, ids::check_rp);
        name_rules(&body.name);
        origin_rules(&body.origins);
    }
    if let Some(body) = round_trip::<RpUpdateBody>(data) {
        if let Some(given) = fields(data) {
            assert_eq!(given, ["origins"], "an unknown field got through");
        }
        origin_rules(&body.origins);
    }
    if let Some(body) = round_trip::<RotateKeyBody>(data) {
        if let Some(given) = fields(data) {
            assert!(
                given.iter().all(|f| f == "overlap_seconds"),
                "an unknown field got through: {given:?}"
            );
            if given.is_empty() {
                assert_eq!(body.overlap_seconds, DEFAULT_OVERLAP_SECONDS);
            }
        }
        assert_eq!(
            check_overlap(body.overlap_seconds).is_ok(),
            (0..=MAX_OVERLAP_SECONDS).contains(&body.overlap_seconds),
            "overlap {}",
            body.overlap_seconds
        );
    }
});
