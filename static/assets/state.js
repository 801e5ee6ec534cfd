// OHEM Lab client state. This module owns everything the page knows about
// the run: the state from the server, the curves, evaluations and config
// changes, the last batch per arm and the saved runs on screen. Other
// modules read S and change it only through the functions here.

import { changeLabels } from "./fields.js";

// MAX_ROWS bounds the per-arm curve points kept in the browser; beyond it
// every other point of the older half is dropped.
const MAX_ROWS = 20000;

// S is the client's whole state. Curves are columnar per arm so that uPlot
// can take them as they are.
export const S = {
  state: null, // trainer.State as sent in hello or embedded in the page
  role: document.body.dataset.role || "viewer",
  token: "",
  ws: null,
  connected: false,
  lastSeq: 0, // highest hub seq of a row seen
  runStartSeq: 0,
  arms: [], // per arm: {step:[], backprop:[], wall:[], loss:[], sel:[], q:[[]x5], kept:[], flip:[], lastStep}
  evals: [], // per arm: evaluation summaries, by step
  configs: [], // config changes: {seq, step, version, changed, reset, config, prev}
  batch: [], // last batch frame per arm
  lastEval: [], // last full eval frame per arm (confusion, surface)
  frames: 0, // batch frames received
  loading: null, // frames held back while the history is fetched
  historyLoads: 0, // histories applied (for tests)
  replay: null, // saved runs on screen, read-only
  genStale: false, // a reset happened and the dataset's generation is not known yet
  bands: null, // replicates on screen: per arm the min-max test accuracy over the seeds
  dirty: new Set(),
  xaxis: "step",
  nextID: 1,
  requests: new Map(), // id -> {field, arm, el, prior}
};

// Tests and the browser console read the state through window.OHEM.
window.OHEM = { S };

function newArm() {
  return { step: [], backprop: [], wall: [], loss: [], sel: [], q: [[], [], [], [], []], kept: [], flip: [], fwd: [], flops: [], scans: [], lastStep: 0 };
}

// clearSeries forgets every curve (a reset, another run on screen).
export function clearSeries() {
  S.arms = [];
  S.evals = [];
  S.configs = [];
  S.batch = [];
  S.lastEval = [];
  markDirty("all");
}

function arm(i) {
  while (S.arms.length <= i) S.arms.push(newArm());
  while (S.evals.length <= i) S.evals.push([]);
  return S.arms[i];
}

// addRow appends one summary row unless its step is already present.
export function addRow(r) {
  if (!r || typeof r.step !== "number") return;
  if (r.seq) {
    if (r.seq < S.runStartSeq) return;
    if (r.seq > S.lastSeq) S.lastSeq = r.seq;
  }
  const a = arm(r.arm || 0);
  if (r.step <= a.lastStep) return;
  a.lastStep = r.step;
  a.step.push(r.step);
  a.backprop.push(r.examples_backpropagated);
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
}

function thin(a) {
  const keep = (arr) => arr.filter((_, i) => i % 2 === 1 || i >= arr.length / 2);
  for (const k of ["step", "backprop", "wall", "loss", "sel", "kept", "flip", "fwd", "flops"]) a[k] = keep(a[k]);
  a.q = a.q.map(keep);
}

// addEval records an evaluation summary, in step order, once.
export function addEval(e) {
  if (!e || typeof e.step !== "number") return;
  if (e.seq && e.seq < S.runStartSeq) return;
  arm(e.arm || 0);
  const list = S.evals[e.arm || 0];
  const item = {
    seq: e.seq || 0,
    step: e.step,
    backprop: e.examples_backpropagated,
    fwd: e.examples_forwarded || 0,
    flops: e.compute_flops || 0,
    wall: e.wall_seconds,
    test_loss: e.test_loss,
    acc: e.test_accuracy,
    train_loss: e.train_loss,
  };
  let i = list.length;
  while (i > 0 && list[i - 1].step > e.step) i--;
  if (i > 0 && list[i - 1].step === e.step) return; // already there
  list.splice(i, 0, item);
}

