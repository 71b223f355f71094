use std::time::{Duration, Instant};

use super::{BindingBook, BindingState, HandoffOutcome};
use crate::handoff::limits::Limits;
use crate::handoff::origin::WebOrigin;

const GENUINE: &str = "https://shop.example";
const LOOKALIKE: &str = "https://shop-example.login.test";

fn origin(o: &str) -> WebOrigin {
    WebOrigin::from_header(o).unwrap()
}

fn allowed() -> Vec<String> {
    vec![GENUINE.to_owned(), "https://www.shop.example".to_owned()]
}

fn book() -> BindingBook {
    BindingBook::new(Limits::default())
}

#[test]
fn a_request_without_hand_off_is_unconfirmed() {
    let mut book = book();
    let now = Instant::now();
    assert_eq!(book.open("r1", &allowed(), now), BindingState::Unconfirmed);
    assert_eq!(book.state("r1"), Some(BindingState::Unconfirmed));
    assert_eq!(book.state("r2"), None);
}

#[test]
fn the_genuine_origin_verifies_its_request() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &allowed(), now);
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), now),
        HandoffOutcome::Verified
    );
    assert_eq!(
        book.state("r1"),
        Some(BindingState::Verified(origin(GENUINE)))
    );
    // Any of the allowed origins does, and the first stays recorded.
    assert_eq!(
        book.hand_off("r1", origin("https://www.shop.example"), now),
        HandoffOutcome::Verified
    );
    assert_eq!(
        book.state("r1"),
        Some(BindingState::Verified(origin(GENUINE)))
    );
}

#[test]
fn another_origin_marks_a_mismatch() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &allowed(), now);
    assert_eq!(
        book.hand_off("r1", origin(LOOKALIKE), now),
        HandoffOutcome::Mismatch
    );
    assert_eq!(
        book.state("r1"),
        Some(BindingState::Mismatch(origin(LOOKALIKE)))
    );
}

#[test]
fn a_mismatch_is_sticky_when_the_genuine_page_hands_off_later() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &allowed(), now);
    book.hand_off("r1", origin(LOOKALIKE), now);
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), now),
        HandoffOutcome::AlreadyMismatched
    );
    assert_eq!(
        book.state("r1"),
        Some(BindingState::Mismatch(origin(LOOKALIKE)))
    );
    // Nor does opening the same request again clear it.
    assert_eq!(
        book.open("r1", &allowed(), now),
        BindingState::Mismatch(origin(LOOKALIKE))
    );
}

#[test]
fn a_mismatch_after_verification_wins() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &allowed(), now);
    book.hand_off("r1", origin(GENUINE), now);
    assert_eq!(
        book.hand_off("r1", origin(LOOKALIKE), now),
        HandoffOutcome::Mismatch
    );
    assert_eq!(
        book.state("r1"),
        Some(BindingState::Mismatch(origin(LOOKALIKE)))
    );
    // The first mismatched origin is the one shown.
    book.hand_off("r1", origin("https://other.test"), now);
    assert_eq!(
        book.state("r1"),
        Some(BindingState::Mismatch(origin(LOOKALIKE)))
    );
}

#[test]
fn an_early_hand_off_is_held_and_applied_when_the_request_comes() {
    let mut book = book();
    let start = Instant::now();
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), start),
        HandoffOutcome::Held
    );
    assert_eq!(book.state("r1"), None);
    assert_eq!(book.held(start), 1);
    let later = start + Duration::from_secs(29);
    assert_eq!(
        book.open("r1", &allowed(), later),
        BindingState::Verified(origin(GENUINE))
    );
    assert_eq!(book.held(later), 0);
}

