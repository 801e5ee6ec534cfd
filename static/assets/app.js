// OHEM Lab client: the entry module. It connects the websocket, loads the
// history, routes frames into the state (state.js), wires the page's
// buttons and keys, and starts the draw loop. The wire protocol is
// described in docs/protocol.md.

import { $, $$, getJSON, throttle } from "./util.js";
import { S, addRow, addEval, addConfig, clearSeries, markDirty, markDirtyNow, setDrawers, refreshFragment } from "./state.js";
import { loadSchema } from "./fields.js";
import { drawHistogram, drawQuantiles, drawCurves, drawNoise, initCharts, resizePlots } from "./charts.js";
import { drawExamples, drawAB, drawDataMap, refreshDataMap, initViews } from "./views.js";
import { send, onError, onAck, showError, writeControls, applyRole, updateButtons, updateRatios, initControls } from "./controls.js";

// moveTokenOutOfURL takes the control token out of the address bar and the
// history as soon as the page loads, so that it is not left on a projector
// or in the browser's history. The server has already given the page the
// token as an HttpOnly SameSite=Strict cookie (when it was right), which
// the page's requests and its websocket carry.
function moveTokenOutOfURL() {
  const u = new URL(location.href);
  if (!u.searchParams.has("token")) return;
  u.searchParams.delete("token");
  history.replaceState(history.state, "", u.pathname + u.search + u.hash);
}
moveTokenOutOfURL();
S.token = ""; // the control token travels in a cookie

// ---- connection ----

// BATCH_MS is the least time between two batch frames the page asks the
// server for: it draws the histogram every 500 ms (state.js), so more
// frames would be parsed and dropped; their rows are not lost.
const BATCH_MS = 500;

function wsURL() {
  const u = new URL("/ws", location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  u.searchParams.set("batch_ms", String(BATCH_MS));
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
    if (S.ws !== ws) return;
    S.connected = false;
    setConn("down", "reconnecting…");
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 8000);
  };
}

function setConn(cls, text) {
  const e = $("#conn");
  if (!e) return;
  e.className = "conn conn-" + cls;
  e.textContent = text;
}

