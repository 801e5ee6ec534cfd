#!/usr/bin/env bash
# soak.sh runs the soak: one OHEM Lab server (MNIST by default, --no-store,
# a free loopback port) and ohemlab-load --churn with 200 viewers that each
# stay a random 1-30 s, hang up (half with a close frame, half by dropping
# the connection) and reconnect, for 10 minutes. Then it compares the
# server's goroutines and heap (GET /debug/runtime?gc=1) with the baseline
# read before the soak and prints PASS or FAIL; the exit status is 0 only
# on PASS. The server is stopped at the end.
#
#   scripts/soak.sh                       # the full 10-minute soak
#   DURATION=30s scripts/soak.sh          # a quick check
#
# Environment: DURATION (default 10m, at most 10m), VIEWERS (default 200),
# STAY_MIN / STAY_MAX (default 1s / 30s), SETTLE (longest wait for the
# baseline afterwards, default 30s), SILENT (default 0.1), WARMUP (seconds
# after start, default 10), TOL_GOROUTINES (default 5), TOL_HEAP_RATIO
# (default 1.5), TOL_HEAP_MB (default 20), SERVER_ARGS, OHEMLAB and
# OHEMLAB_LOAD (prebuilt binaries; built otherwise), BIN_DIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10m}
VIEWERS=${VIEWERS:-200}
STAY_MIN=${STAY_MIN:-1s}
STAY_MAX=${STAY_MAX:-30s}
SETTLE=${SETTLE:-30s}
SILENT=${SILENT:-0.1}
WARMUP=${WARMUP:-10}

build_tools
# The soak reads GET /debug/runtime; every viewer comes from loopback.
SERVER_ARGS="--debug --max-viewers-per-address 5000 ${SERVER_ARGS:-}"
start_server
echo "warming up for ${WARMUP}s ..." >&2
sleep "$WARMUP"
machine_note
echo "soak: $VIEWERS churning viewers (${SILENT} silent, stays ${STAY_MIN}-${STAY_MAX}) for ${DURATION}; server: ohemlab serve --no-store ${SERVER_ARGS:-}"
status=0
"$OHEMLAB_LOAD" --url "$SERVER_URL" --churn --viewers "$VIEWERS" --silent "$SILENT" --duration "$DURATION" \
	--baseline 10s --stay-min "$STAY_MIN" --stay-max "$STAY_MAX" --settle "$SETTLE" \
	--tol-goroutines "${TOL_GOROUTINES:-5}" --tol-heap-ratio "${TOL_HEAP_RATIO:-1.5}" --tol-heap-mb "${TOL_HEAP_MB:-20}" || status=$?
machine_note
exit $status
