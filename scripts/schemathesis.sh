#!/usr/bin/env bash
# API fuzzing: schemathesis against a real godkend-server's /openapi.json, with valid
# credentials for the RP, device and admin APIs. Every answer must be no 5xx and
# match the document (status code, content type, headers and body schema).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'EOF_USAGE'
Usage: scripts/schemathesis.sh [--examples N] [--seed N] [--api NAME]

Builds godkend-server (debug), starts it on SQLite in a temp dir with an admin token,
sets up a user, a relying party and an activated device through its own APIs
(tests/schemathesis/setup_credentials.py), then runs schemathesis once per API
(rp, device, admin, ops), each operation with at most N generated cases, and prints
the cases run per API and the answers' status codes. Fails on any failed check, a
server that died or logged a panic, or an API that never answered 2xx (credentials
that did not work).

Schemathesis and its pinned dependencies (tests/schemathesis/requirements.txt) go
into a virtualenv under the cargo target dir, made once per requirements file.

Options:
  --examples N   cases per operation and phase (default 100; GODKEND_SCHEMATHESIS_EXAMPLES)
  --seed N       the generator's seed (default: random, printed)
  --api NAME     only this API (rp, device, admin or ops)

Environment:
  GODKEND_SERVER_BIN  a godkend-server binary to test instead of building one
EOF_USAGE
}

examples=${GODKEND_SCHEMATHESIS_EXAMPLES:-100}
seed=''
only_api=''
while [ $# -gt 0 ]; do
    case "$1" in
        --examples) examples=$2; shift ;;
        --seed) seed=$2; shift ;;
        --api) only_api=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done
[ -n "$seed" ] || seed=$(((RANDOM << 15) | RANDOM))

HERE=$GODKEND_ROOT/tests/schemathesis
# The checks that say "no 5xx, and every answer is one the document describes"
# (and a method a path does not have gets 405 with an Allow header).
# Not run: negative_data_rejection and positive_data_acceptance, because the hooks
# replace every generated credential with a valid one, so a "negative" case whose
# only fault was its Authorization header is a valid call (tried: that is all they
# reported), and the device API's bodies must carry signatures no schema can make;
# ignored_auth and the stateful security checks, which need credentials the hooks
# do not overwrite.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method
# The admin API last but for ops: its fuzzing may remove the set-up user (which
# revokes the device) or rotate the RP's key, once it has seen them in answers.
APIS=(rp device admin ops)
if [ -n "$only_api" ]; then APIS=("$only_api"); fi

need_debian curl:curl
# Any Python 3 with venv and pip; Debian's needs python3-venv for them.
if ! python3 -m venv --help >/dev/null 2>&1; then need_debian python3:python3 python3:python3-venv; fi
# shellcheck disable=SC2119 # cargo alone, no components
need_rust

# ---------------------------------------------------------------------------
# The virtualenv, cached by the requirements file's hash.

venv_ready() {
    local venv=$1 stamp=$2
    [ -x "$venv/bin/schemathesis" ] && [ "$(cat "$venv/.requirements" 2>/dev/null)" = "$stamp" ]
}

make_venv() {
    local target stamp venv
    target=$(cargo_target_dir)
    stamp=$(sha256sum "$HERE/requirements.txt" | cut -c1-16)
    venv=$target/schemathesis-venv
    if ! venv_ready "$venv" "$stamp"; then
        info "making the virtualenv $venv (pip, tests/schemathesis/requirements.txt)"
        rm -rf "$venv"
        python3 -m venv "$venv" || die "python3 -m venv failed (Debian/Ubuntu package: python3-venv)"
        _retry_once "$venv/bin/pip" install --quiet --disable-pip-version-check \
            --no-deps -r "$HERE/requirements.txt" >&2 ||
            die "pip could not install tests/schemathesis/requirements.txt"
        "$venv/bin/pip" check >&2 || die "the pinned requirements are not consistent (pip check)"
        printf '%s\n' "$stamp" >"$venv/.requirements"
    fi
    printf '%s\n' "$venv"
}

# ---------------------------------------------------------------------------
# The server, on SQLite in a temp dir only this user can enter.

work=''
logs=''
server_pid=''

cleanup() {
    if [ -n "$server_pid" ]; then stop_pid "$server_pid" 10; fi
    if [ -n "$work" ]; then
        if [ -n "$logs" ] && [ -f "$work/server.log" ]; then cp "$work/server.log" "$logs/"; fi
        rm -rf "$work"
    fi
}
trap cleanup EXIT

