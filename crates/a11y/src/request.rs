//! What an assistive technology asks of the app, as plain values: the app turns each
//! into its own message, as if the user had clicked, tabbed or typed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use accesskit::{Action, ActionData, ActionHandler, ActionRequest, NodeId};
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use zeroize::Zeroizing;

/// A request for one item of the screen, named by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Give the item the keyboard focus.
    Focus(String),
    /// Press the button (its default action).
    Press(String),
    /// Replace the field's text, as typing it would.
    SetValue(String, TypedValue),
}

/// Text an assistive technology typed into a field: it may be a PIN, so it is wiped
/// when dropped and never shows in a debug print.
#[derive(Clone, PartialEq, Eq)]
pub struct TypedValue(Zeroizing<String>);

impl TypedValue {
    pub fn new(text: impl Into<String>) -> Self {
        TypedValue(Zeroizing::new(text.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TypedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TypedValue(<redacted>)")
    }
}

/// The requests, in the order they came; ends when the window's accessibility ends.
pub type Requests = UnboundedReceiver<Request>;

/// Which item each node of the tree shown now stands for.
pub(crate) type Keys = Arc<Mutex<HashMap<NodeId, String>>>;

/// Receives AccessKit's action requests (on whatever thread the platform adapter
/// calls it) and sends the ones for known items to the app.
pub(crate) struct Router {
    pub(crate) keys: Keys,
    pub(crate) sender: UnboundedSender<Request>,
}

impl Router {
    /// The request `action` stands for, if it is one the app acts on and its node is
    /// on the screen shown now.
    pub(crate) fn route(&self, action: ActionRequest) -> Option<Request> {
        let key = self
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&action.target_node)
            .cloned()?;
        match (action.action, action.data) {
            (Action::Focus, _) => Some(Request::Focus(key)),
            (Action::Click, _) => Some(Request::Press(key)),
            (Action::SetValue, Some(ActionData::Value(text))) => {
                Some(Request::SetValue(key, TypedValue::new(String::from(text))))
            }
            _ => None,
        }
    }
}

impl ActionHandler for Router {
    fn do_action(&mut self, request: ActionRequest) {
        if let Some(request) = self.route(request) {
            // The app stopped listening (its window closed): nothing to do.
            let _ = self.sender.unbounded_send(request);
        }
    }
}

#[cfg(test)]
mod tests {
    use accesskit::TreeId;
    use futures::channel::mpsc;

    use super::*;
    use crate::tree::node_id;

    fn router() -> (Router, Requests) {
        let keys: HashMap<NodeId, String> = ["code", "approve"]
            .into_iter()
            .map(|key| (node_id(key), key.to_owned()))
            .collect();
        let (sender, receiver) = mpsc::unbounded();
        let router = Router {
            keys: Arc::new(Mutex::new(keys)),
            sender,
        };
        (router, receiver)
    }

    fn action(action: Action, key: &str, data: Option<ActionData>) -> ActionRequest {
        ActionRequest {
            action,
            target_tree: TreeId::ROOT,
            target_node: node_id(key),
            data,
        }
    }

    #[test]
    fn focus_press_and_set_value_come_back_by_key() {
        let (mut router, mut requests) = router();
        router.do_action(action(Action::Focus, "code", None));
        router.do_action(action(Action::Click, "approve", None));
        router.do_action(action(
            Action::SetValue,
            "code",
            Some(ActionData::Value("123456".into())),
        ));
        assert_eq!(
            requests.try_recv().ok(),
            Some(Request::Focus("code".into()))
        );
        assert_eq!(
            requests.try_recv().ok(),
            Some(Request::Press("approve".into()))
        );
        assert_eq!(
            requests.try_recv().ok(),
            Some(Request::SetValue("code".into(), TypedValue::new("123456")))
        );
    }

    #[test]
    fn unknown_nodes_other_actions_and_values_without_text_are_dropped() {
        let (router, _requests) = router();
        assert_eq!(router.route(action(Action::Click, "gone", None)), None);
        assert_eq!(router.route(action(Action::ScrollDown, "code", None)), None);
        assert_eq!(router.route(action(Action::SetValue, "code", None)), None);
        assert_eq!(
            router.route(action(
                Action::SetValue,
                "code",
                Some(ActionData::NumericValue(4.0))
            )),
            None
        );
    }

    #[test]
    fn a_typed_value_never_shows_in_a_debug_print() {
        let request = Request::SetValue("pin".into(), TypedValue::new("403917"));
        let printed = format!("{request:?}");
        assert!(!printed.contains("403917"), "{printed}");
    }
}
