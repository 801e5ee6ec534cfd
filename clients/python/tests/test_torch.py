"""Tests of ohemlab.torch.OHEMLoss (skipped without PyTorch)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None


class Recorder:
    """A stand-in Client that keeps what OHEMLoss reports."""

    def __init__(self, arms=None):
        self.batches = []
        self.control = {"arms": arms or []}
        self.steps = 0

    def before_step(self):
        self.steps += 1
        return self.control

    def arm(self, i):
        a = self.control["arms"]
        return a[i] if i < len(a) else None

    def report_batch(self, arm, step, losses, labels, preds, ids, selected, **kw):
        self.batches.append(dict(arm=arm, step=step, losses=losses.tolist(), labels=labels.tolist(),
                                 preds=preds.tolist(), ids=list(ids.tolist() if hasattr(ids, "tolist") else ids),
                                 selected=selected.tolist(), **kw))


def nll_ohem(logits, y, ratio):
    """The common NLL_OHEM snippet this loss replaces."""
    k = logits.shape[0]
    inst = F.cross_entropy(logits, y, reduction="none")
    _, idx = inst.topk(int(ratio * k))
    return inst[idx].mean()


@unittest.skipIf(torch is None, "PyTorch is not installed")
class OHEMLossTest(unittest.TestCase):
    def setUp(self):
        from ohemlab.torch import OHEMLoss
        self.OHEMLoss = OHEMLoss
        torch.manual_seed(0)

    def test_drop_in_for_nll_ohem(self):
        logits = torch.randn(64, 10, requires_grad=True)
        y = torch.randint(0, 10, (64,))
        got = self.OHEMLoss(ratio=0.25)(logits, y)
        want = nll_ohem(logits, y, 0.25)
        self.assertAlmostEqual(got.item(), want.item(), places=6)
        got.backward()
        self.assertEqual(int((logits.grad.abs().sum(1) > 0).sum()), 16)

    def test_reports_every_batch_and_takes_live_settings(self):
        rec = Recorder(arms=[{"strategy": "topk", "m": 8, "ratio": 0.125}])
        crit = self.OHEMLoss(rec, ratio=0.25)
        x = torch.randint(0, 256, (64, 4, 4), dtype=torch.uint8)
        for step in range(3):
            crit(torch.randn(64, 10), torch.randint(0, 10, (64,)), ids=torch.arange(100, 164), images=x)
        self.assertEqual(len(rec.batches), 3)
        self.assertEqual(rec.steps, 3, "arm 0 calls before_step once per batch")
        b = rec.batches[-1]
        self.assertEqual(len(b["selected"]), 8, "M comes from the dashboard")
        self.assertEqual(b["selected"], sorted(b["selected"]))
        top = sorted(range(64), key=lambda i: -b["losses"][i])[:8]
        self.assertEqual(sorted(top), b["selected"])
        self.assertEqual(b["ids"][0], 100)
        self.assertEqual(b["image_shape"], [4, 4])
        self.assertEqual(tuple(b["images"].shape), (8, 4, 4))
        self.assertTrue(all(0 <= p <= 1 for p in b["true_prob"].tolist()))
        self.assertIsNone(b["version"], "no control version yet: none reported")
        rec.control = {"version": 4, "arms": [{"strategy": "random", "m": 5}]}
        crit(torch.randn(64, 10), torch.randint(0, 10, (64,)))
        self.assertEqual(len(rec.batches[-1]["selected"]), 5)
        self.assertEqual(rec.batches[-1]["strategy"], "random")
        self.assertEqual(rec.batches[-1]["version"], 4, "the batch says which control version it used")

    def test_strategies(self):
        logits, y = torch.randn(32, 3), torch.randint(0, 3, (32,))
        for s, n in (("all", 32), ("random", 8), ("topk", 8)):
            crit = self.OHEMLoss(ratio=0.25, strategy=s)
            crit(logits, y)
            self.assertEqual(crit.last_selected.numel(), n, s)
        crit = self.OHEMLoss(ratio=0.25, strategy="threshold", thresh=1.0)
        crit(logits, y)
        self.assertEqual(crit.last_selected.numel(), 32, "every p < 1 is kept")
        with self.assertRaises(ValueError):
            self.OHEMLoss(strategy="focal")

    def test_segmentation_pixels_as_examples(self):
        rec = Recorder()
        crit = self.OHEMLoss(rec, ratio=0.1, max_report=500)
        logits = torch.randn(2, 5, 16, 16, requires_grad=True)
        y = torch.randint(0, 5, (2, 16, 16))
        y[0, 0, :] = -100  # ignored pixels
        loss = crit(logits, y)
        loss.backward()
        self.assertEqual(crit.last_selected.numel(), int(0.1 * 512))
        b = rec.batches[-1]
        self.assertEqual(len(b["losses"]), 500, "the histogram is subsampled")
        self.assertLess(len(b["selected"]), 500)
        self.assertTrue(all(0 <= i < 500 for i in b["selected"]))


@unittest.skipIf(torch is None, "PyTorch is not installed")
class OHEMLossWireTest(unittest.TestCase):
    """What OHEMLoss sends through a real ohemlab.Client, as the server
    decodes it (binary format and plain JSON)."""

    def run_client(self, binary, all_images=False):
        import ohemlab
        from ohemlab.torch import OHEMLoss
        from test_client import FakeServer, batches_sent
        srv = FakeServer()
        self.addCleanup(srv.stop)
        c = ohemlab.Client(srv.url, hello={"dataset": "t", "classes": 10, "k": 64, "image": [4, 4],
                                           "arms": [{"strategy": "topk", "m": 8}]},
                           log=None, binary=binary, all_images=all_images, interval=30, min_interval=30)
        self.addCleanup(c.close, False)
        srv.wait_for(lambda reqs: len(reqs) >= 1)  # the hello; the batches then wait for flush
        torch.manual_seed(3)
        crit = OHEMLoss(c, m=8, live=False)
        crit.set_control({"strategy": "topk", "m": 8}, version=7)  # as after sync_control
        sent = []
        for step in range(1, 4):
            logits, y = torch.randn(64, 10), torch.randint(0, 10, (64,))
            x = torch.randint(0, 256, (64, 4, 4), dtype=torch.uint8)
            ids = torch.arange(1000 + 64 * step, 1064 + 64 * step)
            crit(logits, y, ids=ids, images=x, step=step)
            sent.append((logits, y, x, ids, crit.last_selected.clone()))
        self.assertTrue(c.flush(10))
        got = batches_sent(srv.requests)
        reports = [b for b, _ in srv.requests if "wait" not in b]  # not the control thread's long-polls
        self.assertEqual(len(reports), 2, "hello, then the three batches in one request")
        self.assertEqual([b["step"] for b in got], [1, 2, 3])
        return got, sent

    def check(self, got, sent, images_of):
        import base64
        for b, (logits, y, x, ids, sel) in zip(got, sent):
            want = F.cross_entropy(logits, y, reduction="none")
            self.assertEqual(len(b["losses"]), 64)
            for g, w in zip(b["losses"], want.tolist()):
                self.assertAlmostEqual(g, w, places=5)
            for g, w in zip(b["true_prob"], torch.exp(-want).tolist()):
                self.assertAlmostEqual(g, w, places=5)
            self.assertEqual(b["labels"], y.tolist())
            self.assertEqual(b["preds"], logits.argmax(1).tolist())
            self.assertEqual(b["ids"], ids.tolist())
            self.assertEqual(b["selected"], sel.tolist())
            self.assertEqual(b["m"], 8)
            self.assertEqual(b["strategy"], "topk")
            self.assertEqual(b["version"], 7, "the control version the batch used")
            if b["step"] in images_of:
                self.assertEqual(b["images"]["shape"], [4, 4])
                self.assertEqual(base64.b64decode(b["images"]["data"]), x[sel].numpy().tobytes())
            else:
                self.assertNotIn("images", b)

    def test_binary(self):
        got, sent = self.run_client(True)
        self.check(got, sent, images_of={3})  # the newest batch of the arm carries the images

    def test_json(self):
        got, sent = self.run_client(False, all_images=True)
        self.check(got, sent, images_of={1, 2, 3})


@unittest.skipIf(torch is None, "PyTorch is not installed")
class PackTest(unittest.TestCase):
    def test_preds_are_argmax_with_ties_and_nan(self):
        """The packed preds are logits.argmax(-1), the first of equal
        maxima, NaN first, for every batch of a request."""
        import json
        import numpy
        from ohemlab.torch import _TorchBatch
        torch.manual_seed(5)
        items, want = [], []
        for step in range(1, 6):
            logits = torch.randint(0, 3, (16, 10)).float()  # many ties
            logits[step, 4] = float("nan")
            logits[step + 1] = float("-inf")
            y = torch.randint(0, 10, (16,))
            losses = torch.rand(16)
            sel = torch.tensor([0, 3, 7])
            items.append(_TorchBatch(0, step, "topk", 0.001, losses, logits, y, torch.arange(16), sel, sel, None))
            want.append(logits.argmax(-1).tolist())
        texts, bufs = _TorchBatch.pack(items)
        data = b"".join(numpy.ascontiguousarray(b).tobytes() for b in bufs)
        for t, w in zip(texts, want):
            off, n = json.loads(t)["bin"]["preds"]
            self.assertEqual(numpy.frombuffer(data[off:off + n], "<i4").tolist(), w)


if __name__ == "__main__":
    unittest.main()
