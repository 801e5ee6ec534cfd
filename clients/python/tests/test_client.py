"""Tests of ohemlab.Client against a fake OHEM Lab server (stdlib only)."""

import array
import base64
import json
import socket
import os
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ohemlab  # noqa: E402

HELLO = {"dataset": "toy", "classes": 2, "k": 4, "arms": [{"strategy": "topk", "m": 2}]}


def decode_body(raw):
    """A request body as the server reads it: JSON, or the binary format
    (docs/protocol.md) with every record's "bin" arrays put in place as
    JSON values (floats as float32, images' data as base64)."""
    if not raw.startswith(b"OHEMLAB1"):
        body = json.loads(raw)
        for rec in body.get("batches", []):
            for name in ("losses", "true_prob", "weights"):
                if isinstance(rec.get(name), str):  # base64 of float32
                    a = array.array("f")
                    a.frombytes(base64.b64decode(rec[name]))
                    rec[name] = a.tolist()
        return body
    n = int.from_bytes(raw[8:12], "little")
    body = json.loads(raw[12:12 + n])
    data = raw[12 + n:]
    for rec in body.get("batches", []):
        for name, (off, ln) in rec.pop("bin", {}).items():
            b = data[off:off + ln]
            assert len(b) == ln, "bin.%s beyond the data part" % name
            if name == "images":
                rec["images"]["data"] = base64.b64encode(b).decode()
            elif name == "flipped":
                rec[name] = [x == 1 for x in b]
            else:
                a = array.array("f" if name in ("losses", "true_prob", "weights") else "i")
                a.frombytes(b)
                rec[name] = a.tolist()
    return body


class FakeServer:
    """Answers POST /api/ingest with a control state the test sets; holds
    requests with "wait" until the revision changes."""

    def __init__(self, port=0):
        self.requests = []
        self.connections = set()
        self.socks = set()
        self.cv = threading.Condition()
        self.state = {"ok": True, "revision": 1, "run": 1, "version": 1, "paused": False, "step": False,
                      "eval": False, "speed_cap": 0, "arms": [{"strategy": "topk", "m": 2, "ratio": 0.5}]}
        self.delay = 0.0
        self.refuse = 0
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = decode_body(self.rfile.read(int(self.headers["Content-Length"])))
                if fake.refuse:
                    with fake.cv:
                        fake.requests.append((body, dict(self.headers)))
                    out = json.dumps({"error": "feeding training needs the control token"}).encode()
                    self.send_response(fake.refuse)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                    return
                with fake.cv:
                    fake.requests.append((body, dict(self.headers)))
                    if "wait" not in body:
                        fake.connections.add(self.client_address)
                    fake.socks.add(self.connection)
                    fake.cv.notify_all()
                    if "wait" in body:
                        fake.cv.wait_for(lambda: fake.state["revision"] != body["wait"], timeout=5)
                    out = json.dumps(fake.state).encode()
                time.sleep(fake.delay)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.port

    def set(self, **kw):
        with self.cv:
            self.state.update(kw)
            self.state["revision"] += 1
            self.cv.notify_all()

    def wait_for(self, cond, timeout=10):
        with self.cv:
            ok = self.cv.wait_for(lambda: cond(self.requests), timeout=timeout)
        if not ok:
            raise AssertionError("timed out; requests: %r" % self.requests)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        for s in list(self.socks):  # keep-alive connections outlive the listener
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def batch(client, step, arm=0):
    client.report_batch(arm, step, [0.1, 0.9, 0.5, 0.2], [0, 1, 0, 1], [0, 0, 0, 1], [0, 1, 2, 3], [1, 2])