// handle routes one frame. While the history is being fetched, trainer
// frames wait in S.loading and are replayed after it, so that nothing that
// arrives before or after the fetch is lost or counted twice.
function handle(m) {
  // A saved run on screen is read-only: live frames wait until "Back to
  // live" reconnects and replays the history.
  if (S.replay && m.type !== "error" && m.type !== "ack") return;
  if (S.loading && (m.type === "batch" || m.type === "eval" || m.type === "config")) {
    S.loading.push(m);
    return;
  }
  switch (m.type) {
    case "hello":
      onHello(m);
      break;
    case "batch":
      onBatch(m);
      break;
    case "eval":
      addEval(m);
      S.lastEval[m.arm || 0] = m;
      markDirty("curves");
      markDirty("ab");
      if (m.surface) markDirty("examples");
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
  if (prevGen !== null && S.state && S.state.dataset && S.state.dataset.generation !== prevGen) refreshFragment("controls");
  clearSeries();
  S.lastSeq = 0;
  loadHistory(0);
  maybeApplySharedConfig();
  refreshFragment("status");
  updateButtons();
  if (S.state) writeControls(S.state.config);
  refreshDataMap();
}

function onBatch(m) {
  const a = m.arm || 0;
  const first = !S.batch[a];
  S.batch[a] = m;
  S.frames++;
  (m.rows || []).forEach(addRow);
  if (m.gap) loadHistory(S.lastSeq);
  // The step in the status banner is written with the histogram (at its
  // pace), not on every frame.
  if (first) {
    markDirtyNow("hist", "examples", "quant", "curves", "noise");
    return;
  }
  markDirty("hist");
  markDirty("examples");
  markDirty("quant");
  markDirty("curves");
  markDirty("noise");
}

function onConfig(m) {
  const prev = S.state ? S.state.config : null;
  if (S.state) {
    S.state.config = m.config;
    S.state.version = m.version;
  }
  if (m.reset) {
    clearSeries();
    S.runStartSeq = m.seq || 0;
    refreshFragment("controls");
    refreshFragment("hardest");
    // The run store writes a new run as soon as it sees the reset.
    setTimeout(() => refreshFragment("runs"), 300);
    refetchState();
  }
  addConfig(m, m.reset ? null : prev);
  writeControls(m.config);
  updateShareURL();
  refreshFragment("status");
  markDirty("curves");
  markDirty("quant");
  markDirty("noise");
}

// refetchState reloads the state after a reset: the dataset (and its
// generation) may have changed.
function refetchState() {
  S.genStale = true;
  getJSON("/api/state").then((st) => {
    S.state = st;
    S.genStale = false;
    markDirty("all");
    refreshDataMap();
  }).catch(() => {
    S.genStale = false;
  });
}

// loadHistory fetches the rows, evaluations and config changes after seq
// since. Trainer frames that arrive meanwhile are held and replayed after
// it: those the history already holds (seq <= its seq) only update the
// batch views. A newer call supersedes an older one.
let historyGen = 0;
async function loadHistory(since) {
  const gen = ++historyGen;
  if (!S.loading) S.loading = [];
  let h = null;
  try {
    h = await getJSON("/api/history?since=" + encodeURIComponent(since));
  } catch (e) {
    console.warn("history:", e.message);
  }
  if (gen !== historyGen) return; // a newer load owns S.loading
  const held = S.loading || [];
  S.loading = null;
  if (h) {
    if (h.run_start_seq > S.runStartSeq) {
      if (since > 0 && h.run_start_seq > since) clearSeries();
      S.runStartSeq = h.run_start_seq;
    }
    let prev = S.configs.length ? S.configs[S.configs.length - 1].config : null;
    for (const c of h.configs || []) {
      addConfig(c, c.reset ? null : prev);
      if (c.config) prev = c.config;
    }
    (h.rows || []).forEach(addRow);
    (h.evals || []).forEach(addEval);
    // A change the history holds but hello did not know (it came between
    // the two) is the config in force now.
    const newest = (h.configs || []).reduce((a, c) => (!a || c.version > a.version ? c : a), null);
    if (newest && S.state && newest.version > (S.state.version || 0)) {
      S.state.config = newest.config;
      S.state.version = newest.version;
      writeControls(newest.config);
      refreshFragment("controls");
      refreshFragment("status");
      updateShareURL();
      if (newest.reset) refetchState();
    }
    S.historySeq = h.seq;
    S.historyLoads++;
  }
  const upTo = h ? h.seq : 0;
  for (const m of held) {
    if (m.type !== "batch" && m.seq && m.seq <= upTo) continue;
    handle(m);
  }
  markDirty("all");
}

// sendReset restarts training with the current config changed by mutate.
function sendReset(mutate, field, input) {
  if (!S.state || !S.state.config) return;
  const cfg = JSON.parse(JSON.stringify(S.state.config));
  mutate(cfg);
  send({ type: "reset", config: cfg }, field || "reset", undefined, input);
}

// ---- buttons ----

function act(action, viaKey) {
  if (S.replay || S.role !== "control") return;
  switch (action) {
    case "pause":
    case "resume":
    case "step":
    case "eval":
      send({ type: action }, "reset");
      break;
    case "reset":
      // A key press is easy to make by accident: ask first.
      if (!viaKey || window.confirm("Restart training with fresh weights? The curves start over (this run stays in Saved runs).")) send({ type: "reset" }, "reset");
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
}

document.addEventListener("click", (ev) => {
  const b = ev.target.closest("[data-action]");
  if (!b || !b.closest("#controls")) return;
  act(b.dataset.action);
});

// ---- keys: Space play/pause, S step, R reset, ? help ----

function typing(ev) {
  const t = ev.target;
  return t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName) && t.type !== "radio" && t.type !== "range");
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev)) return;
  const help = $("#keys-help");
  if (ev.key === "?") {
    if (help) help.hidden = !help.hidden;
    ev.preventDefault();
    return;
  }
  if (ev.key === "Escape" && help) help.hidden = true;
  if (ev.key === " ") {
    ev.preventDefault();
    act(S.state && S.state.status === "running" ? "pause" : "resume");
  } else if (ev.key === "s" || ev.key === "S") {
    if (S.state && S.state.status === "paused") act("step");
    else showError("reset", null, "S steps one batch while paused: press Space to pause first");
  } else if (ev.key === "r" || ev.key === "R") {
    act("reset", true);
  }
});

