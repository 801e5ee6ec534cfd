"""ohemlab.torch: OHEMLoss, a drop-in for the common ``NLL_OHEM`` loss whose
M / ratio / strategy come live from the OHEM Lab dashboard and which reports
every batch.

    crit = OHEMLoss(client, ratio=0.25)   # client = ohemlab.Client(url, hello=...)
    loss = crit(logits, target, ids=batch_ids, images=batch_uint8)
    loss.backward()

Like NLL_OHEM it computes the per-instance cross-entropy of the batch, keeps
the M = ratio·K examples with the highest loss (strategy ``topk``) and
returns their mean. ``random`` keeps M at random, ``all`` keeps everything,
``threshold`` keeps the examples whose true-class probability is below
``thresh`` (at least ``min_kept``). Segmentation logits (N, C, H, W) with
targets (N, H, W) treat every pixel as an example; a random subsample of
``max_report`` pixels is reported for the histogram.
"""

import time

import numpy
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["OHEMLoss", "STRATEGIES", "sync_control"]

# _set writes an attribute of an OHEMLoss that is neither a parameter, a
# buffer nor a submodule, without nn.Module.__setattr__'s look-ups.
_set = object.__setattr__

# STRATEGIES are the selection strategies OHEMLoss implements.
STRATEGIES = ["all", "random", "topk", "threshold"]


