// OHEM Lab client: connection, state, controls and the draw loop. The wire
// protocol is described in docs/protocol.md.
"use strict";

(function () {
  const O = window.OHEM;
  const $ = O.$, $$ = O.$$;

  // moveTokenOutOfURL takes the control token out of the address bar and
  // the history as soon as the page loads, so that it is not left on a
  // projector or in the browser's history. The server has already given
  // the page the token as an HttpOnly SameSite=Strict cookie (when it was
  // right), which the page's requests and its websocket carry.
  function moveTokenOutOfURL() {
    const u = new URL(location.href);
    if (!u.searchParams.has("token")) return;
    u.searchParams.delete("token");
    history.replaceState(history.state, "", u.pathname + u.search + u.hash);
  }
  moveTokenOutOfURL();

  // MAX_ROWS bounds the per-arm curve points kept in the browser; beyond it
  // every other point is dropped (older half first).
  const MAX_ROWS = 20000;

  // S is the client's whole state. Curves are columnar per arm so that
  // uPlot can take them as they are.
  const S = (O.S = {
    state: null, // trainer.State as sent in hello or embedded in the page
    role: document.body.dataset.role || "viewer",
    token: "", // the control token travels in a cookie (moveTokenOutOfURL)
    ws: null,
    connected: false,
    lastSeq: 0, // highest hub seq seen in rows
    runStartSeq: 0,
    arms: [], // per arm: {step:[], backprop:[], wall:[], loss:[], sel:[], q:[[],[],[],[],[]], kept:[], flip:[], lastStep}
    evals: [], // per arm: array of eval summaries
    configs: [], // config changes: {step, version, changed, reset}
    batch: [], // last batch frame per arm
    lastEval: [], // last full eval frame per arm (confusion, surface)
    frames: 0, // batch frames received
    pending: null, // rows received while a history fetch is in flight
    replay: null, // saved run being viewed read-only
    dirty: new Set(),
    xaxis: "step",
    nextID: 1,
    requests: new Map(), // id -> {field, arm}
  });
  O.S = S;

  function newArm() {
    return { step: [], backprop: [], wall: [], loss: [], sel: [], q: [[], [], [], [], []], kept: [], flip: [], fwd: [], flops: [], scans: [], lastStep: 0 };
  }

  // clearSeries forgets every curve (a reset).
  O.clearSeries = function () {
    S.arms = [];
    S.evals = [];
    S.configs = [];
    S.batch = [];
    S.lastEval = [];
    O.markDirty("all");
  };

  function arm(i) {
    while (S.arms.length <= i) S.arms.push(newArm());
    while (S.evals.length <= i) S.evals.push([]);
    return S.arms[i];
  }

  // addRow appends one summary row unless its step is already present.
  O.addRow = function (r) {
    if (!r || typeof r.step !== "number") return;
    if (r.seq) {
      if (r.seq < S.runStartSeq) return;
      if (r.seq > S.lastSeq) S.lastSeq = r.seq;
    }
    const a = arm(r.arm || 0);
    if (r.step <= a.lastStep) return;
    a.lastStep = r.step;
    a.step.push(r.step);
    a.backprop.push(r.examples_backprop);
    a.wall.push(r.wall);
    a.loss.push(r.batch_loss);
    a.sel.push(r.sel_loss);
    const q = r.q || [];
    for (let k = 0; k < 5; k++) a.q[k].push(q[k]);
    a.kept.push(r.kept_share);
    a.flip.push(r.sel_flipped_share);
    a.fwd.push(r.examples_forwarded || 0);
    a.flops.push(r.compute_flops || 0);
    if (r.scanned) a.scans.push(r.step); // an offline pool scan before this step
    if (a.step.length > MAX_ROWS) thin(a);
  };

  function thin(a) {
    const keep = (arr) => arr.filter((_, i) => i % 2 === 1 || i >= arr.length / 2);
    for (const k of ["step", "backprop", "wall", "loss", "sel", "kept", "flip", "fwd", "flops"]) a[k] = keep(a[k]);
    a.q = a.q.map(keep);
  }

  // addEval records an evaluation summary for the curves.
  O.addEval = function (e) {
    if (!e || typeof e.step !== "number") return;
    if (e.seq && e.seq < S.runStartSeq) return;
    arm(e.arm || 0);
    const list = S.evals[e.arm || 0];
    if (list.length && list[list.length - 1].step >= e.step) return;
    list.push({
      step: e.step,
      backprop: e.examples_backprop,
      fwd: e.examples_forwarded || 0,
      flops: e.compute_flops || 0,
      wall: e.wall_seconds,
      test_loss: e.test_loss,
      acc: e.test_accuracy,
      train_loss: e.train_loss,
    });
  };

  // addConfig records a config change for the curve markers.
  O.addConfig = function (c) {
    if (!c || c.seq && c.seq < S.runStartSeq) return;
    if (S.configs.some((x) => x.version === c.version)) return;
    S.configs.push({ step: c.step, version: c.version, changed: c.changed || [], reset: !!c.reset });
  };

  O.markDirty = function (what) {
    if (what === "all") ["hist", "examples", "quant", "curves", "noise", "ab"].forEach((k) => S.dirty.add(k));
    else S.dirty.add(what);
    schedule();
  };

  // The draw loop: at most one draw per animation frame, only of the
  // regions whose data changed.
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  }
  // The uPlot charts redraw at most every SLOW_MS: they change little per
  // batch and cost the most; the batch views redraw on every frame.
  const SLOW = new Set(["quant", "curves", "noise", "ab"]);
  const SLOW_MS = 250;
  let lastSlow = 0, slowTimer = null;
  function draw() {
    scheduled = false;
    const d = S.dirty;
    S.dirty = new Set();
    const now = performance.now();
    if (now - lastSlow < SLOW_MS) {
      for (const k of SLOW) {
        if (d.has(k)) {
          d.delete(k);
          S.dirty.add(k);
        }
      }
      if (S.dirty.size && !slowTimer) {
        slowTimer = setTimeout(() => {
          slowTimer = null;
          schedule();
        }, SLOW_MS - (now - lastSlow));
      }
    } else if ([...SLOW].some((k) => d.has(k))) {
      lastSlow = now;
    }
    try {
      if (d.has("hist")) O.drawHistogram();
      if (d.has("examples")) O.drawExamples();
      if (d.has("quant")) O.drawQuantiles();
      if (d.has("curves")) O.drawCurves();
      if (d.has("noise")) O.drawNoise();
      if (d.has("ab")) O.drawAB();
    } catch (err) {
      // A drawing bug must not stop the live page; keep it visible.
      console.warn("draw:", err);
    }
  }

  // ---- connection ----

  function wsURL() {
    const u = new URL("/ws", location.href);
    u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (S.token) u.searchParams.set("token", S.token);
    return u.toString();
  }

  let backoff = 500;
  function connect() {
    const ws = new WebSocket(wsURL());
    S.ws = ws;
    setConn("wait", "connecting…");
    ws.onopen = () => {
      backoff = 500;
      S.connected = true;
      setConn("ok", "live");
    };
    ws.onmessage = (ev) => {
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      handle(m);
    };
    ws.onclose = () => {
      S.connected = false;
      setConn("down", "reconnecting…");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 8000);
    };
  }

  function setConn(cls, text) {
    const el = $("#conn");
    if (!el) return;
    el.className = "conn conn-" + cls;
    el.textContent = text;
  }

  // send sends a control message, adding the control token when there is
  // one. It returns the request id.
  O.send = function (msg, field, armIdx) {
    const id = "r" + S.nextID++;
    msg.id = id;
    if (S.token) msg.token = S.token;
    S.requests.set(id, { field: field || msg.type, arm: armIdx });
    if (S.requests.size > 200) S.requests.delete(S.requests.keys().next().value);
    if (S.ws && S.ws.readyState === WebSocket.OPEN) {
      S.ws.send(JSON.stringify(msg));
    } else {
      showError(field || msg.type, armIdx, "not connected to the server");
    }
    return id;
  };

  function handle(m) {
    // A saved run on screen is read-only: live frames wait until "Back to
    // live" reconnects and replays the history.
    if (S.replay && m.type !== "error" && m.type !== "ack") return;
    switch (m.type) {
      case "hello":
        onHello(m);
        break;
      case "batch":
        onBatch(m);
        break;
      case "eval":
        O.addEval(m);
        S.lastEval[m.arm || 0] = m;
        O.markDirty("curves");
        O.markDirty("ab");
        if (m.surface) O.markDirty("examples");
        break;
      case "config":
        onConfig(m);
        break;
      case "status":
        if (S.state) {
          S.state.status = m.state;
          S.state.reason = m.reason;
        }
        refreshFragment("status");
        updateButtons();
        break;
      case "error":
        onError(m);
        break;
      case "ack":
        onAck(m);
        break;
    }
  }

  function onHello(m) {
    if (m.role) S.role = m.role;
    applyRole();
    const prevGen = S.state && S.state.dataset ? S.state.dataset.generation : null;
    S.state = m.state || S.state;
    if (prevGen !== null && S.state && S.state.dataset && S.state.dataset.generation !== prevGen) {
      refreshFragment("controls");
    }
    O.clearSeries();
    S.lastSeq = 0;
    backfill(0);
    maybeApplySharedConfig();
    refreshFragment("status");
    updateButtons();
    O.refreshDataMap && O.refreshDataMap();
  }

  function onBatch(m) {
    const a = m.arm || 0;
    S.batch[a] = m;
    S.frames++;
    if (S.pending) S.pending.push(...(m.rows || []));
    else (m.rows || []).forEach(O.addRow);
    if (m.gap) backfill(S.lastSeq);
    const st = $("#status-step");
    if (st && a === 0) st.textContent = m.step;
    O.markDirty("hist");
    O.markDirty("examples");
    O.markDirty("quant");
    O.markDirty("curves");
    O.markDirty("noise");
  }

  function onConfig(m) {
    if (S.state) {
      S.state.config = m.config;
      S.state.version = m.version;
    }
    if (m.reset) {
      O.clearSeries();
      S.runStartSeq = m.seq || 0;
      refreshFragment("controls");
      refreshFragment("hardest");
      // The run store writes a new run as soon as it sees the reset.
      setTimeout(() => refreshFragment("runs"), 300);
      // The dataset (and its generation) may have changed: refetch state.
      O.getJSON("/api/state").then((st) => {
        S.state = st;
        O.markDirty("all");
        O.refreshDataMap && O.refreshDataMap();
      }).catch(() => {});
    }
    O.addConfig(m);
    writeControls(m.config);
    updateShareURL();
    refreshFragment("status");
    O.markDirty("curves");
  }

  // backfill fetches the summary rows, evals and configs after seq and
  // merges them with whatever arrived meanwhile.
  let backfilling = false;
  async function backfill(since) {
    if (backfilling) return;
    backfilling = true;
    S.pending = [];
    try {
      const h = await O.getJSON("/api/history?since=" + encodeURIComponent(since));
      if (h) {
        if (h.run_start_seq > S.runStartSeq) {
          if (since > 0 && h.run_start_seq > since) O.clearSeries();
          S.runStartSeq = h.run_start_seq;
        }
        (h.configs || []).forEach(O.addConfig);
        (h.rows || []).forEach(O.addRow);
        (h.evals || []).forEach(O.addEval);
      }
    } catch (e) {
      console.warn("history:", e.message);
    } finally {
      const p = S.pending || [];
      S.pending = null;
      p.forEach(O.addRow);
      backfilling = false;
      O.markDirty("all");
    }
  }

  // ---- errors and acks next to the controls ----

  function errSlot(field, armIdx) {
    const cands = $$('[data-err-for="' + CSS.escape(field) + '"]');
    if (armIdx !== undefined && armIdx !== null) {
      const hit = cands.find((el) => el.dataset.arm === String(armIdx));
      if (hit) return hit;
    }
    return cands.find((el) => el.dataset.arm === undefined) || cands[0] || $('[data-err-for="reset"]');
  }

  function showError(field, armIdx, msg) {
    const el = errSlot(field, armIdx);
    if (el) {
      el.textContent = msg;
      el.classList.add("on");
    }
    const input = inputFor(field, armIdx);
    if (input) input.setAttribute("aria-invalid", "true");
  }

  function clearError(field, armIdx) {
    const el = errSlot(field, armIdx);
    if (el) {
      el.textContent = "";
      el.classList.remove("on");
    }
    const input = inputFor(field, armIdx);
    if (input) input.removeAttribute("aria-invalid");
  }

  function inputFor(field, armIdx) {
    const sel = '[data-field="' + CSS.escape(field) + '"]' + (armIdx !== undefined && armIdx !== null && field !== "k" ? '[data-arm="' + armIdx + '"]' : "");
    return $(sel + ":is(input,select)");
  }

  function onError(m) {
    const req = m.id ? S.requests.get(m.id) : null;
    if (req) {
      S.requests.delete(m.id);
      showError(req.field, req.arm, m.error);
    } else {
      showError("reset", null, m.error);
    }
  }

  function onAck(m) {
    const req = m.id ? S.requests.get(m.id) : null;
    if (!req) return;
    S.requests.delete(m.id);
    clearError(req.field, req.arm);
  }

  // ---- controls ----

  const INT_FIELDS = new Set(["k", "m", "min_kept", "min_neg", "seed", "refresh", "pool", "hard"]);

  function readValue(el) {
    if (el.tagName === "SELECT") return el.value;
    if (el.value.trim() === "") return null;
    const v = Number(el.value);
    if (!isFinite(v)) return el.value;
    return INT_FIELDS.has(el.dataset.field) ? Math.round(v) : v;
  }

  document.addEventListener("change", (ev) => {
    const el = ev.target;
    if (!el.dataset || !el.dataset.field || !el.closest("#controls")) return;
    if (S.replay) return;
    const field = el.dataset.field;
    const v = readValue(el);
    if (v === null) return;
    const armIdx = el.dataset.arm !== undefined ? Number(el.dataset.arm) : undefined;
    if (el.dataset.reset) {
      sendReset((cfg) => {
        if (field === "dataset") cfg.data = { name: v, label_noise: cfg.data.label_noise };
        if (field === "dataset") cfg.model = {};
        if (field === "label_noise") cfg.data.label_noise = v;
        if (field === "seed") cfg.seed = v;
      }, field);
      return;
    }
    if (field === "speed_cap") {
      O.send({ type: "speed", steps_per_s: v }, field);
      return;
    }
    const msg = { type: "set", [field]: v };
    if (armIdx !== undefined) msg.arm = armIdx;
    O.send(msg, field, armIdx);
    if (field === "m" || field === "k") updateRatios();
  });

  document.addEventListener("input", (ev) => {
    const f = ev.target.dataset && ev.target.dataset.field;
    if (f === "m" || f === "k") updateRatios();
  });

  function updateRatios() {
    const k = Number(($("#ctl-k") || {}).value);
    $$("output.ratio").forEach((o) => {
      const m = Number(($('input[data-field="m"][data-arm="' + o.dataset.arm + '"]') || {}).value);
      o.textContent = k > 0 && m > 0 ? "= " + (m / k).toFixed(3).replace(/0+$/, "").replace(/\.$/, "") + " of K" : "";
    });
  }

  function sendReset(mutate, field) {
    if (!S.state || !S.state.config) return;
    const cfg = JSON.parse(JSON.stringify(S.state.config));
    mutate(cfg);
    O.send({ type: "reset", config: cfg }, field || "reset");
  }

  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-action]");
    if (!b || !b.closest("#controls") || S.replay) return;
    const act = b.dataset.action;
    switch (act) {
      case "pause":
      case "resume":
      case "step":
      case "eval":
        O.send({ type: act }, "reset");
        break;
      case "reset":
        O.send({ type: "reset" }, "reset");
        break;
      case "ab-on":
        sendReset((cfg) => {
          const a0 = cfg.arms[0];
          const b = JSON.parse(JSON.stringify(a0));
          b.name = "random";
          b.select = { strategy: "random", m: a0.select.m || Math.max(1, Math.round(cfg.k / 4)) };
          if (!a0.name) a0.name = a0.select.strategy;
          cfg.arms = [a0, b];
        });
        break;
      case "ab-off":
        sendReset((cfg) => {
          cfg.arms = [cfg.arms[0]];
        });
        break;
    }
  });

  // writeControls copies a config into the inputs (not the focused one).
  function writeControls(cfg) {
    if (!cfg) return;
    const set = (el, v) => {
      if (!el || el === document.activeElement || v === undefined || v === null) return;
      el.value = String(v);
    };
    set($("#ctl-k"), cfg.k);
    set($("#ctl-speed"), cfg.speed_cap || 0);
    set($("#ctl-seed"), cfg.seed);
    if (cfg.data) {
      set($("#ctl-noise"), cfg.data.label_noise || 0);
      set($("#ctl-dataset"), cfg.data.name);
    }
    (cfg.arms || []).forEach((a, i) => {
      const q = (f) => $('[data-arm="' + i + '"][data-field="' + f + '"]:is(input,select)');
      const sp = a.select || {};
      set(q("strategy"), sp.strategy);
      set(q("m"), sp.m);
      set(q("lr"), a.lr);
      set(q("exec"), a.exec || "twopass");
      set(q("focal_gamma"), a.focal_gamma || 0);
      if (sp.thresh) set(q("thresh"), sp.thresh);
      if (sp.min_kept) set(q("min_kept"), sp.min_kept);
      if (sp.neg_pos) set(q("neg_pos"), sp.neg_pos);
      if (sp.min_neg) set(q("min_neg"), sp.min_neg);
      if (sp.beta) set(q("beta"), sp.beta);
      if (sp.refresh) set(q("refresh"), sp.refresh);
      if (sp.pool) set(q("pool"), sp.pool);
      if (sp.hard) set(q("hard"), sp.hard);
    });
    updateRatios();
  }

  function applyRole() {
    const viewer = S.role !== "control";
    document.body.classList.toggle("role-viewer", viewer);
    document.body.classList.toggle("role-control", !viewer);
    const badge = $("#role");
    if (badge) badge.textContent = viewer ? "viewer" : "control";
    $$("#controls input, #controls select, #controls button, #controls fieldset").forEach((el) => {
      el.disabled = viewer;
    });
  }

  function updateButtons() {
    const st = S.state && S.state.status;
    const play = $("#btn-play"), pause = $("#btn-pause"), step = $("#btn-step");
    if (play) play.classList.toggle("primary", st !== "running");
    if (pause) pause.classList.toggle("primary", st === "running");
    if (step) step.classList.toggle("dim", st === "running");
  }

  // refreshFragment asks htmx to refetch one server-rendered region.
  const fragTimers = {};
  function refreshFragment(name) {
    if (!window.htmx || S.replay && name !== "runs") return;
    clearTimeout(fragTimers[name]);
    fragTimers[name] = setTimeout(() => htmx.trigger(document.body, "ohem:" + name), 50);
  }
  O.refreshFragment = refreshFragment;

  // Regions swapped in by htmx keep the page's role and the live values.
  document.body.addEventListener("htmx:afterSwap", (ev) => {
    const id = ev.detail && ev.detail.target && ev.detail.target.id;
    if (id === "controls") {
      applyRole();
      if (S.state) writeControls(S.state.config);
    }
  });

  // ---- shareable link ----

  // ---- shareable links ----
  // The server encodes the running experiment as a readable query string
  // (GET /api/share, e.g. "ds=mnist&noise=0.1&b.s=random") and parses the
  // same form when the page is opened with it (trainer.ParseQuery).

  // pageParams are the page's own URL parameters, kept as they are.
  const pageParams = ["token", "large", "run"];
  let shareQuery = null;
  let shareTimer = 0;

  function pageURL(query, keepToken) {
    const cur = new URLSearchParams(location.search);
    const out = new URLSearchParams(query || "");
    pageParams.forEach((k) => {
      if (k === "token" && !keepToken) return;
      if (k === "run") return;
      if (cur.has(k)) out.set(k, cur.get(k));
    });
    const qs = out.toString();
    return location.pathname + (qs ? "?" + qs : "");
  }

  function updateShareURL() {
    if (!S.state || !S.state.config || S.replay) return;
    clearTimeout(shareTimer);
    shareTimer = setTimeout(() => {
      O.getJSON("/api/share").then((r) => {
        shareQuery = r.shareable ? r.query : null;
        if (!S.replay && sharedApplied) history.replaceState(null, "", pageURL(shareQuery, true));
      }).catch(() => {});
    }, 150);
  }

  let sharedApplied = false;
  function maybeApplySharedConfig() {
    if (sharedApplied || !S.state) return updateShareURL();
    const bootEl = $("#boot");
    const raw = bootEl ? bootEl.dataset.shared : "";
    const bad = bootEl ? bootEl.dataset.shareError : "";
    if (bad) {
      sharedApplied = true;
      showError("reset", null, bad);
      return updateShareURL();
    }
    if (!raw) {
      sharedApplied = true;
      return updateShareURL();
    }
    if (S.role !== "control") return; // viewers follow the presenter
    sharedApplied = true;
    let cfg;
    try {
      cfg = JSON.parse(raw);
    } catch (e) {
      showError("reset", null, "the link's config is not readable: " + e.message);
      return;
    }
    const cur = JSON.stringify(shareConfig(S.state.config));
    if (JSON.stringify(shareConfig(cfg)) !== cur) O.send({ type: "reset", config: cfg }, "reset");
    updateShareURL();
  }
  O.shareQuery = () => shareQuery;

  // shareConfig is the part of a config a link carries (never a server path).
  function shareConfig(cfg) {
    const c = JSON.parse(JSON.stringify(cfg));
    if (c.data) delete c.data.dir;
    return c;
  }

  function shareLink() {
    return location.origin + pageURL(shareQuery, false);
  }

  $("#btn-share") && $("#btn-share").addEventListener("click", async () => {
    const link = shareLink();
    const b = $("#btn-share");
    try {
      await navigator.clipboard.writeText(link);
      b.textContent = "Link copied";
    } catch (e) {
      window.prompt("Copy this link:", link);
    }
    setTimeout(() => (b.textContent = "Share link"), 1500);
  });

  // ---- large type and x-axis ----

  const large = $("#btn-large");
  function setLarge(on) {
    document.body.classList.toggle("large", on);
    large.setAttribute("aria-pressed", on ? "true" : "false");
    try {
      localStorage.setItem("ohem.large", on ? "1" : "");
    } catch (e) {}
    O.resizePlots && O.resizePlots();
    O.markDirty("all");
  }
  large && large.addEventListener("click", () => setLarge(!document.body.classList.contains("large")));
  try {
    const q = new URLSearchParams(location.search).get("large");
    if (q === "1" || (q === null && localStorage.getItem("ohem.large"))) setLarge(true);
  } catch (e) {}

  $$('input[name="xaxis"]').forEach((r) =>
    r.addEventListener("change", () => {
      S.xaxis = r.value;
      O.markDirty("curves");
    })
  );
  $("#ab-target") && $("#ab-target").addEventListener("input", () => O.markDirty("ab"));

  window.addEventListener("resize", O.throttle(() => {
    O.resizePlots && O.resizePlots();
    O.markDirty("all");
  }, 150));

  // ---- CSV upload ----

  // The upload's outcome survives the swap of the controls that the reset
  // it causes brings.
  let uploadNote = null;
  function showUploadNote(text, good) {
    uploadNote = { text, good };
    const msg = $("#upload-msg");
    if (!msg) return;
    msg.textContent = text;
    msg.classList.toggle("good", !!good);
    msg.classList.toggle("on", !good);
  }
  document.body.addEventListener("htmx:afterSwap", (ev) => {
    const id = ev.detail && ev.detail.target && ev.detail.target.id;
    if (id === "controls" && uploadNote) showUploadNote(uploadNote.text, uploadNote.good);
  });

  // Delegated: the form lives in the controls, which htmx swaps on reset.
  document.addEventListener("submit", async (ev) => {
    if (!ev.target || ev.target.id !== "upload") return;
    ev.preventDefault();
    const f = $("#upload-file").files[0];
    if (!f) {
      showUploadNote("choose a CSV file first", false);
      return;
    }
    const fd = new FormData();
    fd.append("file", f, f.name);
    showUploadNote("uploading " + f.name + "…", true);
    try {
      const headers = S.token ? { "X-Control-Token": S.token } : {};
      const r = await O.getJSON("/api/upload", { method: "POST", body: fd, headers });
      showUploadNote(r && r.rows ? "Loaded " + f.name + ": " + r.rows + " rows, " + r.features + " features, " + r.classes + " classes. Training restarts on it." : "Loaded " + f.name + ". Training restarts on it.", true);
    } catch (e) {
      showUploadNote(e.message, false);
    }
  });

  // ---- boot ----

  function boot() {
    const bootEl = $("#boot");
    if (bootEl && bootEl.dataset.state) {
      try {
        S.state = JSON.parse(bootEl.dataset.state);
      } catch (e) {
        S.state = null;
      }
    }
    applyRole();
    updateRatios();
    O.initCharts && O.initCharts();
    O.initViews && O.initViews();
    O.markDirty("all");
    connect();
  }
  boot();
})();