// ---- shareable links ----
// The server encodes the running experiment as a readable query string
// (GET /api/share, e.g. "ds=mnist&noise=0.1&b.s=random") and parses the
// same form when the page is opened with it (trainer.ParseQuery).

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
    getJSON("/api/share").then((r) => {
      shareQuery = r.shareable ? r.query : null;
      const asking = $("#link-confirm") && !$("#link-confirm").hidden;
      if (!S.replay && sharedApplied && !asking) history.replaceState(null, "", pageURL(shareQuery, true));
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
  if (JSON.stringify(shareConfig(cfg)) !== cur) askToStartLinked(cfg);
  else updateShareURL();
}

// askToStartLinked shows the experiment a shared link carries and asks
// "Start this experiment?": opening a link (which any web site can make the
// browser do) never resets training by itself; only the user's click on
// Start sends the reset. "Keep the current run" drops the link's
// parameters from the address bar.
function askToStartLinked(cfg) {
  const box = $("#link-confirm");
  if (!box) return;
  const q = new URLSearchParams(location.search);
  pageParams.forEach((k) => q.delete(k));
  $("#link-confirm-what").textContent = decodeURIComponent(q.toString()).replace(/&/g, " ");
  box.hidden = false;
  const close = (start) => {
    box.hidden = true;
    if (start) send({ type: "reset", config: cfg }, "reset");
    updateShareURL();
  };
  $("#btn-link-start").addEventListener("click", () => close(true), { once: true });
  $("#btn-link-keep").addEventListener("click", () => close(false), { once: true });
}

// shareConfig is the part of a config a link carries (never a server path).
function shareConfig(cfg) {
  const c = JSON.parse(JSON.stringify(cfg));
  if (c.data) delete c.data.dir;
  return c;
}

function shareLink() {
  return location.origin + pageURL(shareQuery, false);
}

const shareBtn = $("#btn-share");
shareBtn && shareBtn.addEventListener("click", async () => {
  const link = shareLink();
  try {
    await navigator.clipboard.writeText(link);
    shareBtn.textContent = "Link copied";
  } catch (e) {
    window.prompt("Copy this link:", link);
  }
  setTimeout(() => (shareBtn.textContent = "Share link"), 1500);
});

// ---- large type (projector mode), x-axis, panel notes ----

function redrawAll() {
  resizePlots();
  markDirty("all");
}

const largeBtn = $("#btn-large");
function setLarge(on) {
  document.body.classList.toggle("large", on);
  if (largeBtn) largeBtn.setAttribute("aria-pressed", on ? "true" : "false");
  try {
    localStorage.setItem("ohem.large", on ? "1" : "");
  } catch (e) {}
  markDirty("all");
}
largeBtn && largeBtn.addEventListener("click", () => setLarge(!document.body.classList.contains("large")));
try {
  const q = new URLSearchParams(location.search).get("large");
  if (q === "1" || (q === null && localStorage.getItem("ohem.large"))) setLarge(true);
} catch (e) {}

const notesBtn = $("#btn-notes");
function setNotes(on) {
  document.body.classList.toggle("no-notes", !on);
  if (notesBtn) notesBtn.setAttribute("aria-pressed", on ? "true" : "false");
  try {
    localStorage.setItem("ohem.nonotes", on ? "" : "1");
  } catch (e) {}
}
notesBtn && notesBtn.addEventListener("click", () => setNotes(document.body.classList.contains("no-notes")));
try {
  if (localStorage.getItem("ohem.nonotes")) setNotes(false);
} catch (e) {}
const keysBtn = $("#btn-keys");
keysBtn && keysBtn.addEventListener("click", () => {
  const help = $("#keys-help");
  if (help) help.hidden = !help.hidden;
});

$$('input[name="xaxis"]').forEach((r) =>
  r.addEventListener("change", () => {
    S.xaxis = r.value;
    markDirty("curves");
  })
);
const abTarget = $("#ab-target");
abTarget && abTarget.addEventListener("input", () => markDirty("ab"));

// Canvas regions (histogram, surface, data map) and the gallery redraw
// when their box changes size (drawing reads the sizes a ResizeObserver
// reported, util.boxSize); the uPlot charts watch their own boxes.
const boxes = new ResizeObserver(throttle(() => markDirty("all"), 100));
["#hist", "#examples", "#datamap", "#gallery", ".canvas-box"].forEach((sel) => $$(sel).forEach((p) => boxes.observe(p)));

// ---- CSV upload ----

// The upload's outcome survives the swap of the controls that the reset it
// causes brings.
let uploadNote = null;
function showUploadNote(text, good) {
  uploadNote = { text, good };
  const msg = $("#upload-msg");
  if (!msg) return;
  msg.textContent = text;
  msg.classList.toggle("good", !!good);
  msg.classList.toggle("on", !good);
}

// Regions swapped in by htmx keep the page's role and the live values.
document.body.addEventListener("htmx:afterSwap", (ev) => {
  const id = ev.detail && ev.detail.target && ev.detail.target.id;
  if (id === "controls") {
    applyRole();
    updateButtons();
    if (S.replay) writeControls(S.replay.runs[0].config, true);
    else if (S.state) writeControls(S.state.config);
    if (uploadNote) showUploadNote(uploadNote.text, uploadNote.good);
  }
  if (id === "runs") applyRole();
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
    const r = await getJSON("/api/upload", { method: "POST", body: fd, headers });
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
  setDrawers({ hist: drawHistogram, examples: drawExamples, quant: drawQuantiles, curves: drawCurves, noise: drawNoise, ab: drawAB, datamap: drawDataMap });
  applyRole();
  updateButtons();
  updateRatios();
  initControls(sendReset);
  initCharts(redrawAll);
  initViews();
  markDirty("all");
  loadSchema().then(() => markDirty("all"));
  connect();
}
boot();