start_server() {
    local bin=$1 port=$2
    "$bin" --data-dir "$work/data" --database-url "sqlite://$work/data/godkend.db?mode=rwc" \
        --public-url "http://127.0.0.1:$port" \
        serve --listen "127.0.0.1:$port" --admin-token-file "$work/admin-token" \
        >"$work/server.log" 2>&1 &
    server_pid=$!
    wait_http "http://127.0.0.1:$port/readyz" 60 "$server_pid" || {
        tail -n 30 "$work/server.log" >&2
        die "godkend-server did not become ready"
    }
    info "godkend-server (pid $server_pid) on http://127.0.0.1:$port, SQLite in $work/data"
}

server_failed() {
    warn "the server's log (last 40 lines):"
    tail -n 40 "$work/server.log" >&2
    die "$1"
}

# ---------------------------------------------------------------------------

started=$(now)
venv=$(make_venv)
info "$("$venv/bin/schemathesis" --version)"

bin=${GODKEND_SERVER_BIN:-}
if [ -z "$bin" ]; then
    info "cargo build -p godkend-server"
    cargo build -p godkend-server --bin godkend-server --locked
    bin="$(cargo_target_dir)/debug/godkend-server"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/godkend-schemathesis.XXXXXX")
chmod 700 "$work"
mkdir -m 700 "$work/data"
(umask 077 && head -c 48 /dev/urandom | base64 | tr -d '/+=\n' >"$work/admin-token")
# The logs stay after the run, for a person to read.
logs="$(cargo_target_dir)/schemathesis-logs"
rm -rf "$logs"
mkdir -p "$logs"
port=$(free_port)
start_server "$bin" "$port"
base_url="http://127.0.0.1:$port"

export GODKEND_SCHEMATHESIS_CREDENTIALS=$work/credentials.json
"$venv/bin/python" "$HERE/setup_credentials.py" "$base_url" "$(cat "$work/admin-token")" \
    "$GODKEND_SCHEMATHESIS_CREDENTIALS" >&2

info "seed $seed, at most $examples cases per operation and phase, checks: $CHECKS"
failed=()
for api in "${APIS[@]}"; do
    api_started=$(now)
    log "schemathesis: the $api API"
    export GODKEND_SCHEMATHESIS_TALLY=$work/tally-$api.json
    rc=0
    # From the logs dir, where it keeps its cache of failures (.schemathesis/). No
    # stateful phase: it links a created request to `GET .../wait`, a long poll
    # that holds a pending request for its `timeout` (up to 60 s) by design, so
    # those calls time out in schemathesis rather than find anything (tried).
    (cd "$logs" && PYTHONPATH=$HERE SCHEMATHESIS_HOOKS=hooks \
        "$venv/bin/schemathesis" --config-file "$HERE/schemathesis.toml" --no-color \
        run "$base_url/openapi.json" \
        --include-tag "$api" \
        --checks "$CHECKS" \
        --max-examples "$examples" \
        --seed "$seed" \
        --workers 2 \
        --phases examples,coverage,fuzzing \
        --suppress-health-check too_slow \
        --output-truncate false) \
        >"$logs/schemathesis-$api.log" 2>&1 || rc=$?
    # Its summary (and, on failure, each failure with a curl line to reproduce it).
    sed -n '/FAILURES\|SUMMARY/,$p' "$logs/schemathesis-$api.log" >&2
    [ -s "$GODKEND_SCHEMATHESIS_TALLY" ] || { cat "$logs/schemathesis-$api.log" >&2; die "no tally for the $api API"; }
    "$venv/bin/python" - "$api" "$GODKEND_SCHEMATHESIS_TALLY" "$(elapsed "$api_started")" <<'PY' >&2 || rc=1
import json, sys
api, path, took = sys.argv[1], sys.argv[2], sys.argv[3]
tally = json.load(open(path))[api]
cases = sum(tally.values())
statuses = ", ".join(f"{status}: {n}" for status, n in sorted(tally.items()))
print(f"    {api} API: {cases} cases in {took} ({statuses})")
if not any(status.startswith("2") for status in tally):
    sys.exit(f"    the {api} API never answered 2xx: the credentials did not work")
PY
    if ! pid_alive "$server_pid"; then server_failed "godkend-server died during the $api API run"; fi
    [ "$rc" -eq 0 ] || failed+=("$api")
done

if grep -q 'panicked' "$work/server.log"; then server_failed "godkend-server logged a panic"; fi
if [ ${#failed[@]} -gt 0 ]; then
    die "schemathesis found failures in: ${failed[*]} (seed $seed; logs above)"
fi
tallies=()
for api in "${APIS[@]}"; do tallies+=("$work/tally-$api.json"); done
total=$("$venv/bin/python" -c '
import json, sys
print(sum(sum(statuses.values()) for path in sys.argv[1:] for statuses in json.load(open(path)).values()))
' "${tallies[@]}")
ok "schemathesis: $total cases, no 5xx, every answer matched the OpenAPI document ($(elapsed "$started"))"
