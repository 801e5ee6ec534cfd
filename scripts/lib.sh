# Shared by load.sh and soak.sh: build the binaries, start and stop one
# ohemlab server on a free loopback port. Source it; do not run it.

# build_tools puts ohemlab and ohemlab-load into $BIN_DIR (default: a
# temporary folder), unless OHEMLAB and OHEMLAB_LOAD already name binaries.
build_tools() {
	if [ -n "${OHEMLAB:-}" ] && [ -n "${OHEMLAB_LOAD:-}" ]; then
		return
	fi
	BIN_DIR=${BIN_DIR:-$WORK_DIR}
	echo "building ohemlab and ohemlab-load into $BIN_DIR ..." >&2
	(cd "$ROOT" && go build -o "$BIN_DIR/ohemlab" ./cmd/ohemlab && go build -o "$BIN_DIR/ohemlab-load" ./cmd/ohemlab-load)
	OHEMLAB=$BIN_DIR/ohemlab
	OHEMLAB_LOAD=$BIN_DIR/ohemlab-load
}

# start_server runs "ohemlab serve" on 127.0.0.1 port 0 (the system picks
# a free port) with $STORE_ARGS (default --no-store) and $SERVER_ARGS,
# prefixed by $SERVER_PIN (e.g. "taskset -c 1"), sets SERVER_PID and
# SERVER_URL, and waits until /healthz answers.
start_server() {
	# shellcheck disable=SC2086 # SERVER_PIN, STORE_ARGS and SERVER_ARGS are word lists
	${SERVER_PIN:-} "$OHEMLAB" serve --addr 127.0.0.1:0 ${STORE_ARGS:---no-store} ${SERVER_ARGS:-} >"$WORK_DIR/server.out" 2>"$WORK_DIR/server.err" &
	SERVER_PID=$!
	SERVER_URL=
	for _ in $(seq 600); do
		SERVER_URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK_DIR/server.out" | head -n 1 || true)
		if [ -n "$SERVER_URL" ] && curl -fsS "$SERVER_URL/healthz" >/dev/null 2>&1; then
			echo "server pid $SERVER_PID at $SERVER_URL" >&2
			return
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "the server exited:" >&2
			cat "$WORK_DIR/server.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "the server did not come up within 60 s" >&2
	exit 1
}

# stop_server sends SIGTERM to the server started above (by its PID) and
# waits for it; SIGKILL after 15 s.
stop_server() {
	if [ -z "${SERVER_PID:-}" ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
		return
	fi
	kill "$SERVER_PID"
	for _ in $(seq 150); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "server $SERVER_PID did not stop in 15 s; killing it" >&2
		kill -9 "$SERVER_PID"
	fi
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

# machine_note prints the date, the CPU count and the load average.
machine_note() {
	echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK_DIR=$(mktemp -d)
cleanup() {
	stop_server
	rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
