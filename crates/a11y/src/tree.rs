//! A [`Screen`] as an AccessKit tree: one window node with the items as its children,
//! in reading order. Node ids come from the items' keys, so an item keeps its id from
//! one update to the next and a screen reader keeps its place.

use std::collections::HashMap;

use accesskit::{Action, Live, Node, NodeId, Role, Toggled, TreeId, TreeInfo, TreeUpdate};

use crate::screen::{FieldValue, Item, Screen};

/// The window's node.
pub(crate) const ROOT: NodeId = NodeId(0);

/// How a masked character shows: as the window shows it.
const MASK: char = '•';

/// A screen's tree, and which item each node stands for (to route actions back).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Built {
    pub(crate) update: TreeUpdate,
    pub(crate) keys: HashMap<NodeId, String>,
}

/// The full tree of `screen`.
pub(crate) fn build(screen: &Screen) -> Built {
    let mut keys = HashMap::with_capacity(screen.items.len());
    let mut nodes = Vec::with_capacity(screen.items.len() + 1);
    let mut children = Vec::with_capacity(screen.items.len());
    for item in &screen.items {
        let id = node_id(item.key());
        // A repeated key would give two nodes one id; the first one wins.
        if keys.insert(id, item.key().to_owned()).is_some() {
            continue;
        }
        children.push(id);
        let mut shown = node(item);
        // A field's text is in a text run, its child: AT-SPI offers a field's Text
        // and EditableText (what a screen reader reads and types with) only then.
        let run = match item {
            Item::Field { key, .. } => {
                let run = text_run_id(key);
                shown.set_children(vec![run]);
                Some((run, text_run(shown.value().unwrap_or_default())))
            }
            _ => None,
        };
        nodes.push((id, shown));
        nodes.extend(run);
    }
    let mut window = Node::new(Role::Window);
    window.set_label(screen.window.clone());
    window.set_children(children);
    nodes.insert(0, (ROOT, window));
    let focus = screen
        .focus
        .as_deref()
        .map(node_id)
        .filter(|id| keys.contains_key(id))
        .unwrap_or(ROOT);
    let update = TreeUpdate {
        nodes,
        tree: Some(TreeInfo {
            root: ROOT,
            toolkit_name: Some("iced".into()),
            toolkit_version: None,
        }),
        tree_id: TreeId::ROOT,
        focus,
    };
    Built { update, keys }
}

/// The node id of the item with `key`: a hash of the key (FNV-1a, stable across runs
/// and builds), never the window's id.
pub(crate) fn node_id(key: &str) -> NodeId {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    NodeId(if hash == ROOT.0 { 1 } else { hash })
}

/// The node id of the text run inside the field with `key`.
fn text_run_id(key: &str) -> NodeId {
    node_id(&format!("{key}\u{0}text"))
}

/// A run of text on one line: its characters' lengths (in UTF-8 bytes) and where
/// its words start, as AccessKit needs to read it by character and word.
fn text_run(text: &str) -> Node {
    let mut node = Node::new(Role::TextRun);
    let lengths: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(c.len_utf8()).unwrap_or(4))
        .collect();
    node.set_character_lengths(lengths);
    node.set_word_starts(if text.is_empty() { vec![] } else { vec![0] });
    node.set_value(text.to_owned());
    node
}

