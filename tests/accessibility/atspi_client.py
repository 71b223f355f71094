#!/usr/bin/python3
"""A small AT-SPI client, as a screen reader sees an app: it reads the app's tree
and acts on it only through AT-SPI (libatspi through GObject introspection; Debian
packages python3-gi and gir1.2-atspi-2.0, run with Debian's /usr/bin/python3).

  atspi_client.py APP tree              the window's tree as JSON lines
  atspi_client.py APP press NAME        invokes the button NAME's action (click)
  atspi_client.py APP focus NAME        grabs the focus of the control NAME
  atspi_client.py APP set NAME          sets the text field NAME to stdin's text
  atspi_client.py - listen SECONDS      prints the announcements (live regions) made
                                        in the next SECONDS, one JSON line each

The test (tests/accessibility/main.rs) asserts on what this prints. Text to type
comes on stdin, so a PIN is not on a command line.
"""

import json
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, GLib  # noqa: E402


def find_app(name, timeout=20.0):
    """The application called NAME on the accessibility bus, once it shows up."""
    deadline = time.monotonic() + timeout
    while True:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_name() == name:
                return app
        if time.monotonic() > deadline:
            sys.exit(f"no application {name!r} on the AT-SPI bus after {timeout} s")
        time.sleep(0.2)


def walk(accessible, depth=0):
    yield accessible, depth
    for i in range(accessible.get_child_count()):
        child = accessible.get_child_at_index(i)
        if child is not None:
            yield from walk(child, depth + 1)


def node(accessible, depth):
    interfaces = accessible.get_interfaces()
    states = accessible.get_state_set().get_states()
    entry = {
        "depth": depth,
        "role": accessible.get_role_name(),
        "name": accessible.get_name(),
        "description": accessible.get_description(),
        "states": sorted(s.value_nick for s in states),
        "interfaces": sorted(interfaces),
    }
    if "Text" in interfaces:
        entry["text"] = accessible.get_text(0, -1)
    if "Action" in interfaces:
        entry["actions"] = [
            accessible.get_action_name(i) for i in range(accessible.get_n_actions())
        ]
    return entry


def find(app, name):
    """The control called NAME (the first in reading order that is not the app)."""
    for accessible, depth in walk(app):
        if depth > 0 and accessible.get_name() == name:
            return accessible
    sys.exit(f"no control named {name!r}")


def listen(seconds):
    """Prints every announcement for SECONDS, as a screen reader would speak it."""
    def heard(event):
        print(json.dumps({"type": event.type, "text": event.any_data}, ensure_ascii=False),
              flush=True)

    listener = Atspi.EventListener.new(heard)
    listener.register("object:announcement")
    print(json.dumps({"type": "listening"}), flush=True)
    GLib.timeout_add(int(seconds * 1000), Atspi.event_quit)
    Atspi.event_main()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    if sys.argv[2] == "listen":
        listen(float(sys.argv[3]))
        return
    app = find_app(sys.argv[1])
    command, args = sys.argv[2], sys.argv[3:]
    if command == "tree":
        for accessible, depth in walk(app):
            print(json.dumps(node(accessible, depth), ensure_ascii=False))
    elif command == "press":
        control = find(app, args[0])
        names = [control.get_action_name(i) for i in range(control.get_n_actions())]
        if "click" not in names:
            sys.exit(f"{args[0]!r} has no click action (it has {names})")
        if not control.do_action(names.index("click")):
            sys.exit(f"{args[0]!r}: the click was refused")
        print(f"pressed {args[0]!r}")
    elif command == "focus":
        if not find(app, args[0]).grab_focus():
            sys.exit(f"{args[0]!r}: the focus was refused")
        print(f"focused {args[0]!r}")
    elif command == "set":
        control = find(app, args[0])
        if not control.set_text_contents(sys.stdin.read()):
            sys.exit(f"{args[0]!r}: the text was refused")
        print(f"set {args[0]!r}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
