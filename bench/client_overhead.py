#!/usr/bin/python3
"""Overhead of reporting to OHEM Lab on a PyTorch MNIST training step.

Trains the MLP of clients/python/examples/torch_mnist.py (784-256-10, SGD,
K=128, topk M=32) twice from the same initial weights on the same batches:
with OHEMLoss without a client (plain NLL_OHEM) and with a client reporting
every batch (losses, labels, predictions, ids, true-class probabilities, the
32 kept images) to --url. The two alternate in blocks of --block steps (so
both see the same machine load); a reporting block ends when the client has
sent everything, so the sender thread's work counts against it. Prints the
median per-step wall time, CPU time (all threads of the process) and CPU
time of the training thread alone of each mode; the median of the ratios
of adjacent blocks (with/without) with its quartiles and a distribution-free
95 % confidence interval (order statistics; more blocks narrow it), and the
ratio of the fastest blocks of each mode (the least disturbed by other
processes). On a loaded machine the CPU times are the steadier measures:
the training thread's is what a step waits for when the sender thread has a
core of its own. Also the sender thread's CPU per reported batch, the
server's (with --server-pid), the median wait for the end-of-block flush,
and the sender's work for one 40-batch request timed alone in this thread.
Run it through bench/client-overhead.sh, which starts the server.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "clients", "python"))
sys.path.insert(0, os.path.join(here, "..", "clients", "python", "examples"))
import ohemlab  # noqa: E402
import torch_mnist  # noqa: E402
from ohemlab.torch import OHEMLoss  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--blocks", type=int, default=20, help="blocks of each mode, alternating")
    ap.add_argument("--block", type=int, default=500, help="steps per block (each reporting block ends with a flush, whose wait for the server is a fixed cost per block)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-images", action="store_true", help="report without the kept examples' images")
    ap.add_argument("--all-images", action="store_true",
                    help="send the kept images of every batch (default: the client's, the newest batch per request)")
    ap.add_argument("--server-pid", type=int, default=0,
                    help="the server's process id: report its CPU time per reported batch too (Linux)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    xtr, ytr, _, _ = torch_mnist.load(torch_mnist.find_mnist(None))
    torch.manual_seed(1)
    init = torch_mnist.mlp().state_dict()
    order = torch.randperm(len(ytr), generator=torch.Generator().manual_seed(1))
    k = 128
    client = ohemlab.Client(a.url, hello={"dataset": "mnist", "classes": 10, "num_train": len(ytr),
                                          "k": k, "image": [28, 28],
                                          "arms": [{"strategy": "topk", "m": 32, "lr": 0.1}]},
                            all_images=a.all_images)
    runs = {}
    for mode in ("off", "on"):
        model = torch_mnist.mlp()
        model.load_state_dict(init)
        runs[mode] = (model, torch.optim.SGD(model.parameters(), lr=0.1),
                      OHEMLoss(client if mode == "on" else None, ratio=0.25), [0])

    def block(mode):
        model, opt, crit, step = runs[mode]
        t0, c0, h0 = time.perf_counter(), time.process_time(), time.thread_time()
        for _ in range(a.block):
            step[0] += 1
            s = step[0] % (len(ytr) // k)
            idx = order[s * k:(s + 1) * k]
            x8, y = xtr[idx], ytr[idx]
            loss = crit(model(x8.reshape(-1, 784).float().div_(255)), y, ids=idx, images=None if a.no_images else x8, step=step[0])
            opt.zero_grad()
            loss.backward()
            opt.step()
        h = (time.thread_time() - h0) / a.block  # the training thread alone
        f0 = time.perf_counter()
        if mode == "on":
            client.flush()  # the sender's work counts against reporting
        f = time.perf_counter() - f0
        return (time.perf_counter() - t0) / a.block, (time.process_time() - c0) / a.block, h, f

    block("off"), block("on")  # warm up
    cpu0, sent0, srv0 = client.sender_cpu, client.sent, server_cpu(a.server_pid)
    res = {"off": [], "on": []}
    for b in range(a.blocks):
        for mode in (("off", "on") if b % 2 == 0 else ("on", "off")):
            res[mode].append(block(mode))
    client.flush()
    sender_ms = (client.sender_cpu - cpu0) / max(1, client.sent - sent0) * 1e3
    server_ms = (server_cpu(a.server_pid) - srv0) / max(1, client.sent - sent0) * 1e3
    client.close()
    assert client.refused == 0, client.last_error
    out = {"steps_per_mode": a.blocks * a.block, "block": a.block, "threads": a.threads,
           "sender_thread_cpu_ms_per_batch": round(sender_ms, 4),
           "flush_ms_per_block": round(statistics.median(r[3] for r in res["on"]) * 1e3, 2)}
    if a.server_pid:
        out["server_cpu_ms_per_batch"] = round(server_ms, 4)
    for i, what in ((0, "wall"), (1, "cpu"), (2, "training_thread_cpu")):
        off = [r[i] for r in res["off"]]
        on = [r[i] for r in res["on"]]
        ratios = sorted(y / x for x, y in zip(off, on))
        out[what] = {"step_ms_without": round(statistics.median(off) * 1e3, 3),
                     "step_ms_with": round(statistics.median(on) * 1e3, 3),
                     "overhead_median_of_pairs": round(statistics.median(ratios) - 1, 4),
                     "pair_ratio_quartiles": [round(ratios[len(ratios) // 4], 3), round(ratios[3 * len(ratios) // 4], 3)],
                     "overhead_ci95": [round(x - 1, 4) for x in median_ci(ratios)],
                     # The fastest block of each mode: the least disturbed
                     # by other processes on a shared machine.
                     "best_block_overhead": round(min(on) / min(off) - 1, 4)}
    out["sender_work_us_per_batch_alone"] = sender_work(runs["off"][0], xtr, ytr, order, k, a.all_images)
    print(json.dumps(out))


def median_ci(xs):
    """A distribution-free 95 % confidence interval of the median of xs
    (sorted): the order statistics n/2 ± 0.98·√n (the binomial's normal
    approximation), clamped to the ends with few values."""
    n = len(xs)
    half = 0.98 * math.sqrt(n)
    lo = max(0, int(math.floor(n / 2 - half)))
    hi = min(n - 1, int(math.ceil(n / 2 + half)) - 1)
    return xs[lo], xs[hi]


def server_cpu(pid):
    """CPU seconds process pid used so far (user + system), 0 without pid."""
    if not pid:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sender_work(model, xtr, ytr, order, k, all_images, n=40, reps=50):
    """CPU µs per batch of what the sender thread does for one request of
    n batches (stack and convert, frame), timed alone in this thread: the
    client's own cost without the machine's load and the GIL hand-offs."""
    from ohemlab.client import _frame
    from ohemlab.torch import _TorchBatch

    class Capture:
        control = {}

        def __init__(self):
            self.items = []

        def before_step(self):
            return {}

        def arm(self, i):
            return None

        def report_packed(self, item):
            self.items.append(item)

    cap = Capture()
    crit = OHEMLoss(cap, ratio=0.25)
    with torch.no_grad():
        for s in range(n):
            idx = order[s * k:(s + 1) * k]
            crit(model(xtr[idx].reshape(-1, 784).float().div_(255)), ytr[idx], ids=idx, images=xtr[idx], step=s + 1)
    keep = [all_images or i == n - 1 for i in range(n)]
    for _ in range(5):
        _frame({"session": "x"}, *_TorchBatch.pack(cap.items, keep), True)
    t0 = time.thread_time()
    for _ in range(reps):
        _frame({"session": "x"}, *_TorchBatch.pack(cap.items, keep), True)
    return round((time.thread_time() - t0) / reps / n * 1e6, 1)


if __name__ == "__main__":
    main()