#[test]
fn a_held_hand_off_settles_when_its_request_opens_or_closes() {
    let mut book = book();
    let now = Instant::now();
    for o in [GENUINE, LOOKALIKE] {
        book.hand_off("r1", origin(o), now);
        book.hand_off("r2", origin(GENUINE), now);
        book.hand_off("r3", origin(GENUINE), now);
        book.hand_off("r4", origin(o), now);
    }
    for id in ["r1", "r2", "r3", "r4"] {
        assert_eq!(book.settled(id, &origin(GENUINE)), None, "{id} is held");
    }
    // The genuine page alone: verified. Both pages: the lookalike's answer says
    // mismatch, the genuine page's that the request was already mismatched.
    book.open("r2", &allowed(), now);
    assert_eq!(
        book.settled("r2", &origin(GENUINE)),
        Some(HandoffOutcome::Verified)
    );
    book.open("r1", &allowed(), now);
    assert_eq!(
        book.settled("r1", &origin(LOOKALIKE)),
        Some(HandoffOutcome::Mismatch)
    );
    assert_eq!(
        book.settled("r1", &origin(GENUINE)),
        Some(HandoffOutcome::AlreadyMismatched)
    );
    book.close("r3");
    assert_eq!(
        book.settled("r3", &origin(GENUINE)),
        Some(HandoffOutcome::NotPending)
    );
    book.open("r4", &[], now);
    assert_eq!(
        book.settled("r4", &origin(GENUINE)),
        Some(HandoffOutcome::Unbound)
    );
}

#[test]
fn a_repeated_hand_off_is_held_from_its_last_try() {
    let mut book = book();
    let start = Instant::now();
    book.hand_off("r1", origin(GENUINE), start);
    let retry = start + Duration::from_secs(28);
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), retry),
        HandoffOutcome::Held
    );
    assert_eq!(book.held(retry), 1, "one hold, not two");
    assert_eq!(
        book.open("r1", &allowed(), start + Duration::from_secs(31)),
        BindingState::Verified(origin(GENUINE))
    );
}

#[test]
fn a_hand_off_whose_hold_ran_out_never_settles() {
    let mut book = book();
    let start = Instant::now();
    book.hand_off("r1", origin(GENUINE), start);
    book.open("r1", &allowed(), start + Duration::from_secs(30));
    assert_eq!(book.settled("r1", &origin(GENUINE)), None);
}

#[test]
fn early_hand_offs_from_both_pages_make_a_mismatch_in_either_order() {
    for order in [[GENUINE, LOOKALIKE], [LOOKALIKE, GENUINE]] {
        let mut book = book();
        let now = Instant::now();
        for o in order {
            assert_eq!(book.hand_off("r1", origin(o), now), HandoffOutcome::Held);
        }
        assert_eq!(
            book.open("r1", &allowed(), now),
            BindingState::Mismatch(origin(LOOKALIKE)),
            "{order:?}"
        );
    }
}

#[test]
fn a_held_hand_off_expires_after_thirty_seconds() {
    let mut book = book();
    let start = Instant::now();
    book.hand_off("r1", origin(GENUINE), start);
    let late = start + Duration::from_secs(30);
    assert_eq!(book.held(late), 0);
    assert_eq!(book.open("r1", &allowed(), late), BindingState::Unconfirmed);
}

#[test]
fn a_held_hand_off_applies_only_to_its_own_request() {
    let mut book = book();
    let now = Instant::now();
    book.hand_off("r1", origin(LOOKALIKE), now);
    assert_eq!(book.open("r2", &allowed(), now), BindingState::Unconfirmed);
    assert_eq!(book.held(now), 1);
    assert_eq!(
        book.open("r1", &allowed(), now),
        BindingState::Mismatch(origin(LOOKALIKE))
    );
}

#[test]
fn early_hand_offs_are_bounded_per_origin() {
    let limits = Limits {
        held_per_origin: 3,
        ..Limits::default()
    };
    let mut book = BindingBook::new(limits);
    let now = Instant::now();
    for i in 0..3 {
        assert_eq!(
            book.hand_off(&format!("r{i}"), origin(LOOKALIKE), now),
            HandoffOutcome::Held
        );
    }
    assert_eq!(
        book.hand_off("r9", origin(LOOKALIKE), now),
        HandoffOutcome::HeldFull
    );
    // Another origin still has room: a flood from one page cannot crowd out another.
    assert_eq!(
        book.hand_off("r9", origin(GENUINE), now),
        HandoffOutcome::Held
    );
    // The same hand-off again takes no more room.
    assert_eq!(
        book.hand_off("r0", origin(LOOKALIKE), now),
        HandoffOutcome::Held
    );
    assert_eq!(book.held(now), 4);
    // Once the first ones expire there is room again.
    let later = now + Duration::from_secs(31);
    assert_eq!(
        book.hand_off("r10", origin(LOOKALIKE), later),
        HandoffOutcome::Held
    );
}

