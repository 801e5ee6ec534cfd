"""ohemlab.Client: reports batches to an OHEM Lab server and keeps its
control state, from a background thread, with the standard library only."""

import base64
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

__all__ = ["Client", "ClientError"]


class ClientError(Exception):
    """A request the server refused (HTTP 4xx), with the server's message."""

    def __init__(self, status, message):
        super().__init__("HTTP %d: %s" % (status, message))
        self.status = status
        self.message = message


class Client:
    """Reports training batches to ``ohemlab serve --source external``.

    Reports are queued and sent by a background thread over one keep-alive
    HTTP connection, several per request (what arrives within
    ``min_interval`` of the previous request goes together), so training
    never waits on the network. When the server is slower than training, the oldest queued
    batch records are dropped (latest wins; ``dropped`` counts them);
    evaluation records are never dropped. A broken connection is re-opened
    with back-off and the hello sent again.

    ``control`` is the latest control state from the server (see
    docs/protocol.md): per arm ``strategy``, ``m``, ``ratio``, ``lr``, and
    ``paused``, ``step``, ``eval``, ``speed_cap``, ``run``, ``version``.
    ``before_step()`` blocks while the dashboard has the run paused, lets a
    single step through, and keeps to the speed cap: call it once per
    training step (``OHEMLoss`` of arm 0 does).
    """

    def __init__(self, url, token=None, hello=None, session=None, rank=0, world=1,
                 max_pending=256, max_per_request=64, timeout=60.0, log=sys.stderr,
                 min_interval=0.01):
        u = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
        if u.scheme not in ("http", "https"):
            raise ValueError("url must be http:// or https://, got %r" % url)
        self._scheme, self._host, self._port = u.scheme, u.hostname, u.port
        base = u.path if u.path.endswith("/") else u.path + "/"
        self._path = base + "api/ingest"
        self._token = token
        self.session = session or os.urandom(8).hex()
        self.rank, self.world = int(rank), int(world)
        self._hello = dict(hello) if hello else None
        self._max_pending = max_pending
        self._max_per_request = max_per_request
        self._timeout = timeout
        self._min_interval = min_interval
        self._log = log

        self._cv = threading.Condition()
        self._batches = []
        self._evals = []
        self._wait_rev = None  # a long-poll the training thread asked for
        self._control = {}
        self._hello_sent = False
        self._closed = False
        self._step_rev = None  # revision whose single step was used
        self._last_step = 0.0
        self._errors_seen = set()
        self.sent = 0
        self.dropped = 0
        self.refused = 0
        self.reconnects = 0
        self.last_error = None
        self._conn = None
        self._thread = threading.Thread(target=self._run, name="ohemlab-client", daemon=True)
        self._thread.start()

    # ---- what the training loop calls ----

    def set_hello(self, hello):
        """Sets (or replaces) the job description sent before any record."""
        with self._cv:
            self._hello = dict(hello)
            self._hello_sent = False
            self._cv.notify_all()

    @property
    def has_hello(self):
        with self._cv:
            return self._hello is not None

    @property
    def control(self):
        """The latest control state (a dict; empty before the first reply)."""
        with self._cv:
            return self._control

    def arm(self, i=0):
        """Arm i's settings from the latest control state, or None."""
        arms = self.control.get("arms") or []
        return arms[i] if i < len(arms) else None

    def report_batch(self, arm, step, losses, labels, preds, ids, selected, weights=None,
                     true_prob=None, flipped=None, images=None, image_shape=None, m=None,
                     strategy=None, step_seconds=None):
        """Queues one batch record; returns at once.

        The arrays may be lists or anything with ``tolist()`` (tensors,
        numpy arrays); they are converted on the sender thread. ``images``
        are the uint8 pixels of the selected examples (bytes-like or an
        array of shape (M, H, W) or (M, H, W, 3)) with ``image_shape``
        [H, W] or [H, W, 3].
        """
        rec = _record(arm, step, losses, labels, preds, ids, selected, weights, true_prob, flipped,
                      images, image_shape, m, strategy, step_seconds)
        with self._cv:
            self._batches.append(rec)
            while len(self._batches) > self._max_pending:
                self._batches.pop(0)
                self.dropped += 1
            self._cv.notify_all()

    def report_lazy(self, build):
        """Queues a batch record built later, on the sender thread:
        ``build()`` returns report_batch's arguments as a dict. The tensors
        it reads must not change in place afterwards."""
        with self._cv:
            self._batches.append(build)
            while len(self._batches) > self._max_pending:
                self._batches.pop(0)
                self.dropped += 1
            self._cv.notify_all()

    def report_eval(self, arm, step, test_loss, test_accuracy, per_class=None, confusion=None):
        """Queues one evaluation record; returns at once."""
        rec = {"arm": arm, "step": step, "test_loss": float(test_loss),
               "test_accuracy": float(test_accuracy)}
        if per_class is not None:
            rec["per_class"] = [float(a) for a in per_class]
        if confusion is not None:
            rec["confusion"] = confusion
        with self._cv:
            self._evals.append(rec)
            self._cv.notify_all()

    def before_step(self, timeout=None):
        """Blocks while the run is paused on the dashboard (a single step
        request lets exactly one call through), then keeps to the speed
        cap. Returns the control state to use for this step. Before the
        first reply it does not block."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while True:
                c = self._control
                if self._closed or not c.get("paused"):
                    break
                rev = c.get("revision")
                if c.get("step") and self._step_rev != rev:
                    self._step_rev = rev  # this revision's single step
                    break
                self._wait_rev = rev
                self._cv.notify_all()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cv.wait(left if left is not None else 1.0)
            self._wait_rev = None
            c = self._control
        cap = c.get("speed_cap") or 0
        if cap > 0:
            gap = 1.0 / cap - (time.monotonic() - self._last_step)
            if gap > 0:
                time.sleep(gap)
        self._last_step = time.monotonic()
        return c

    def flush(self, timeout=30.0):
        """Waits until every queued record was sent (or timeout)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while (self._batches or self._evals or self._busy) and time.monotonic() < deadline:
                self._cv.wait(0.05)
            return not (self._batches or self._evals)

    def close(self, flush=True):
        """Sends what is queued (when flush) and stops the sender thread."""
        if flush:
            self.flush()
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(5)
        if self._conn is not None:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- the sender thread ----

    _busy = False

    def _run(self):
        backoff = 0.05
        last = 0.0
        while True:
            # Gather what arrives within min_interval of the last request
            # into the next one: fewer, larger requests cost less CPU.
            gap = self._min_interval - (time.monotonic() - last)
            if gap > 0 and self._wait_rev is None and not self._closed:
                time.sleep(gap)
            last = time.monotonic()
            with self._cv:
                while not (self._closed or self._batches or self._evals or self._wait_rev is not None
                           or (self._hello is not None and not self._hello_sent)):
                    self._cv.wait()
                if self._closed and not (self._batches or self._evals):
                    return
                if self._hello is None and (self._batches or self._evals):
                    self._cv.wait(0.1)  # records wait for the hello
                    continue
                batches = self._batches[:self._max_per_request]
                del self._batches[:len(batches)]
                room = self._max_per_request - len(batches)
                evals = self._evals[:max(room, 1)]
                del self._evals[:len(evals)]
                wait = self._wait_rev if not (batches or evals) else None
                hello = self._hello if not self._hello_sent else None
                run = self._control.get("run", 0)
                self._busy = True
            body = {"session": self.session, "rank": self.rank, "world": self.world, "run": run}
            if hello is not None:
                body["hello"] = hello
            encoded = []
            for b in batches:
                try:
                    encoded.append(_encode_batch(b))
                except Exception as e:  # a bad record must not stop the sender
                    self.refused += 1
                    self.last_error = e
                    self._warn("cannot encode a batch record: %r" % e)
            batches = encoded
            if batches:
                body["batches"] = batches
            if evals:
                body["evals"] = evals
            if wait is not None:
                body["wait"] = wait
            try:
                reply = self._post(json.dumps(body, separators=(",", ":")).encode())
                backoff = 0.05
            except ClientError as e:
                self.refused += len(batches) + len(evals)
                self.last_error = e
                self._warn(str(e))
                with self._cv:
                    self._busy = False
                    if "hello" in e.message or "session" in e.message:
                        self._hello_sent = False  # the server forgot us (restarted)
                    self._cv.notify_all()
                    if e.status != 400 or not (batches or evals):
                        # Refused whatever we send (no token, wrong server,
                        # throttled): do not hammer the server.
                        self._cv.wait(backoff)
                        backoff = min(backoff * 2, 2.0)
                continue
            except (OSError, http.client.HTTPException) as e:
                self.last_error = e
                self._warn("cannot reach the OHEM Lab server (%s): retrying" % e)
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                with self._cv:
                    self._busy = False
                    self._hello_sent = False
                    # Put the records back (newest kept when over the bound).
                    self._batches[:0] = batches
                    self._evals[:0] = evals
                    while len(self._batches) > self._max_pending:
                        self._batches.pop(0)
                        self.dropped += 1
                    self._cv.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                self.reconnects += 1
                continue
            with self._cv:
                self._busy = False
                self.sent += len(batches)
                if hello is not None:
                    self._hello_sent = True
                self._control = reply
                self._cv.notify_all()

    def _post(self, data):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        self._conn.request("POST", self._path, body=data, headers=headers)
        resp = self._conn.getresponse()
        raw = resp.read()
        if resp.status != 200:
            try:
                msg = json.loads(raw).get("error", raw.decode(errors="replace"))
            except ValueError:
                msg = raw.decode(errors="replace")
            if resp.status >= 500:
                raise http.client.HTTPException("HTTP %d: %s" % (resp.status, msg))
            raise ClientError(resp.status, msg)
        return json.loads(raw)

    def _warn(self, msg):
        if self._log is None or msg in self._errors_seen or len(self._errors_seen) > 100:
            return
        self._errors_seen.add(msg)
        print("ohemlab: " + msg, file=self._log)


