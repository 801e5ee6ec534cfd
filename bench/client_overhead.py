#!/usr/bin/python3
"""Overhead of reporting to OHEM Lab on a PyTorch MNIST training step.

Trains the MLP of clients/python/examples/torch_mnist.py (784-256-10, SGD,
K=128, topk M=32) for --steps steps with OHEMLoss without a client (plain
NLL_OHEM) and with a client reporting every batch (losses, labels,
predictions, ids, true-class probabilities, the 32 kept images) to --url,
alternating the two in --rounds rounds from the same initial weights on the
same batches. Prints the median step time of each and their ratio.
Run it through bench/client-overhead.sh, which starts the server.
"""
import argparse
import json
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


def train(xtr, ytr, init, order, steps, k, client):
    model = torch_mnist.mlp()
    model.load_state_dict(init)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    crit = OHEMLoss(client, ratio=0.25)
    times = []
    for step in range(1, steps + 1):
        t0 = time.perf_counter()
        idx = order[(step - 1) * k:step * k]
        x8, y = xtr[idx], ytr[idx]
        loss = crit(model(x8.reshape(-1, 784).float().div_(255)), y, ids=idx, images=x8, step=step)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times[10:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    xtr, ytr, _, _ = torch_mnist.load(torch_mnist.find_mnist(None))
    torch.manual_seed(1)
    init = torch_mnist.mlp().state_dict()
    order = torch.randperm(len(ytr), generator=torch.Generator().manual_seed(1))
    k = 128
    off, on = [], []
    for r in range(a.rounds):
        for mode in (("off", "on") if r % 2 == 0 else ("on", "off")):
            client = None
            if mode == "on":
                client = ohemlab.Client(a.url, hello={"dataset": "mnist", "classes": 10, "num_train": len(ytr),
                                                      "k": k, "image": [28, 28],
                                                      "arms": [{"strategy": "topk", "m": 32, "lr": 0.1}]})
            t = train(xtr, ytr, init, order, a.steps, k, client)
            if client:
                client.close()
                assert client.refused == 0, client.last_error
            (on if mode == "on" else off).append(t)
        print("round %d: step %.3f ms without reporting, %.3f ms with" % (r + 1, off[-1] * 1e3, on[-1] * 1e3), file=sys.stderr)
    m_off, m_on = statistics.median(off), statistics.median(on)
    print(json.dumps({"steps": a.steps, "rounds": a.rounds, "threads": a.threads,
                      "step_ms_without": round(m_off * 1e3, 3), "step_ms_with": round(m_on * 1e3, 3),
                      "overhead": round(m_on / m_off - 1, 4),
                      "overhead_per_round": [round(b / a_ - 1, 4) for a_, b in zip(off, on)]}))


if __name__ == "__main__":
    main()