// addConfig records a config change for the markers. prev is the config in
// force before it when the caller knows it.
export function addConfig(c, prev) {
  if (!c || (c.seq && c.seq < S.runStartSeq)) return;
  if (S.configs.some((x) => x.version === c.version)) return;
  const item = { seq: c.seq || 0, step: c.step, version: c.version, changed: c.changed || [], reset: !!c.reset, config: c.config || null, prev: prev || null };
  let i = S.configs.length;
  while (i > 0 && S.configs[i - 1].version > item.version) i--;
  S.configs.splice(i, 0, item);
}

// markers lists the config changes inside the run as {step, labels}, each
// label saying what changed from what to what ("M 32→4").
export function markers() {
  const out = [];
  let prev = null;
  for (const c of S.configs) {
    const before = c.prev || prev;
    if (!c.reset && c.step > 0) {
      const labels = changeLabels(before, c.config, c.changed);
      out.push({ step: c.step, version: c.version, labels: labels.length ? labels : ["config v" + c.version] });
    }
    if (c.config) prev = c.config;
  }
  return out;
}

// ---- the draw loop ----
//
// The page draws on a clock a person can follow, not at the rate frames
// arrive: a frame only marks its regions dirty, and a region is drawn at
// the next animation frame at which it is due. The histogram is due every
// 500 ms, the charts and the A/B table every second (every other
// histogram frame), the gallery (a request per thumbnail) every three
// seconds (the 2-D surface in its place every second), the label-noise
// chart every five while label noise is off (its curve is then 0). A
// region that comes due within SLACK ms of a frame being drawn anyway is
// drawn with it, so the regions share frames (two a second, one of them
// with the charts) instead of each asking for its own. Nothing asks for an
// animation frame while nothing is due: the browser's rendering work
// (style, layout, paint, compositing), which costs more than the drawing
// itself, runs only when something changed on screen.

let drawers = {};
const ALL = ["hist", "examples", "quant", "curves", "noise", "ab", "datamap"];

// INTERVAL is the shortest time (ms) between two draws of a region on
// screen. OFFSCREEN is the interval of a region scrolled out of sight (it
// is drawn at once when it comes back; the A/B table is cheap and keeps
// its pace).
const INTERVAL = { hist: 500, examples: 3000, quant: 1000, curves: 1000, noise: 1000, ab: 1000, datamap: 0 };
const NOISE_OFF = 5000;
const OFFSCREEN = 3000;
const SLACK = 120;
const PANEL = { hist: "#hist", examples: "#examples", quant: "#quant", curves: "#curves", noise: "#noise", ab: "#ab", datamap: "#datamap" };
const lastDraw = {};
const onScreen = {};

// S.draws counts the draws of each region and S.drawMs the milliseconds
// they took; S.renders counts the animation frames the loop asked for;
// S.minGap is the shortest time (ms) seen between two draws of a region
// that were paced (not a resize, reset or history load, which draw at
// once). Tests and the CPU benchmark read them.
S.draws = {};
S.drawMs = {};
S.renders = 0;
S.minGap = {};

// setDrawers names the function that draws each region and starts watching
// which regions are on screen.
export function setDrawers(d) {
  drawers = d;
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const k = e.target.dataset.region;
      const was = onScreen[k];
      onScreen[k] = e.isIntersecting;
      if (e.isIntersecting && !was && S.dirty.has(k)) {
        lastDraw[k] = -Infinity;
        schedule();
      }
    }
  });
  for (const k of ALL) {
    const el = document.querySelector(PANEL[k]);
    onScreen[k] = true;
    if (el) {
      el.dataset.region = k;
      io.observe(el);
    }
  }
}

// isOnScreen reports whether a region's panel is (partly) in the viewport.
export function isOnScreen(k) {
  return onScreen[k] !== false;
}