class OHEMLoss(nn.Module):
    """Online hard example mining cross-entropy that reports to OHEM Lab.

    client: an ohemlab.Client, or None (then it is a plain NLL_OHEM).
    arm: the dashboard arm this loss belongs to (0 or 1).
    ratio / m: the kept share or count (m wins), until the dashboard says
        otherwise; for segmentation the page's M is taken as a share of the
        reported sample (M / k of every pixel).
    live: take M / ratio / strategy from client.control at every call (set
        False and call ``set_control`` yourself, e.g. after ``sync_control``
        in a multi-process job). Arm 0's loss also calls
        ``client.before_step()`` (pause, single step, speed cap) when live.
    """

    def __init__(self, client=None, ratio=0.25, m=None, strategy="topk", arm=0, thresh=0.7,
                 min_kept=0, ignore_index=-100, max_report=4096, live=True, generator=None):
        super().__init__()
        if strategy not in STRATEGIES:
            raise ValueError("strategy %r: want one of %s" % (strategy, ", ".join(STRATEGIES)))
        self.client = client
        self.arm = arm
        self.ratio = float(ratio)
        self.m = m
        self.strategy = strategy
        self.thresh = thresh
        self.min_kept = min_kept
        self.ignore_index = ignore_index
        self.max_report = max_report
        self.live = live
        self.generator = generator
        self.step = 0
        self.last_selected = None
        self.version = 0  # the control version in force (reported with each batch)

    def set_control(self, arm_control, version=None):
        """Takes an arm's settings from a control state (dict with
        strategy, m, ratio, thresh, min_kept); version is that state's
        ``version``, reported with the batches that use it so that the
        dashboard marks a change at the step where it took effect."""
        # Plain attribute writes: nn.Module.__setattr__ looks each name up
        # among parameters, buffers and submodules, which cost the
        # training thread more than all the rest of reporting a batch.
        if version is not None:
            _set(self, "version", int(version or 0))
        if not arm_control:
            return
        s = arm_control.get("strategy")
        if s in STRATEGIES:
            _set(self, "strategy", s)
        if arm_control.get("m"):
            _set(self, "m", int(arm_control["m"]))
        if arm_control.get("ratio"):
            _set(self, "ratio", float(arm_control["ratio"]))
        if arm_control.get("thresh"):
            _set(self, "thresh", float(arm_control["thresh"]))
        if "min_kept" in arm_control:
            _set(self, "min_kept", int(arm_control.get("min_kept") or 0))

    def kept(self, k, dense=False):
        """M for a batch of k examples (dense: a share of every pixel)."""
        if dense or self.m is None:
            return max(1, min(k, int(self.ratio * k)))
        return max(1, min(k, int(self.m)))

    def forward(self, logits, target, ids=None, images=None, step=None):
        """Returns the mean loss of the kept examples.

        ids: dataset index of each example (tensor or list of N), for the
            data map and "hardest so far" (default: running numbers).
        images: uint8 tensor (N, H, W) or (N, H, W, 3) of the batch, to
            show the kept examples on the page (classification only).
        step: the training step (default: counts calls).
        """
        t0 = time.perf_counter()
        if self.client is not None and self.live:
            # One snapshot of the control state: its settings and the
            # version reported with them.
            c = self.client.before_step() if self.arm == 0 else self.client.control
            arms = c.get("arms") or ()
            self.set_control(arms[self.arm] if self.arm < len(arms) else None, c.get("version", 0))
        _set(self, "step", self.step + 1 if step is None else step)
        dense = logits.dim() > 2
        if dense:
            n, c = logits.shape[:2]
            flat = logits.permute(0, *range(2, logits.dim()), 1).reshape(-1, c)
            tgt = target.reshape(-1)
        else:
            flat, tgt = logits, target
        losses = F.cross_entropy(flat, tgt, reduction="none", ignore_index=self.ignore_index)
        k = losses.shape[0]
        with torch.no_grad():
            det = losses.detach()
            valid = tgt != self.ignore_index
            sel = self._select(det, flat, tgt, valid, dense)
        loss = losses[sel].mean() if sel.numel() else losses.sum() * 0
        _set(self, "last_selected", sel)
        if self.client is not None:
            self._report(det, flat.detach(), tgt, valid, sel, ids, images, dense, k, t0)
        return loss

    def _select(self, det, flat, tgt, valid, dense):
        k = det.shape[0]
        nvalid = int(valid.sum()) if not bool(valid.all()) else k
        m = min(self.kept(k, dense), nvalid)
        if self.strategy == "all":
            return valid.nonzero().squeeze(1)
        if self.strategy == "random":
            cand = valid.nonzero().squeeze(1)
            perm = torch.randperm(cand.numel(), generator=self.generator)[:m]
            return cand[perm].sort().values
        if self.strategy == "threshold":
            p = F.softmax(flat.detach(), 1).gather(1, tgt.clamp(min=0).unsqueeze(1)).squeeze(1)
            p = torch.where(valid, p, torch.full_like(p, 2.0))
            below = (p < self.thresh).nonzero().squeeze(1)
            floor = min(self.min_kept or m, nvalid)
            if below.numel() >= floor:
                return below
            return p.topk(floor, largest=False).indices.sort().values
        d = torch.where(valid, det, torch.full_like(det, -1.0))
        return d.topk(m).indices.sort().values

    def _report(self, det, flat, tgt, valid, sel, ids, images, dense, k, t0):
        c = self.client
        if dense:
            # Subsample the pixels for the histogram; keep the selection's share.
            r = min(k, self.max_report)
            idx = torch.randperm(k, generator=self.generator)[:r].sort().values if r < k else torch.arange(k)
            mask = torch.zeros(k, dtype=torch.bool)
            mask[sel] = True
            sub_sel = mask[idx].nonzero().squeeze(1)
            losses, t, f = det[idx], tgt[idx], flat[idx]
            ex_ids = idx
            images = None
        else:
            losses, t, f, sub_sel = det, tgt, flat, sel
            ex_ids = torch.arange(k) if ids is None else ids
        step_seconds = time.perf_counter() - t0
        if hasattr(c, "report_packed"):
            # Only references are queued: the client's sender thread turns
            # many batches into bytes at once (_TorchBatch.pack).
            c.report_packed(_TorchBatch(self.arm, self.step, self.strategy, step_seconds, losses, f, t,
                                        ex_ids, sub_sel, sel, images, self.version))
            return
        px = images[sel].to(torch.uint8).contiguous() if images is not None else None
        c.report_batch(self.arm, self.step, losses.float(), t.clamp(min=0), f.argmax(1), ex_ids, sub_sel,
                       true_prob=torch.exp(-losses.float()).clamp_(0, 1), images=px,
                       image_shape=list(px.shape[1:]) if px is not None else None, m=int(sub_sel.numel()),
                       strategy=self.strategy, step_seconds=step_seconds, version=self.version or None)


