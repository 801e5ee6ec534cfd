"""ohemlab.Client: reports batches to an OHEM Lab server and keeps its
control state, from a background thread, with the standard library only."""

import array
import base64
import http.client
import json
import os
import socket
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
    HTTP connection, everything queued in one request: while training
    reports faster than one batch per ``slow`` seconds, at most every
    ``interval`` seconds; slower training has each batch sent within
    ``min_interval`` (so are paused runs, ``flush``, evaluations), in the
    binary request format (docs/protocol.md: the arrays as raw
    little-endian bytes; ``binary=False`` sends plain JSON), so training
    never waits on the network and the sender thread, which shares the
    interpreter lock with training, does little per batch. The kept
    examples' images go with the newest batch of each arm in a request
    (the one a page shows; ``all_images=True``: with every batch). When
    the server is slower than training, the oldest queued batch records
    are dropped (latest wins; ``dropped`` counts them);
    evaluation records are never dropped. A broken connection is re-opened
    with back-off and the hello sent again.

    A second thread long-polls the server for control changes on a
    connection of its own, so that the page's changes, pause and resume
    reach training at once, whatever the interval.

    ``control`` is the latest control state from the server (see
    docs/protocol.md): per arm ``strategy``, ``m``, ``ratio``, ``lr``, and
    ``paused``, ``step``, ``eval``, ``speed_cap``, ``run``, ``version``.
    ``sender_cpu`` is the CPU time the sender thread used so far.
    ``before_step()`` blocks while the dashboard has the run paused, lets a
    single step through, and keeps to the speed cap: call it once per
    training step (``OHEMLoss`` of arm 0 does).
    """

    def __init__(self, url, token=None, hello=None, session=None, rank=0, world=1,
                 max_pending=1024, max_per_request=512, timeout=60.0, log=sys.stderr,
                 interval=0.25, min_interval=0.005, slow=0.02, binary=True, all_images=False):
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
        self._interval = interval
        self._min_interval = min_interval
        self._slow = slow
        self._period = slow  # running mean time between two queued batches
        self._last_queued = None
        self._binary = binary
        self._all_images = all_images
        self._flush_now = False
        self._log = log

        # The condition's lock, also taken directly where a batch is queued
        # (the training thread): its with-statement is C code, the
        # condition's a Python call.
        self._lock = threading.RLock()
        self._cv = threading.Condition(self._lock)
        self._batches = []
        self._newest = {}  # arm -> its newest queued item
        self._evals = []
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
        self.sender_cpu = 0.0  # CPU seconds the sender thread used so far
        self._conn = None
        self._poll_conn = None
        self._thread = threading.Thread(target=self._run, name="ohemlab-client", daemon=True)
        self._thread.start()
        self._poller = threading.Thread(target=self._poll, name="ohemlab-control", daemon=True)
        self._poller.start()

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
        """The latest control state (a dict; empty before the first reply).
        The sender replaces the whole dict, so reading it needs no lock."""
        return self._control

    def arm(self, i=0):
        """Arm i's settings from the latest control state, or None."""
        arms = self._control.get("arms") or []
        return arms[i] if i < len(arms) else None

    def report_batch(self, arm, step, losses, labels, preds, ids, selected, weights=None,
                     true_prob=None, flipped=None, images=None, image_shape=None, m=None,
                     strategy=None, step_seconds=None, version=None):
        """Queues one batch record; returns at once.

        The arrays may be lists or anything with ``tolist()`` (tensors,
        numpy arrays); they are converted on the sender thread. ``images``
        are the uint8 pixels of the selected examples (bytes-like or an
        array of shape (M, H, W) or (M, H, W, 3)) with ``image_shape``
        [H, W] or [H, W, 3]. ``version`` is the ``version`` of the control
        state whose settings this batch used (the dashboard marks a change
        at the first batch that reports its version).
        """
        self._queue(_record(arm, step, losses, labels, preds, ids, selected, weights, true_prob, flipped,
                            images, image_shape, m, strategy, step_seconds, version))

    def report_lazy(self, build):
        """Queues a batch record built later, on the sender thread:
        ``build()`` returns report_batch's arguments as a dict. The tensors
        it reads must not change in place afterwards."""
        self._queue(build)

    def report_packed(self, item):
        """Queues a batch record that packs itself on the sender thread:
        ``type(item).pack(items, images, base)`` gets the queued items of
        that type in order, whether to include each one's images, and the
        data part's size so far, and returns ``(texts, buffers)``: each
        item's record as JSON text whose ``"bin"`` ranges point into the
        buffers appended at ``base`` (see ``ohemlab.torch``), which lets
        many batches be converted at once."""
        self._queue(item)

    def _queue(self, item):
        now = time.monotonic()
        arm = getattr(item, "arm", None)
        with self._lock:
            if arm is not None and not self._all_images:
                # Only the newest queued batch of an arm sends its images:
                # an older one still queued lets go of its pixels now
                # (training's memory is reused instead of growing).
                prev = self._newest.get(arm)
                if prev is not None and hasattr(prev, "drop_images"):
                    prev.drop_images()
                self._newest[arm] = item
            if self._last_queued is not None:
                # A pause (or evaluation) between two batches counts as
                # slow steps only while it lasts.
                self._period += 0.2 * (min(now - self._last_queued, 2 * self._slow) - self._period)
            self._last_queued = now
            self._batches.append(item)
            while len(self._batches) > self._max_pending:
                self._batches.pop(0)
                self.dropped += 1
            if len(self._batches) in (1, self._max_per_request):
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
        c = self._control
        if c.get("paused") and not self._closed:
            c = self._wait_unpaused(timeout)
        cap = c.get("speed_cap") or 0
        if cap > 0:
            gap = 1.0 / cap - (time.monotonic() - self._last_step)
            if gap > 0:
                time.sleep(gap)
            self._last_step = time.monotonic()
        return c

    def _wait_unpaused(self, timeout):
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
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cv.wait(left if left is not None else 1.0)
            return self._control

    def flush(self, timeout=30.0):
        """Waits until every queued record was sent (or timeout)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            self._flush_now = True
            self._cv.notify_all()
            while (self._batches or self._evals or self._busy) and time.monotonic() < deadline:
                self._cv.wait(0.05)
            self._flush_now = False
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
        pc = self._poll_conn
        if pc is not None and pc.sock is not None:
            try:  # wakes the poll thread from its long-poll
                pc.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._poller.join(5)

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
            with self._cv:
                while not (self._closed or self._batches or self._evals
                           or (self._hello is not None and not self._hello_sent)):
                    self._cv.wait()
                # Gather what arrives within interval of the last request
                # into the next one: fewer, larger requests cost the
                # training thread less. Slow training (whose server-side
                # step, stamped on control changes, should not lag), paused
                # runs, flush, close, evals and the hello wait less or not.
                while not (self._closed or self._flush_now or self._evals
                           or self._control.get("paused") or not self._hello_sent):
                    every = self._interval if self._period < self._slow else self._min_interval
                    gap = every - (time.monotonic() - last)
                    if gap <= 0 or len(self._batches) >= self._max_per_request:
                        break
                    self._cv.wait(gap)
                if self._closed and not (self._batches or self._evals):
                    return
                if self._hello is None and (self._batches or self._evals):
                    self._cv.wait(0.1)  # records wait for the hello
                    continue
                batches = self._batches[:self._max_per_request]
                del self._batches[:len(batches)]
                self._newest.clear()  # the sender owns the items it took
                room = self._max_per_request - len(batches)
                evals = self._evals[:max(room, 1)]
                del self._evals[:len(evals)]
                hello = self._hello if not self._hello_sent else None
                run = self._control.get("run", 0)
                self._busy = True
            last = time.monotonic()
            body = {"session": self.session, "rank": self.rank, "world": self.world, "run": run}
            if hello is not None:
                body["hello"] = hello
            texts, parts = self._pack(batches)
            if batches and not texts and not (evals or hello is not None):
                with self._cv:  # nothing left to send
                    self._busy = False
                    self._cv.notify_all()
                continue
            if evals:
                body["evals"] = evals
            data, ctype = _frame(body, texts, parts, self._binary)
            try:
                reply = self._post(data, ctype)
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
                self.sender_cpu = time.thread_time()
                self._busy = False
                self.sent += len(texts)
                if hello is not None:
                    self._hello_sent = True
                    self._control = reply  # a new job (or server): its state whatever the revision
                else:
                    self._take(reply)
                self._cv.notify_all()

    def _take(self, reply):
        """Keeps reply as the control state unless it is older than the one
        held (the sender's and the poll's replies cross); _cv is held."""
        c = self._control
        if reply.get("run", 0) != c.get("run", 0) or reply.get("revision", 0) >= c.get("revision", 0):
            self._control = reply

    def _poll(self):
        """The control thread: long-polls the server (a request with "wait"
        and no records, on a connection of its own) so that a change on the
        page reaches training at once, whatever the sender's interval."""
        backoff = 0.1
        while True:
            with self._cv:
                while not self._closed and not (self._hello_sent and self._control):
                    self._cv.wait()
                if self._closed:
                    return
                c = self._control
            body = {"session": self.session, "rank": self.rank, "world": self.world,
                    "run": c.get("run", 0), "wait": c.get("revision", 0)}
            try:
                reply = self._post(_compact.encode(body).encode(), poll=True)
                backoff = 0.1
            except (ClientError, OSError, http.client.HTTPException, ValueError):
                # The sender reports the problem and says hello again.
                if self._poll_conn is not None:
                    self._poll_conn.close()
                    self._poll_conn = None
                with self._cv:
                    if not self._closed:
                        self._cv.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            with self._cv:
                self._take(reply)
                self._cv.notify_all()

    def _pack(self, items):
        """Packs queued batch items into record texts and the data part's
        buffers (binary format), consecutive items of one packing type
        together; a broken item is dropped. Images go with the newest
        batch of each arm only (unless all_images): a page shows one batch
        per arm at a time, and the pixels are most of a request's bytes."""
        keep = [True] * len(items)
        if not self._all_images:
            seen = set()
            for i in range(len(items) - 1, -1, -1):
                it = items[i]
                arm = it.get("arm") if isinstance(it, dict) else getattr(it, "arm", None)
                if arm is None:
                    continue
                keep[i] = arm not in seen
                seen.add(arm)
        texts, parts, size = [], [], 0
        i = 0
        while i < len(items):
            kind = type(items[i])
            pack = getattr(kind, "pack", None) if not (callable(items[i]) or isinstance(items[i], dict)) else None
            j = i + 1
            if pack is not None:
                while j < len(items) and type(items[j]) is kind:
                    j += 1
            try:
                if pack is not None:
                    t, bufs = pack(items[i:j], keep[i:j], size)
                else:
                    t, bufs = _pack_record(items[i], keep[i], size)
            except Exception as e:  # a bad record must not stop the sender
                self.refused += j - i
                self.last_error = e
                self._warn("cannot encode a batch record: %r" % e)
            else:
                texts.extend(t)
                parts.extend(bufs)
                size += sum(b.nbytes if hasattr(b, "nbytes") else len(b) for b in bufs)
            i = j
        return texts, parts

    def _post(self, data, ctype="application/json", poll=False):
        """Posts one request on the sender's connection (or the control
        poll's) and returns the reply."""
        conn = self._poll_conn if poll else self._conn
        if conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self._timeout)
            if poll:
                self._poll_conn = conn
            else:
                self._conn = conn
        headers = {"Content-Type": ctype}
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        conn.request("POST", self._path, body=data, headers=headers)
        resp = conn.getresponse()
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