def batches_sent(reqs):
    return [b for body, _ in reqs for b in body.get("batches", [])]


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.srv = FakeServer()
        self.addCleanup(self.srv.stop)

    def client(self, **kw):
        c = ohemlab.Client(self.srv.url, hello=HELLO, log=None, **kw)
        self.addCleanup(c.close, False)
        return c

    def test_hello_then_records_with_token_on_one_connection(self):
        c = self.client(token="secret-token-123456")
        for s in range(1, 6):
            batch(c, s)
        c.report_eval(0, 5, 0.3, 0.9, per_class=[0.8, 1.0])
        self.assertTrue(c.flush(10))
        reqs = self.srv.requests
        self.assertEqual(reqs[0][0]["hello"], HELLO)
        self.assertEqual(reqs[0][1]["Authorization"], "Bearer secret-token-123456")
        self.assertEqual([b["step"] for b in batches_sent(reqs)], [1, 2, 3, 4, 5])
        self.assertEqual(sum(len(b.get("evals", [])) for b, _ in reqs), 1)
        self.assertEqual(len(self.srv.connections), 1, "one keep-alive connection for the records")
        self.assertEqual(c.control["arms"][0]["m"], 2)
        self.assertEqual(c.sent, 5)

    def test_lazy_records_are_built_on_the_sender_thread(self):
        c = self.client()
        built = []

        def build():
            built.append(threading.current_thread().name)
            return dict(arm=0, step=1, losses=[0.5, 1.0], labels=[0, 1], preds=[0, 0], ids=[7, 8], selected=[1])

        c.report_lazy(build)
        c.report_lazy(lambda: 1 / 0)  # a broken record is dropped, the sender goes on
        batch(c, 2)
        self.assertTrue(c.flush(10))
        self.assertEqual(built, ["ohemlab-client"])
        self.assertEqual([b["step"] for b in batches_sent(self.srv.requests)], [1, 2])
        self.assertEqual(c.refused, 1)

    def test_images_go_with_the_newest_batch_of_each_arm(self):
        c = self.client(interval=30, min_interval=30)
        self.srv.wait_for(lambda reqs: len(reqs) >= 1)  # the hello; the batches then wait for flush
        for s in range(1, 4):
            for arm in (0, 1):
                c.report_batch(arm, s, [0.1, 0.9, 0.5, 0.2], [0, 1, 0, 1], [0, 0, 0, 1], [0, 1, 2, 3], [1, 2],
                               images=bytes(range(8)), image_shape=[2, 2])
        self.assertTrue(c.flush(10))
        got = batches_sent(self.srv.requests)
        self.assertEqual([(b["arm"], b["step"]) for b in got], [(a, s) for s in (1, 2, 3) for a in (0, 1)])
        self.assertEqual([b["step"] for b in got if "images" in b], [3, 3])
        self.assertEqual(got[-1]["images"], {"shape": [2, 2], "data": "AAECAwQFBgc="})
        self.assertEqual(got[-1]["losses"], [0.10000000149011612, 0.8999999761581421, 0.5, 0.20000000298023224])
        self.assertEqual(got[-1]["selected"], [1, 2])

    def test_plain_json_requests(self):
        c = self.client(binary=False)
        batch(c, 1)
        self.assertTrue(c.flush(10))
        body, headers = [r for r in self.srv.requests if "batches" in r[0]][-1]
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(body["batches"][0]["labels"], [0, 1, 0, 1])

    def test_control_change_reaches_the_client(self):
        c = self.client()
        batch(c, 1)
        c.flush()
        self.srv.set(arms=[{"strategy": "random", "m": 3, "ratio": 0.75}])
        batch(c, 2)
        c.flush()
        self.assertEqual(c.arm(0)["m"], 3)
        self.assertEqual(c.arm(0)["strategy"], "random")

    def test_control_change_arrives_without_a_report(self):
        c = self.client()
        batch(c, 1)
        c.flush()
        self.srv.wait_for(lambda reqs: any("wait" in b for b, _ in reqs))  # the control thread's long-poll
        self.srv.set(arms=[{"strategy": "topk", "m": 1, "ratio": 0.25}])
        deadline = time.monotonic() + 5
        while c.arm(0)["m"] != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(c.arm(0)["m"], 1, "the long-poll brought the change")

    def test_pause_blocks_until_resume_and_step_lets_one_through(self):
        c = self.client()
        batch(c, 1)
        c.flush()
        self.srv.set(paused=True)
        batch(c, 2)  # its reply says paused
        c.flush()
        self.assertTrue(c.control["paused"])
        done = threading.Event()

        def train():
            c.before_step()
            done.set()

        threading.Thread(target=train, daemon=True).start()
        self.srv.wait_for(lambda reqs: any("wait" in b for b, _ in reqs))
        self.assertFalse(done.is_set(), "before_step returned while paused")
        self.srv.set(step=True)  # a single step
        self.assertTrue(done.wait(5), "the single step did not go through")
        done.clear()
        threading.Thread(target=train, daemon=True).start()
        time.sleep(0.2)
        self.assertFalse(done.is_set(), "a second step went through on one step request")
        self.srv.set(paused=False, step=False)
        self.assertTrue(done.wait(5), "resume did not release the training thread")

    def test_speed_cap(self):
        c = self.client()
        batch(c, 1)
        c.flush()
        self.srv.set(speed_cap=20)
        batch(c, 2)
        c.flush()
        t0 = time.monotonic()
        for _ in range(5):
            c.before_step()
        self.assertGreaterEqual(time.monotonic() - t0, 4 / 20 - 0.01)

    def test_latest_wins_when_the_server_is_slow(self):
        self.srv.delay = 0.2
        c = self.client(max_pending=8, max_per_request=4)
        for s in range(1, 101):
            batch(c, s)
        self.srv.delay = 0
        c.flush(20)
        steps = [b["step"] for b in batches_sent(self.srv.requests)]
        self.assertGreater(c.dropped, 0)
        self.assertEqual(steps[-1], 100, "the newest batch is sent")
        self.assertEqual(steps, sorted(steps))

    def test_a_refusing_server_is_not_hammered(self):
        self.srv.refuse = 403
        c = self.client()
        deadline = time.monotonic() + 10
        while c.last_error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        n = len(self.srv.requests)
        time.sleep(0.3)
        self.assertLess(len(self.srv.requests) - n, 10, "retries without back-off")
        self.assertIsInstance(c.last_error, ohemlab.ClientError)
        self.assertEqual(c.last_error.status, 403)

    def test_reconnects_and_says_hello_again(self):
        c = self.client()
        batch(c, 1)
        c.flush()
        port = self.srv.port
        self.srv.stop()
        batch(c, 2)
        deadline = time.monotonic() + 10
        while c.reconnects == 0 and time.monotonic() < deadline:  # fails and backs off
            time.sleep(0.01)
        self.srv = FakeServer(port)
        self.addCleanup(self.srv.stop)
        batch(c, 3)
        self.assertTrue(c.flush(20))
        bodies = [b for b, _ in self.srv.requests]
        self.assertIn("hello", bodies[0])
        self.assertEqual([b["step"] for b in batches_sent(self.srv.requests)][-1], 3)
        self.assertGreater(c.reconnects, 0)


if __name__ == "__main__":
    unittest.main()