class _TorchBatch:
    """One reported batch as references to its tensors (detached; they
    must not change in place), packed on the client's sender thread."""

    __slots__ = ("arm", "step", "strategy", "step_seconds", "losses", "logits", "labels", "ids",
                 "selected", "image_sel", "images", "version")

    def __init__(self, arm, step, strategy, step_seconds, losses, logits, labels, ids, selected,
                 image_sel, images, version=0):
        self.arm, self.step, self.strategy, self.step_seconds = arm, step, strategy, step_seconds
        self.version = version
        self.losses, self.logits, self.labels, self.ids = losses, logits, labels, ids
        self.selected, self.image_sel, self.images = selected, image_sel, images

    def drop_images(self):
        """Lets go of the batch's images (a newer batch of the arm will
        send its own)."""
        self.images = None

    @staticmethod
    def pack(items, images=None, base=0):
        """The records of items for ohemlab.Client (report_packed): their
        JSON texts and the data part's buffers, appended at base. Batches
        of one shape are stacked, so that each array of all of them takes
        a handful of tensor operations and one conversion to bytes, and
        each record is one string format. images[i] false leaves out item
        i's images."""
        texts = [None] * len(items)
        try:
            groups = [(range(len(items)), _TorchBatch._columns(items))]
        except RuntimeError:  # batches of different sizes: one shape at a time
            by = {}
            for i, b in enumerate(items):
                by.setdefault((b.losses.shape, b.logits.shape, b.selected.dim()), []).append(i)
            groups = [(idx, _TorchBatch._columns([items[i] for i in idx])) for idx in by.values()]
        bufs = []
        for idx, (k, cols, ms) in groups:
            n, row = len(ms), 4 * k
            # losses, true_prob, preds, labels, ids: n rows of K each;
            # then every batch's selected indices in a row.
            at = []
            for c in cols:
                at.append(base)
                bufs.append(c)
                base += c.nbytes
            so = at[5]
            for j, i in enumerate(idx):
                b, m, r = items[i], ms[j], j * row
                t = _RECORD % (b.arm, b.step, b.version, m, b.strategy, b.step_seconds,
                               at[0] + r, row, at[1] + r, row, at[2] + r, row, at[3] + r, row, at[4] + r, row,
                               so, 4 * m)
                so += 4 * m
                if b.images is not None and (images is None or images[i]):
                    # The kept examples' pixels, straight from the tensor's memory.
                    px = torch.index_select(b.images, 0, b.image_sel)
                    if px.dtype != torch.uint8 or px.device.type != "cpu":
                        px = px.to(torch.uint8).cpu()
                    px = px.numpy()
                    t = t[:-2] + ',"images":[%d,%d]},"images":{"shape":[%s]}}' % (
                        base, px.nbytes, ",".join(map(str, px.shape[1:])))
                    bufs.append(px)
                    base += px.nbytes
                texts[i] = t
        return texts, bufs

    @staticmethod
    def _columns(bs):
        """The arrays of batches bs of one shape, stacked, as little-endian
        arrays: K, (losses, true_prob, preds, labels, ids, selected (all
        batches' in a row)) and each batch's count of selected."""
        # Few tensor operations (each one hands the interpreter lock to the
        # training thread and back); the rest is numpy on the stacked rows.
        with torch.no_grad():
            losses = _cpu(torch.stack([b.losses for b in bs]))
            if losses.dtype != torch.float32:
                losses = losses.float()
            # max(-1).indices is argmax(-1) (the first of equal maxima, NaN
            # wins) at two thirds of its cost for few classes.
            preds = _cpu(torch.stack([b.logits for b in bs]).max(-1).indices)
            labels = _cpu(torch.stack([b.labels for b in bs]))
            ids = _cpu(torch.stack([b.ids if isinstance(b.ids, torch.Tensor) else torch.as_tensor(b.ids) for b in bs]))
            sels = [b.selected for b in bs]
            sel = _cpu(torch.cat(sels))
        lossn = losses.numpy().astype("<f4", copy=False)
        prob = numpy.exp(-lossn).clip(0, 1)  # loss = -log p(label)
        labn = labels.numpy().clip(0, None)  # ignore_index pixels are not reported
        i32 = lambda t: t.astype("<i4", copy=False)  # noqa: E731
        return (int(losses.shape[1]), (lossn, prob, i32(preds.numpy()), i32(labn), i32(ids.numpy()), i32(sel.numpy())),
                [int(s.shape[0]) for s in sels])


def _cpu(t):
    """t on the CPU (no operation when it is there already)."""
    return t if t.device.type == "cpu" else t.cpu()


# _RECORD is one batch record of _TorchBatch.pack, its arrays in the data
# part: arm, step, the control version used (0: not known), m, strategy,
# step_seconds, then [offset, length] of losses, true_prob, preds, labels,
# ids and selected.
_RECORD = ('{"arm":%d,"step":%d,"version":%d,"m":%d,"strategy":"%s","step_seconds":%.6g,"bin":{"losses":[%d,%d],'
           '"true_prob":[%d,%d],"preds":[%d,%d],"labels":[%d,%d],"ids":[%d,%d],"selected":[%d,%d]}}')


def sync_control(client, src=0, group=None):
    """The same control state on every rank of a torch.distributed job:
    rank ``src`` calls ``client.before_step()`` (blocking while paused) and
    broadcasts what it got, so that every rank changes M at the same step.
    Call it once per step on every rank; give the result to each OHEMLoss
    (created with live=False) with ``set_control``, its version too, so
    that the dashboard marks a change at the step it took effect::

        ctl = sync_control(client)
        crit.set_control((ctl.get("arms") or [None])[0], ctl.get("version"))
    """
    import torch.distributed as dist
    obj = [client.before_step() if dist.get_rank() == src else None]
    dist.broadcast_object_list(obj, src=src, group=group)
    return obj[0] or {}