# The per-example arrays of a batch record and how the binary format
# (docs/protocol.md) stores them: float32, int32 or one byte per value,
# little-endian.
_F32 = ("losses", "true_prob", "weights")
_I32 = ("labels", "preds", "ids", "selected")
_U8 = ("flipped", "images")

# MAGIC starts a binary request: then the JSON part's length (4 bytes,
# little-endian), the JSON part, and the data part its records point into.
MAGIC = b"OHEMLAB1"

_BIG = sys.byteorder == "big"
_INT = "i" if array.array("i").itemsize == 4 else "l"


def _record(arm, step, losses, labels, preds, ids, selected, weights=None, true_prob=None,
            flipped=None, images=None, image_shape=None, m=None, strategy=None, step_seconds=None,
            version=None):
    rec = {"arm": arm, "step": step, "losses": losses, "labels": labels, "preds": preds,
           "ids": ids, "selected": selected}
    for k, v in (("weights", weights), ("true_prob", true_prob), ("flipped", flipped),
                 ("m", m), ("strategy", strategy), ("step_seconds", step_seconds), ("version", version)):
        if v is not None:
            rec[k] = v
    if images is not None:
        rec["images"] = (list(image_shape), images)
    return rec


def _raw(v, code):
    """The little-endian bytes of an array (tensor, numpy array or list)
    as float32 (code "f"), int32 ("i") or uint8 ("B")."""
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    if hasattr(v, "astype"):
        return v.astype({"f": "<f4", "i": "<i4", "B": "u1"}[code], copy=False).tobytes()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    a = array.array(_INT if code == "i" else code, [int(bool(x)) for x in v] if code == "B" else v)
    if _BIG:
        a.byteswap()
    return a.tobytes()


