#!/usr/bin/env bash
# Measures the desktop app (release build): idle memory and CPU with the window open
# and in the tray, and push latency, in the same headless desktop as the tests.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GODKEND_ROOT"
# shellcheck disable=SC2119 # no components needed
need_rust
cargo build --release --locked -p godkend-server
trap stop_desktop_services EXIT
start_desktop_services
cargo bench --locked -p godkend --bench idle