fn node(item: &Item) -> Node {
    match item {
        Item::Heading { level, text, .. } => {
            let mut node = Node::new(Role::Heading);
            node.set_level(*level);
            node.set_label(text.clone());
            node
        }
        // A label's name is its value (AccessKit reads `Role::Label` that way).
        Item::Text { text, .. } => {
            let mut node = Node::new(Role::Label);
            node.set_value(text.clone());
            node
        }
        Item::Live { text, .. } => {
            let mut node = Node::new(Role::Label);
            node.set_value(text.clone());
            node.set_live(Live::Polite);
            node
        }
        Item::Alert { text, .. } => {
            let mut node = Node::new(Role::Alert);
            node.set_label(text.clone());
            node.set_live(Live::Assertive);
            node
        }
        Item::Button { name, enabled, .. } => {
            let mut node = Node::new(Role::Button);
            node.set_label(name.clone());
            node.add_action(Action::Focus);
            if *enabled {
                node.add_action(Action::Click);
            } else {
                node.set_disabled();
            }
            node
        }
        // Drawn as a checkbox, so read as one: "checked" or not.
        Item::Toggle {
            name,
            on,
            enabled,
            note,
            ..
        } => {
            let mut node = Node::new(Role::CheckBox);
            node.set_label(name.clone());
            node.set_toggled(if *on { Toggled::True } else { Toggled::False });
            if let Some(note) = note {
                node.set_description(note.clone());
            }
            node.add_action(Action::Focus);
            if *enabled {
                node.add_action(Action::Click);
            } else {
                node.set_disabled();
            }
            node
        }
        Item::Field {
            label,
            value,
            editable,
            ..
        } => field(label, value, *editable),
    }
}