// markDirty asks for a region (or "all") to be drawn when it is next due.
export function markDirty(what) {
  if (what === "all") {
    ALL.forEach((k) => {
      S.dirty.add(k);
      lastDraw[k] = -Infinity; // a change of everything (reset, resize, history) draws at once
    });
  } else S.dirty.add(what);
  schedule();
}

// markDirtyNow asks for regions to be drawn at the next animation frame
// rather than when next due: the first batch of a run replaces empty
// panels, and waiting out the pace (the histogram may have been drawn
// empty a moment before) would only delay the first picture.
export function markDirtyNow(...ks) {
  for (const k of ks) {
    S.dirty.add(k);
    lastDraw[k] = -Infinity;
  }
  schedule();
}

// due is when region k may be drawn next (ms, performance.now's clock).
function due(k) {
  let gap = INTERVAL[k] || 0;
  const ds = (S.state && S.state.dataset) || {};
  if (k === "noise" && !(ds.flipped_frac > 0)) gap = NOISE_OFF;
  if (k === "examples" && ds.dim === 2) gap = INTERVAL.quant; // the 2-D surface: a canvas, no thumbnails
  if (onScreen[k] === false && k !== "ab") gap = Math.max(gap, OFFSCREEN);
  return (lastDraw[k] === undefined ? -Infinity : lastDraw[k]) + gap;
}

// nextDue is the earliest time a dirty region may be drawn, or Infinity.
function nextDue() {
  let t = Infinity;
  for (const k of S.dirty) if (drawers[k]) t = Math.min(t, due(k));
  return t;
}

let framePending = false;
let timer = null;
let timerAt = Infinity;

function schedule() {
  if (framePending) return; // the frame will look at every dirty region
  const at = nextDue();
  if (at === Infinity) return;
  const wait = at - performance.now();
  if (wait <= 0) {
    requestFrame();
    return;
  }
  const when = performance.now() + wait;
  if (timer !== null && timerAt <= when) return;
  clearTimeout(timer);
  timerAt = when;
  timer = setTimeout(() => {
    timer = null;
    timerAt = Infinity;
    requestFrame();
  }, wait);
}

function requestFrame() {
  if (framePending) return;
  framePending = true;
  if (timer !== null) {
    clearTimeout(timer);
    timer = null;
    timerAt = Infinity;
  }
  S.renders++;
  requestAnimationFrame(draw);
}

function draw() {
  framePending = false;
  const now = performance.now();
  for (const k of ALL) {
    if (!S.dirty.has(k) || !drawers[k]) continue;
    if (now < due(k) - SLACK) continue;
    S.dirty.delete(k);
    if (lastDraw[k] > -Infinity) S.minGap[k] = Math.min(S.minGap[k] === undefined ? Infinity : S.minGap[k], now - lastDraw[k]);
    lastDraw[k] = now;
    S.draws[k] = (S.draws[k] || 0) + 1;
    const t0 = performance.now();
    try {
      drawers[k]();
    } catch (err) {
      // A drawing bug must not stop the live page; keep it visible.
      console.warn("draw " + k + ":", err);
    }
    S.drawMs[k] = (S.drawMs[k] || 0) + performance.now() - t0;
  }
  schedule();
}

// ---- server-rendered regions ----

const fragTimers = {};

// refreshFragment asks htmx to refetch one server-rendered region.
export function refreshFragment(name) {
  if (!window.htmx || (S.replay && name !== "runs")) return;
  clearTimeout(fragTimers[name]);
  fragTimers[name] = setTimeout(() => window.htmx.trigger(document.body, "ohem:" + name), 50);
}

// armName is arm i's label in legends: its letter and name.
export function armName(i) {
  const st = S.state;
  const arms = st && st.config && st.config.arms;
  const a = arms && arms[i];
  const n = a ? a.name || (a.select && a.select.strategy) : "";
  return String.fromCharCode(65 + i) + (n ? " " + n : "");
}
