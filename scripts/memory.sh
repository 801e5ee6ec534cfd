#!/usr/bin/env bash
# memory.sh measures OHEM Lab's resident memory while it serves MNIST to
# one viewer: it starts "ohemlab serve" (the default experiment, saving runs
# to a temporary store as a plain "go run ./cmd/ohemlab" does), connects one
# websocket viewer (ohemlab-load, reconnecting every 10 minutes at most),
# and prints the server's resident set size (VmRSS from /proc) every 10 s
# for the whole duration, then the peak (VmHWM), the steady level and the
# drift, and PASS or FAIL against the limits. The exit status is 0 only on
# PASS. Linux only (/proc).
#
#   scripts/memory.sh          # 30 minutes
#   scripts/memory.sh 2m       # a shorter run (any duration sleep accepts: 90s, 5m)
#
# Steady is the median of the samples after the first minute (all samples
# when the run is shorter); drift is the median of the last third minus the
# median of the middle third. Limits (MB): STEADY_MB (default 150), PEAK_MB
# (default 200), DRIFT_MB (default 10). Environment: INTERVAL (seconds
# between samples, default 10), SERVER_ARGS, OHEMLAB and OHEMLAB_LOAD
# (prebuilt binaries; built otherwise), BIN_DIR.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${1:-30m}
INTERVAL=${INTERVAL:-10}
STEADY_MB=${STEADY_MB:-150}
PEAK_MB=${PEAK_MB:-200}
DRIFT_MB=${DRIFT_MB:-10}

seconds() { # a duration like 90, 90s, 5m or 1h in seconds
	case $1 in
	*h) echo $((${1%h} * 3600)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}
TOTAL=$(seconds "$DURATION")

build_tools
STORE_ARGS="--store-dir $WORK_DIR/store"
start_server
machine_note
echo "memory: ohemlab serve ${SERVER_ARGS:-} (MNIST by default, saving runs) with one viewer for ${DURATION}; RSS every ${INTERVAL}s"

viewer() { # one viewer for the whole run, reconnecting at most every 10 minutes
	local left=$TOTAL
	while [ "$left" -gt 0 ]; do
		local d=$((left < 600 ? left : 600))
		"$OHEMLAB_LOAD" --url "$SERVER_URL" --viewers 1 --silent 0 --baseline 1s --duration "${d}s" >>"$WORK_DIR/load.out" 2>&1 || true
		left=$((left - d))
	done
}
viewer &
VIEWER_PID=$!

kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER_PID/status"; }
start=$(date +%s)
: >"$WORK_DIR/rss"
printf '%8s %10s %10s\n' "t (s)" "RSS (MB)" "peak (MB)"
while :; do
	now=$(($(date +%s) - start))
	rss=$(kb VmRSS)
	hwm=$(kb VmHWM)
	printf '%8d %10.1f %10.1f\n' "$now" "$(echo "$rss/1024" | bc -l)" "$(echo "$hwm/1024" | bc -l)"
	echo "$now $rss" >>"$WORK_DIR/rss"
	[ "$now" -ge "$TOTAL" ] && break
	sleep "$INTERVAL"
done
wait "$VIEWER_PID" || true
hwm=$(kb VmHWM)
machine_note
awk -v hwm="$hwm" -v steady_lim="$STEADY_MB" -v peak_lim="$PEAK_MB" -v drift_lim="$DRIFT_MB" '
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ t[NR] = $1; r[NR] = $2 / 1024 }
END {
	n = NR; m = 0
	for (i = 1; i <= n; i++) if (t[i] >= 60 || t[n] < 120) s[++m] = r[i]
	steady = median(s, m)
	k = 0; for (i = int(n / 3) + 1; i <= int(2 * n / 3); i++) mid[++k] = r[i]; mmid = median(mid, k)
	k = 0; for (i = int(2 * n / 3) + 1; i <= n; i++) last[++k] = r[i]; mlast = median(last, k)
	peak = hwm / 1024
	drift = mlast - mmid
	printf "samples %d over %d s: steady (median after the first minute) %.1f MB, peak (VmHWM) %.1f MB, drift (last third - middle third) %+.1f MB\n", n, t[n], steady, peak, drift
	ok = steady <= steady_lim && peak <= peak_lim && drift <= drift_lim
	printf "%s (limits: steady <= %d MB, peak <= %d MB, drift <= %d MB)\n", ok ? "PASS" : "FAIL", steady_lim, peak_lim, drift_lim
	exit ok ? 0 : 1
}' "$WORK_DIR/rss"