fn field(label: &str, value: &FieldValue, editable: bool) -> Node {
    let (role, shown) = match value {
        FieldValue::Plain(text) => (Role::TextInput, text.clone()),
        FieldValue::Secret { length } => (Role::PasswordInput, MASK.to_string().repeat(*length)),
    };
    let mut node = Node::new(role);
    node.set_label(label.to_owned());
    node.set_value(shown);
    if editable {
        node.add_action(Action::Focus);
        node.add_action(Action::SetValue);
    } else {
        node.set_disabled();
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_screen(pin: &str) -> Screen {
        Screen {
            window: "Godkend".into(),
            items: vec![
                Item::heading("rp", 1, "Demo Shop"),
                Item::text("title", "Pay 1250.00 DKK"),
                Item::live("countdown", "Expires in 4:59"),
                Item::field("code", "Code", FieldValue::Plain("12".into()), true),
                Item::field(
                    "pin",
                    "PIN",
                    FieldValue::Secret {
                        length: pin.chars().count(),
                    },
                    true,
                ),
                Item::button("approve", "Approve", false),
                Item::alert("notice", "Wrong PIN, 3 tries left"),
            ],
            focus: Some("pin".into()),
        }
    }

    fn node_of<'a>(built: &'a Built, key: &str) -> &'a Node {
        let id = node_id(key);
        &built
            .update
            .nodes
            .iter()
            .find(|(node, _)| *node == id)
            .unwrap_or_else(|| panic!("no node for {key}"))
            .1
    }

    #[test]
    fn every_item_is_a_child_of_the_window_in_reading_order() {
        let built = build(&request_screen("123"));
        let (root, window) = &built.update.nodes[0];
        assert_eq!(*root, ROOT);
        assert_eq!(window.role(), Role::Window);
        assert_eq!(window.label(), Some("Godkend"));
        let keys: Vec<&str> = window
            .children()
            .iter()
            .map(|id| built.keys[id].as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "rp",
                "title",
                "countdown",
                "code",
                "pin",
                "approve",
                "notice"
            ]
        );
        assert_eq!(built.update.tree.as_ref().map(|t| t.root), Some(ROOT));
        assert_eq!(built.update.focus, node_id("pin"));
    }

    #[test]
    fn roles_names_and_states_say_what_each_item_is() {
        let built = build(&request_screen("123"));
        let heading = node_of(&built, "rp");
        assert_eq!((heading.role(), heading.level()), (Role::Heading, Some(1)));
        assert_eq!(heading.label(), Some("Demo Shop"));
        let text = node_of(&built, "title");
        assert_eq!(
            (text.role(), text.value()),
            (Role::Label, Some("Pay 1250.00 DKK"))
        );
        assert_eq!(node_of(&built, "countdown").live(), Some(Live::Polite));
        let alert = node_of(&built, "notice");
        assert_eq!(
            (alert.role(), alert.live()),
            (Role::Alert, Some(Live::Assertive))
        );
        let code = node_of(&built, "code");
        assert_eq!(code.role(), Role::TextInput);
        assert_eq!((code.label(), code.value()), (Some("Code"), Some("12")));
        assert!(code.supports_action(Action::SetValue));
        let approve = node_of(&built, "approve");
        assert_eq!(approve.label(), Some("Approve"));
        assert!(approve.is_disabled());
        assert!(
            !approve.supports_action(Action::Click),
            "disabled: no press"
        );
        let enabled = build(&Screen {
            items: vec![Item::button("approve", "Approve", true)],
            ..Screen::default()
        });
        assert!(node_of(&enabled, "approve").supports_action(Action::Click));
    }

    #[test]
    fn a_switch_is_a_checkbox_with_its_state_and_why_it_is_fixed() {
        let built = build(&Screen {
            items: vec![
                Item::toggle("on", "Notifications", true, true),
                Item::toggle("fixed", "Start at login", false, false)
                    .with_note("Set by your organisation"),
            ],
            ..Screen::default()
        });
        let on = node_of(&built, "on");
        assert_eq!(
            (on.role(), on.label(), on.toggled()),
            (Role::CheckBox, Some("Notifications"), Some(Toggled::True))
        );
        assert!(on.supports_action(Action::Click));
        assert_eq!(on.description(), None);
        let fixed = node_of(&built, "fixed");
        assert_eq!(fixed.toggled(), Some(Toggled::False));
        assert!(fixed.is_disabled());
        assert!(!fixed.supports_action(Action::Click));
        assert_eq!(fixed.description(), Some("Set by your organisation"));
    }

    #[test]
    fn a_secret_field_holds_only_bullets() {
        let built = build(&request_screen("403917"));
        let pin = node_of(&built, "pin");
        assert_eq!(pin.role(), Role::PasswordInput);
        assert_eq!(pin.value(), Some("••••••"));
        let run = built
            .update
            .nodes
            .iter()
            .find(|(id, _)| *id == text_run_id("pin"))
            .map(|(_, node)| node)
            .expect("the PIN field's text run");
        assert_eq!(pin.children(), [text_run_id("pin")]);
        assert_eq!((run.role(), run.value()), (Role::TextRun, Some("••••••")));
        assert_eq!(
            run.character_lengths(),
            [3; 6],
            "'•' is three bytes in UTF-8"
        );
        let everything = format!("{:?}", built.update);
        assert!(!everything.contains("403917"), "{everything}");
    }

    #[test]
    fn ids_stay_the_same_while_the_screen_changes() {
        let before = build(&request_screen("1"));
        let mut later = request_screen("12");
        later.items.remove(1);
        let after = build(&later);
        for key in ["rp", "countdown", "pin", "approve"] {
            assert_eq!(
                before
                    .keys
                    .iter()
                    .find(|(_, k)| *k == key)
                    .map(|(id, _)| id),
                after.keys.iter().find(|(_, k)| *k == key).map(|(id, _)| id),
            );
        }
        assert_ne!(node_id("pin"), node_id("code"));
        assert_ne!(node_id(""), ROOT);
    }

    #[test]
    fn focus_on_a_missing_item_falls_back_to_the_window() {
        let mut screen = request_screen("");
        screen.focus = Some("gone".into());
        assert_eq!(build(&screen).update.focus, ROOT);
        screen.focus = None;
        assert_eq!(build(&screen).update.focus, ROOT);
    }

    #[test]
    fn a_repeated_key_gives_one_node() {
        let built = build(&Screen {
            items: vec![Item::text("same", "first"), Item::text("same", "second")],
            ..Screen::default()
        });
        assert_eq!(built.update.nodes.len(), 2);
        assert_eq!(node_of(&built, "same").value(), Some("first"));
    }
}
