#!/usr/bin/env bash
# load.sh measures OHEM Lab under many websocket viewers: it starts one
# server (MNIST by default, --no-store, a free loopback port), lets it warm
# up, then runs ohemlab-load at each viewer count with 10% silent viewers
# and prints one table row per count. The server is stopped at the end.
#
#   scripts/load.sh                      # 100, 500 and 1000 viewers
#   VIEWERS="100 200" DURATION=10s scripts/load.sh
#   PIN=1 scripts/load.sh                # server on CPU 1, load generator on CPU 0
#
# Environment: VIEWERS (counts, default "100 500 1000"), DURATION (hold
# time per count, default 30s), BASELINE (steps/s measured before each
# count, default 10s), WARMUP (seconds after start, default 10), SILENT
# (fraction, default 0.1), SERVER_ARGS (extra "ohemlab serve" flags),
# PIN (1: pin the server to CPU SERVER_CPU, default 1, and the load
# generator to CPU LOAD_CPU, default 0, with taskset, so that neither takes
# the other's core), OHEMLAB and OHEMLAB_LOAD (prebuilt binaries; built
# otherwise), BIN_DIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

VIEWERS=${VIEWERS:-"100 500 1000"}
DURATION=${DURATION:-30s}
BASELINE=${BASELINE:-10s}
WARMUP=${WARMUP:-10}
SILENT=${SILENT:-0.1}

LOAD_PIN=
if [ "${PIN:-0}" = 1 ]; then
	command -v taskset >/dev/null || { echo "PIN=1 needs taskset (util-linux)" >&2; exit 2; }
	SERVER_PIN="taskset -c ${SERVER_CPU:-1}"
	LOAD_PIN="taskset -c ${LOAD_CPU:-0}"
fi

build_tools
SERVER_ARGS="--max-viewers-per-address 5000 ${SERVER_ARGS:-}" # every viewer comes from loopback
start_server
echo "warming up for ${WARMUP}s ..." >&2
sleep "$WARMUP"
machine_note
echo "server: ${SERVER_PIN:-}${SERVER_PIN:+ }ohemlab serve --no-store ${SERVER_ARGS:-}; load: ${LOAD_PIN:-}${LOAD_PIN:+ }ohemlab-load; silent viewers ${SILENT}; hold ${DURATION} per count; steps/s before measured over ${BASELINE} without viewers"
"$OHEMLAB_LOAD" --row-header
status=0
for n in $VIEWERS; do
	# shellcheck disable=SC2086 # LOAD_PIN is a word list
	if ! $LOAD_PIN "$OHEMLAB_LOAD" --url "$SERVER_URL" --viewers "$n" --silent "$SILENT" --duration "$DURATION" \
		--baseline "$BASELINE" --server-pid "$SERVER_PID" --row 2>>"$WORK_DIR/load.err"; then
		echo "ohemlab-load failed at $n viewers:" >&2
		cat "$WORK_DIR/load.err" >&2
		status=1
	fi
	sleep 5 # let the server close the last viewers before the next baseline
done
machine_note
exit $status
