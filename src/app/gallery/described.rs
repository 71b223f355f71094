//! The gallery's screens as a screen reader reads them: each picture's screen is
//! checked against the description the app gives of it (the same `describe` the
//! window's accessibility tree is built from), in the language being drawn.
//!
//! - every described button and switch has a name;
//! - every described button, switch and field is a control of the view: an enabled
//!   one can be reached by Tab (its widget id is focusable), a disabled one is not
//!   and shows its name;
//! - every control of the view that Tab reaches is described, so nothing on screen
//!   is missing from the tree.

use godkend_a11y::Item;
use iced::advanced::widget::Id;
use iced_test::Simulator;
use iced_test::selector::Candidate;

use super::Message;

/// What was checked, for the gallery's summary.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Checked {
    pub(super) buttons: usize,
    pub(super) switches: usize,
    pub(super) fields: usize,
}

/// Checks the screen `screen` drawn in `ui` against its description `items`.
pub(super) fn check(screen: &str, ui: &mut Simulator<'_, Message>, items: &[Item]) -> Checked {
    let reachable = focusable_ids(ui);
    let mut checked = Checked::default();
    for item in items {
        let (key, name, enabled) = match item {
            Item::Button { key, name, enabled } => {
                checked.buttons += 1;
                (key, name, *enabled)
            }
            Item::Toggle {
                key, name, enabled, ..
            } => {
                checked.switches += 1;
                (key, name, *enabled)
            }
            Item::Field { key, label, .. } => {
                checked.fields += 1;
                assert!(
                    !label.trim().is_empty(),
                    "{screen}: field {key} has no label"
                );
                assert!(
                    ui.find(Id::from(key.clone())).is_ok(),
                    "{screen}: the field {key} ({label}) is not in the view"
                );
                continue;
            }
            _ => continue,
        };
        assert!(
            !name.trim().is_empty(),
            "{screen}: {key} has no name: {item:?}"
        );
        let can_tab_to = reachable.iter().any(|id| *id == Id::from(key.clone()));
        if enabled {
            assert!(
                can_tab_to,
                "{screen}: {key} ({name}) is described as usable, but the view has no \
                 enabled control with that id"
            );
        } else {
            assert!(
                !can_tab_to,
                "{screen}: {key} ({name}) is described as disabled, but the view takes it"
            );
        }
    }
    for id in &reachable {
        assert!(
            items
                .iter()
                .any(|item| Id::from(item.key().to_owned()) == *id),
            "{screen}: the view has a control {id:?} that the description leaves out: {items:?}"
        );
    }
    checked
}

/// The ids of the controls Tab reaches in `ui` (a control without an id cannot be
/// described: it counts as an id-less entry, which no description matches).
fn focusable_ids(ui: &mut Simulator<'_, Message>) -> Vec<Id> {
    let mut seen = Vec::new();
    let _ = ui.find(|candidate: Candidate<'_>| {
        match candidate {
            Candidate::Focusable { id, .. } | Candidate::TextInput { id, .. } => {
                seen.push(
                    id.cloned()
                        .unwrap_or_else(|| Id::from("<a control without an id>")),
                );
            }
            _ => {}
        }
        None::<()>
    });
    seen
}

#[cfg(test)]
mod tests {
    use iced::widget::{column, text};

    use super::*;
    use crate::widget::button;

    fn two_buttons<'a>() -> iced::Element<'a, Message> {
        column![
            button(text("Go")).id("go").on_press(Message::OpenHelp),
            button(text("Later")).id("later"),
        ]
        .into()
    }

    fn run(items: &[Item]) -> Checked {
        let mut ui = iced_test::simulator(two_buttons());
        check("sample", &mut ui, items)
    }

    #[test]
    fn a_view_and_its_description_that_agree_pass() {
        let checked = run(&[
            Item::button("go", "Go", true),
            Item::button("later", "Later", false),
        ]);
        assert_eq!(checked.buttons, 2);
    }

    #[test]
    #[should_panic(expected = "leaves out")]
    fn a_control_missing_from_the_description_fails() {
        run(&[Item::button("later", "Later", false)]);
    }

    #[test]
    #[should_panic(expected = "described as usable")]
    fn a_described_button_the_view_does_not_take_fails() {
        run(&[
            Item::button("go", "Go", true),
            Item::button("later", "Later", true),
        ]);
    }

    #[test]
    #[should_panic(expected = "has no name")]
    fn a_button_without_a_name_fails() {
        run(&[Item::button("go", " ", true)]);
    }
}