def _tolist(v):
    return v.tolist() if hasattr(v, "tolist") else v


# _FLOATS are the per-example float arrays; tensors and numpy arrays among
# them are sent as base64 of little-endian float32 (docs/protocol.md), much
# cheaper to write and read than decimal JSON numbers.
_FLOATS = ("losses", "true_prob", "weights")


def _f32(v):
    if hasattr(v, "numpy"):
        v = v.detach().cpu().numpy()
    if hasattr(v, "astype"):
        return base64.b64encode(v.astype("<f4").tobytes()).decode()
    return v


def _record(arm, step, losses, labels, preds, ids, selected, weights=None, true_prob=None,
            flipped=None, images=None, image_shape=None, m=None, strategy=None, step_seconds=None):
    rec = {"arm": arm, "step": step, "losses": losses, "labels": labels, "preds": preds,
           "ids": ids, "selected": selected}
    for k, v in (("weights", weights), ("true_prob", true_prob), ("flipped", flipped),
                 ("m", m), ("strategy", strategy), ("step_seconds", step_seconds)):
        if v is not None:
            rec[k] = v
    if images is not None:
        rec["images"] = (list(image_shape), images)
    return rec


def _encode_batch(rec):
    """Turns tensors and arrays into JSON values (on the sender thread)."""
    if callable(rec):
        rec = _record(**rec())
    out = {}
    for k, v in rec.items():
        if k in _FLOATS:
            out[k] = _f32(v)
        elif k == "images":
            shape, px = v
            if hasattr(px, "numpy"):
                px = px.numpy()
            if hasattr(px, "tobytes"):
                px = px.tobytes()
            out[k] = {"shape": shape, "data": base64.b64encode(bytes(px)).decode()}
        else:
            out[k] = _tolist(v)
    return out