def _pack_record(rec, images=True, base=0):
    """One report_batch / report_lazy record as ([JSON text], buffers)
    with its arrays in the buffers, appended to the data part at base."""
    if callable(rec):
        rec = _record(**rec())
    fields, refs, bufs = {}, {}, []
    for k, v in rec.items():
        if k in _F32 or k in _I32 or k == "flipped" or k == "images":
            if k == "images":
                if not images:
                    continue
                shape, v = v
                fields[k] = {"shape": list(shape)}
            b = _raw(v, "f" if k in _F32 else "i" if k in _I32 else "B")
            refs[k] = [base, len(b)]
            base += len(b)
            bufs.append(b)
        else:
            fields[k] = v.tolist() if hasattr(v, "tolist") else v
    fields["bin"] = refs
    return [_compact.encode(fields)], bufs


def _frame(body, texts, parts, binary):
    """The request body and its Content-Type: the binary format, or plain
    JSON (floats as base64 of float32, the rest as JSON arrays) with the
    records' "bin" ranges read back from the data part."""
    if not binary:
        data = memoryview(b"".join(parts))
        recs = []
        for t in texts:
            rec = json.loads(t)
            for name, (off, n) in rec.pop("bin").items():
                b = bytes(data[off:off + n])
                if name in _F32:
                    rec[name] = base64.b64encode(b).decode()
                elif name in _I32:
                    a = array.array(_INT)
                    a.frombytes(b)
                    if _BIG:
                        a.byteswap()
                    rec[name] = a.tolist()
                elif name == "flipped":
                    rec[name] = [x == 1 for x in b]
                else:
                    rec[name] = dict(rec[name], data=base64.b64encode(b).decode())
            recs.append(rec)
        if recs:
            body["batches"] = recs
        return _compact.encode(body).encode(), "application/json"
    js = _compact.encode(body)
    if texts:
        js = js[:-1] + ',"batches":[' + ",".join(texts) + "]}"
    js = js.encode()
    return b"".join([MAGIC, len(js).to_bytes(4, "little"), js] + parts), "application/octet-stream"


_compact = json.JSONEncoder(separators=(",", ":"))
