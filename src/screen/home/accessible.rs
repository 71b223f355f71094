//! The home screen for a screen reader: the connection, who this device is, the
//! pending request with Review, and the activity's button (Unlock while locked).
//! The list of recent requests is not described yet.

use godkend_a11y::Item;
use godkend_protocol::messages::VersionVerdict;

use super::view::{Shown, connection_words};
use super::{REVIEW, SEE_ALL};
use crate::fl;

pub fn describe(shown: &Shown<'_>) -> Vec<Item> {
    let mut items = vec![
        Item::heading("home-title", 1, fl!("home-title")),
        Item::live("home-connection", connection_words(shown.connection).0),
        Item::text(
            "home-serial",
            format!("{}: {}", fl!("home-serial"), shown.serial),
        ),
        Item::text("home-user", format!("{}: {}", fl!("home-user"), shown.user)),
        Item::text(
            "home-org",
            format!("{}: {}", fl!("activated-org"), shown.org),
        ),
    ];
    match shown.pending {
        None => items.push(Item::text("home-pending", fl!("home-no-request"))),
        Some(request) => {
            // One line, so a new request is read out as it arrives.
            items.push(Item::alert(
                "home-pending",
                format!(
                    "{}: {}. {}",
                    fl!("home-pending-heading"),
                    request.title,
                    fl!("home-pending-from", rp = request.rp_name.clone())
                ),
            ));
            items.push(Item::button(REVIEW, fl!("home-review-button"), true));
        }
    }
    items.push(Item::heading(
        "home-recent-heading",
        2,
        fl!("home-recent-heading"),
    ));
    if shown.locked {
        items.push(Item::button(SEE_ALL, fl!("unlock-button"), true));
        items.push(Item::text("home-recent-locked", fl!("home-recent-locked")));
    } else if shown.recent.is_empty() {
        items.push(Item::text("home-recent-none", fl!("home-recent-none")));
    } else {
        items.push(Item::button(SEE_ALL, fl!("home-see-all"), true));
    }
    match shown.version {
        VersionVerdict::UpToDate => {}
        VersionVerdict::UpdateAvailable => {
            items.push(Item::text("home-update", fl!("home-update-available")));
        }
        VersionVerdict::UpdateRequired => {
            items.push(Item::alert("home-update", fl!("home-update-required")));
        }
    }
    if let Some(detail) = shown.warning {
        items.push(Item::alert(
            "home-warning",
            fl!("home-security-warning", detail = detail.to_owned()),
        ));
    }
    items
}
