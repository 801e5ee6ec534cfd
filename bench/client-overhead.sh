#!/usr/bin/env bash
# Overhead of the Python client on a PyTorch MNIST step, measured side by
# side (bench/client_overhead.py): starts `ohemlab serve --source external`
# on a free loopback port, runs the benchmark against it, stops the server.
#   bench/client-overhead.sh [BLOCKS [OPTIONS]]   (OPTIONS: see bench/client_overhead.py --help)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
blocks=${1:-20}
shift || true
bin=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$bin"' EXIT
go build -o "$bin/ohemlab" ./cmd/ohemlab
"$bin/ohemlab" serve --source external --no-store --addr 127.0.0.1:0 >"$bin/out" 2>&1 &
pid=$!
for _ in $(seq 100); do
	url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$bin/out" | head -1 || true)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { cat "$bin/out"; echo "the server printed no URL" >&2; exit 1; }
OMP_NUM_THREADS=1 /usr/bin/python3 bench/client_overhead.py --url "$url" --server-pid "$pid" --blocks "$blocks" "$@"