#[test]
fn early_hand_offs_are_bounded_in_all() {
    let limits = Limits {
        held_total: 4,
        ..Limits::default()
    };
    let mut book = BindingBook::new(limits);
    let now = Instant::now();
    for i in 0..4 {
        let o = format!("https://site{i}.test");
        assert_eq!(book.hand_off("r1", origin(&o), now), HandoffOutcome::Held);
    }
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), now),
        HandoffOutcome::HeldFull
    );
    assert_eq!(book.held(now), 4);
}

#[test]
fn the_mark_never_carries_over_to_a_superseding_request() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &allowed(), now);
    book.hand_off("r1", origin(GENUINE), now);
    // The server supersedes r1 with r2: the app closes one and opens the other.
    book.close("r1");
    assert_eq!(book.open("r2", &allowed(), now), BindingState::Unconfirmed);
    assert_eq!(book.state("r1"), None);
    // The same goes for a mismatch: r3 is judged on its own hand-offs.
    book.hand_off("r2", origin(LOOKALIKE), now);
    book.close("r2");
    assert_eq!(book.open("r3", &allowed(), now), BindingState::Unconfirmed);
    assert_eq!(
        book.hand_off("r3", origin(GENUINE), now),
        HandoffOutcome::Verified
    );
}

#[test]
fn a_hand_off_for_a_closed_request_changes_nothing() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &allowed(), now);
    book.close("r1");
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), now),
        HandoffOutcome::NotPending
    );
    assert_eq!(book.state("r1"), None);
    assert_eq!(book.held(now), 0);
}

#[test]
fn closing_drops_the_held_hand_offs_of_that_request() {
    let mut book = book();
    let now = Instant::now();
    book.hand_off("r1", origin(LOOKALIKE), now);
    book.close("r1");
    assert_eq!(book.held(now), 0);
    // Reopened (say the app fetched it again): starts anew, nothing held applies.
    assert_eq!(book.open("r1", &allowed(), now), BindingState::Unconfirmed);
}

#[test]
fn closed_ids_are_remembered_within_a_bound() {
    let limits = Limits {
        closed_remembered: 2,
        ..Limits::default()
    };
    let mut book = BindingBook::new(limits);
    let now = Instant::now();
    for id in ["r1", "r2", "r3"] {
        book.close(id);
    }
    // r1 was forgotten, so a hand-off for it is held like any unknown id.
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), now),
        HandoffOutcome::Held
    );
    assert_eq!(
        book.hand_off("r3", origin(GENUINE), now),
        HandoffOutcome::NotPending
    );
}

#[test]
fn a_request_without_allowed_origins_cannot_be_bound() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &[], now);
    assert_eq!(
        book.hand_off("r1", origin(LOOKALIKE), now),
        HandoffOutcome::Unbound
    );
    assert_eq!(
        book.hand_off("r1", origin(GENUINE), now),
        HandoffOutcome::Unbound
    );
    assert_eq!(book.state("r1"), Some(BindingState::Unconfirmed));
}

#[test]
fn allowed_origins_are_compared_in_ascii_serialisation() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &["https://SHÖP.example:443/".to_owned()], now);
    let punycode = origin("https://xn--shp-tna.example");
    assert!(book.allows("r1", &punycode));
    assert!(!book.allows("r1", &origin(GENUINE)));
    assert!(!book.allows("r2", &punycode));
    assert_eq!(
        book.hand_off("r1", punycode.clone(), now),
        HandoffOutcome::Verified
    );
    assert_eq!(book.state("r1"), Some(BindingState::Verified(punycode)));
}

#[test]
fn the_port_is_part_of_the_origin() {
    let mut book = book();
    let now = Instant::now();
    book.open("r1", &allowed(), now);
    assert_eq!(
        book.hand_off("r1", origin("https://shop.example:8443"), now),
        HandoffOutcome::Mismatch
    );
    book.open("r2", &allowed(), now);
    assert_eq!(
        book.hand_off("r2", origin("http://shop.example"), now),
        HandoffOutcome::Mismatch
    );
}
