// OHEM Lab client: the batch histogram (canvas) and the uPlot time charts
// (loss quantiles, learning curves, label-noise trap) with their tools:
// values of every series on hover, drag to zoom and double-click to reset,
// log/linear loss axes, EMA smoothing, PNG and CSV download. Every chart
// follows its panel's size (ResizeObserver) and carries the config-change
// markers.

import { $, $$, colors as C, fmt, tick, pct, setText, fitCanvas, boxSize, font, large, niceTicks, download, csvOf, el as mk } from "./util.js";
import { S, markers, armName } from "./state.js";

const plots = {}; // name -> chart record

// ---- this batch's loss histogram ----

const BINS = 32;

// histBins chooses the bins of a batch's losses: linear from 0 when the
// losses span less than two decades, log-spaced otherwise (tiny losses of a
// trained 2-D model would all fall into the first linear bin).
export function histBins(losses) {
  let max = 0, min = Infinity;
  for (const l of losses) {
    if (l > max) max = l;
    if (l > 0 && l < min) min = l;
  }
  max = max > 0 ? max * 1.02 : 1;
  if (!(min < Infinity) || max / min < 100) {
    return { log: false, lo: 0, hi: max, bin: (l) => Math.min(BINS - 1, Math.max(0, Math.floor((l / max) * BINS))), pos: (l) => l / max };
  }
  const lo = Math.log10(min / 1.02), hi = Math.log10(max);
  const pos = (l) => (Math.log10(Math.max(l, min / 1.02)) - lo) / (hi - lo);
  return { log: true, lo: Math.pow(10, lo), hi: max, bin: (l) => Math.min(BINS - 1, Math.max(0, Math.floor(pos(l) * BINS))), pos };
}

export function drawHistogram() {
  const cv = $("#hist-canvas");
  if (!cv) return;
  const { ctx, w, h } = fitCanvas(cv);
  const b = S.batch[0];
  if (!b || !b.losses || !b.losses.length) {
    emptyText(ctx, w, h, S.replay ? "saved runs keep curves, not single batches" : "waiting for the first batch…");
    return;
  }
  const losses = b.losses;
  const kept = new Uint8Array(losses.length);
  (b.selected || []).forEach((i) => (kept[i] = 1));
  const bins = histBins(losses);
  const hk = new Array(BINS).fill(0), hd = new Array(BINS).fill(0);
  let minKept = Infinity, nKept = 0, keptSum = 0, sum = 0;
  losses.forEach((l, i) => {
    const bin = bins.bin(l);
    sum += l;
    if (kept[i]) {
      hk[bin]++;
      nKept++;
      keptSum += l;
      if (l < minKept) minKept = l;
    } else hd[bin]++;
  });
  let top = 1;
  for (let i = 0; i < BINS; i++) top = Math.max(top, hk[i] + hd[i]);
  const yt = niceTicks(0, top, 4).filter((v) => Number.isInteger(v));
  top = Math.max(top, yt[yt.length - 1]);

  const s = large() ? 1.35 : 1;
  const pad = { l: Math.round(34 * s), r: 10, t: Math.round(22 * s), b: Math.round(34 * s) };
  const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  // frame, y ticks
  ctx.strokeStyle = C.grid;
  ctx.lineWidth = 1;
  ctx.fillStyle = C.text;
  ctx.font = font(11);
  ctx.textAlign = "right";
  for (const v of yt) {
    const y = pad.t + ph - (v / top) * ph;
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(pad.l + pw, y);
    ctx.stroke();
    ctx.fillText(String(v), pad.l - 4, y + 4);
  }
  // x ticks: round values (linear) or powers of ten (log)
  ctx.textAlign = "center";
  const xt = bins.log ? decades(bins.lo, bins.hi) : niceTicks(0, bins.hi, Math.max(2, Math.floor(pw / (70 * s))));
  for (const v of xt) {
    const x = pad.l + bins.pos(v) * pw;
    if (x < pad.l - 1 || x > pad.l + pw + 1) continue;
    ctx.fillText(bins.log ? fmt(v, 1) : tick(v), x, pad.t + ph + 13 * s);
  }
  ctx.fillText(bins.log ? "per-example loss (log-spaced bins)" : "per-example loss", pad.l + pw / 2, h - 3);
  const bw = pw / BINS;
  for (let i = 0; i < BINS; i++) {
    const x = pad.l + i * bw + 1;
    const hd1 = (hd[i] / top) * ph, hk1 = (hk[i] / top) * ph;
    ctx.fillStyle = C.dropped;
    ctx.fillRect(x, pad.t + ph - hd1, bw - 2, hd1);
    ctx.fillStyle = C.kept;
    ctx.fillRect(x, pad.t + ph - hd1 - hk1, bw - 2, hk1);
  }
  const cutStrategies = { topk: 1, threshold: 1, hardneg: 1 };
  if (nKept > 0 && nKept < losses.length && cutStrategies[b.strategy]) {
    const x = pad.l + bins.pos(minKept) * pw;
    ctx.strokeStyle = C.cut;
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, pad.t - 2);
    ctx.lineTo(x, pad.t + ph);
    ctx.stroke();
    ctx.setLineDash([]);
    // The label sits above the plot area, never over a bar.
    ctx.font = font(12, "600");
    const label = "cut ℓ=" + fmt(minKept);
    const tw = ctx.measureText(label).width;
    const lx = Math.max(2, Math.min(x + 4, w - pad.r - tw));
    ctx.fillStyle = C.cut;
    ctx.textAlign = "start";
    ctx.fillText(label, lx, pad.t - 7);
  }
  ctx.textAlign = "start";
  const share = typeof b.kept_share === "number" ? b.kept_share : sum > 0 ? keptSum / sum : 0;
  setText("#kept-share", pct(share));
  setText("#kept-count", nKept + " / " + losses.length);
  const ks = $("#kept-count");
  if (ks) ks.dataset.kept = String(nKept);
  cv.dataset.log = bins.log ? "1" : "";
  setText("#status-step", String(b.step));
  setText("#hist-caption", "arm A · step " + b.step + " · " + b.strategy + " · K=" + b.k + " M=" + b.m + " · batch loss " + fmt(b.batch_loss) + ", kept mean " + fmt(b.sel_loss));
}

function decades(lo, hi) {
  const out = [];
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) out.push(Math.pow(10, e));
  return out;
}

export function emptyText(ctx, w, h, t) {
  ctx.fillStyle = "#94a3b8";
  ctx.font = font(14);
  ctx.textAlign = "center";
  ctx.fillText(t, w / 2, h / 2);
  ctx.textAlign = "start";
}

// axes draws a frame with evenly spaced round ticks on both axes and the
// x-axis title (used by the data map).
export function axes(ctx, pad, w, h, x0, x1, y0, y1, xl) {
  const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  ctx.strokeStyle = C.grid;
  ctx.lineWidth = 1;
  ctx.fillStyle = C.text;
  ctx.font = font(11);
  const s = large() ? 1.35 : 1;
  ctx.textAlign = "right";
  for (const v of niceTicks(y0, y1, Math.max(2, Math.floor(ph / (40 * s))))) {
    const y = pad.t + ph - ((v - y0) / (y1 - y0)) * ph;
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(pad.l + pw, y);
    ctx.stroke();
    ctx.fillText(tick(v), pad.l - 4, y + 4);
  }
  ctx.textAlign = "center";
  for (const v of niceTicks(x0, x1, Math.max(2, Math.floor(pw / (70 * s))))) {
    ctx.fillText(tick(v), pad.l + ((v - x0) / (x1 - x0)) * pw, pad.t + ph + 13 * s);
  }
  ctx.fillText(xl, pad.l + pw / 2, h - 3);
  ctx.textAlign = "start";
}

// ---- uPlot charts ----

// Options shared by the tools: the EMA weight of the curves (0 = raw) and
// the loss axes' scale.
export const tools = { smooth: 0.6, logLoss: true };

// chartBody returns (creating once) the chart's tool bar and the box uPlot
// lives in, inside the panel's .plot element.
function chartParts(name, host) {
  let body = host.querySelector(":scope > .chart-body");
  if (body) return { body, bar: host.querySelector(":scope > .chart-bar") };
  host.textContent = "";
  const bar = mk("div", "chart-bar");
  const logBtn = mk("button", "tool tool-log", "log");
  logBtn.type = "button";
  logBtn.title = "Loss axis: logarithmic or linear";
  logBtn.dataset.tool = "log";
  const png = mk("button", "tool", "PNG");
  png.type = "button";
  png.title = "Download this chart as a PNG image";
  png.dataset.tool = "png";
  const csv = mk("button", "tool", "CSV");
  csv.type = "button";
  csv.title = "Download this chart's data as CSV";
  csv.dataset.tool = "csv";
  bar.append(logBtn, png, csv);
  bar.dataset.chart = name;
  body = mk("div", "chart-body");
  host.append(bar, body);
  return { body, bar };
}

// observe redraws a chart whenever its box changes size.
const ro = new ResizeObserver((entries) => {
  for (const e of entries) {
    const p = Object.values(plots).find((x) => x.body === e.target);
    if (p) fit(p);
  }
});

function fit(p) {
  const r = p.body.getBoundingClientRect();
  const width = Math.max(60, Math.floor(r.width));
  const leg = p.u.root.querySelector(".u-legend");
  const lh = leg ? leg.offsetHeight : 0;
  const height = Math.max(60, Math.floor(r.height) - lh - 2);
  if (p.u.width !== width || p.u.height !== height) p.u.setSize({ width, height });
}

// resizePlots fits every chart to its box (after a font change).
export function resizePlots() {
  for (const k in plots) fit(plots[k]);
}

// ensurePlot creates the chart (again when key changes: other series, other
// font) or gives it new data, keeping a zoom the user made.
function ensurePlot(name, host, key, makeOpts, data, meta) {
  let p = plots[name];
  if (p && p.key === key && p.host === host) {
    p.data = data;
    p.meta = meta;
    p.inSetData = true;
    p.u.setData(data, !p.zoomed);
    p.inSetData = false;
    return p.u;
  }
  const { body, bar } = chartParts(name, host);
  if (p) {
    ro.unobserve(p.body);
    p.u.destroy();
  }
  body.textContent = "";
  const opts = makeOpts();
  const r = body.getBoundingClientRect();
  opts.width = Math.max(60, Math.floor(r.width));
  opts.height = Math.max(60, Math.floor(r.height) - 30);
  opts.cursor = Object.assign({ drag: { x: true, y: false, setScale: true } }, opts.cursor || {});
  // Legend swatches: solid series filled, dashed ones (test curves, the
  // data's share) hollow with a dashed border, as they are drawn.
  const strokeOf = (u, i) => {
    const st = u.series[i].stroke;
    return typeof st === "function" ? st(u, i) : st;
  };
  opts.legend = {
    show: true,
    live: true,
    markers: {
      width: 2,
      stroke: strokeOf,
      dash: (u, i) => (u.series[i].dash ? "dashed" : "solid"),
      fill: (u, i) => (u.series[i].dash ? "#fff" : strokeOf(u, i)),
    },
  };
  const rec = { name, host, body, bar, key, data, meta, zoomed: false, u: null, inSetData: false, creating: true };
  opts.hooks = Object.assign({}, opts.hooks);
  // A change of the x scale that is not ours (setData) is the user's
  // drag-zoom: new data then keeps the view until a double-click.
  opts.hooks.setScale = [(u, key) => {
    const xs = u.data && u.data[0];
    if (key !== "x" || !xs || xs.length < 2) return;
    const span = xs[xs.length - 1] - xs[0];
    rec.zoomed = u.scales.x.min > xs[0] + 1e-6 * span || u.scales.x.max < xs[xs.length - 1] - 1e-6 * span;
  }];
  opts.hooks.draw = (opts.hooks.draw || []).concat([markerHook]);
  const u = new uPlot(opts, data, body);
  rec.u = u;
  u.over.addEventListener("dblclick", () => {
    rec.zoomed = false;
    rec.inSetData = true;
    u.setData(rec.data, true);
    rec.inSetData = false;
  });
  plots[name] = rec;
  bar.querySelector(".tool-log").hidden = !meta.loss;
  bar.querySelector(".tool-log").textContent = tools.logLoss ? "log" : "linear";
  body.dataset.series = String(u.series.length - 1);
  ro.observe(body);
  fit(rec);
  rec.creating = false;
  return u;
}

function axis(label, extra) {
  const s = large() ? 1.35 : 1;
  return Object.assign({
    label, font: font(11), labelFont: font(11, "600"), stroke: C.text,
    grid: { stroke: C.grid, width: 1 }, ticks: { stroke: C.grid },
    size: Math.round(46 * s), labelSize: Math.round(20 * s), gap: 4,
  }, extra || {});
}

// axisValues formats tick values with 3 significant digits.
function axisValues(u, vals) {
  return vals.map((v) => (v === null ? "" : tick(v)));
}

function lossAxis(label) {
  return axis(label + (tools.logLoss ? " (log)" : ""), { size: Math.round(50 * (large() ? 1.35 : 1)), values: axisValues });
}

function lossScale() {
  return tools.logLoss ? { distr: 3 } : { distr: 1, range: (u, mn, mx) => [0, mx > 0 ? mx * 1.05 : 1] };
}

// ema smooths ys with TensorBoard's debiased exponential moving average of
// weight w (0 = raw).
export function ema(ys, w) {
  if (!w) return ys.slice();
  const out = new Array(ys.length);
  let last = 0, n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined || !isFinite(y)) {
      out[i] = n ? last / (1 - Math.pow(w, n)) : null;
      continue;
    }
    last = last * w + (1 - w) * y;
    n++;
    out[i] = last / (1 - Math.pow(w, n));
  }
  return out;
}

// pointsFor is how many points a chart in host draws per series: about one
// per pixel of its width (more cannot show, and every point is work for
// the script and the canvas), between 300 and 1500.
function pointsFor(host) {
  return Math.max(300, Math.min(1500, Math.round(boxSize(host).width)));
}

// decimate keeps at most n evenly spaced points of parallel arrays.
function decimate(arrays, n) {
  const len = arrays[0].length;
  if (len <= n) return arrays;
  const step = len / n;
  const idx = [];
  for (let i = 0; i < n; i++) idx.push(Math.floor(i * step));
  idx[n - 1] = len - 1;
  return arrays.map((a) => idx.map((i) => a[i]));
}

// monotone keeps strictly increasing x (uPlot.join needs sorted unique x).
function monotone(xs, ...ys) {
  const ox = [], oy = ys.map(() => []);
  let last = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x === null || x === undefined || !(x > last)) continue;
    last = x;
    ox.push(x);
    ys.forEach((y, k) => oy[k].push(y[i]));
  }
  return [ox, ...oy];
}

function join(tables) {
  if (!tables.some((t) => t[0].length)) return [[]].concat(tables.flatMap((t) => t.slice(1).map(() => [])));
  return uPlot.join(tables);
}

function xOfRows(a) {
  const x = S.xaxis;
  return x === "backprop" ? a.backprop : x === "wall" ? a.wall : x === "compute" ? a.flops : a.step;
}
function xOfEval(e) {
  const x = S.xaxis;
  return x === "backprop" ? e.backprop : x === "wall" ? e.wall : x === "compute" ? e.flops : e.step;
}
function xLabel() {
  const x = S.xaxis;
  return x === "backprop" ? "examples backpropagated" : x === "wall" ? "training wall time (s)" : x === "compute" ? "training compute (FLOPs: forward 2·Σ fan_in·fan_out per example, backward twice that)" : "step";
}

// xForStep maps a step of arm i (default 0) to the chart's x-axis.
function xForStep(step, xaxis, i) {
  if (xaxis === "step") return step;
  const a = S.arms[i || 0];
  if (!a || !a.step.length) return null;
  let lo = 0, hi = a.step.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a.step[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  return xaxis === "backprop" ? a.backprop[lo] : xaxis === "compute" ? a.flops[lo] : a.wall[lo];
}

// scanHook marks every offline pool scan: a short tick in the arm's colour
// at the bottom of the plot, labelled "scan" while they are sparse.
function scanHook(u, xaxis) {
  const ctx = u.ctx;
  const dpr = window.devicePixelRatio || 1;
  S.arms.forEach((a, i) => {
    if (!a.scans || !a.scans.length) return;
    ctx.save();
    ctx.strokeStyle = C.arms[i];
    ctx.fillStyle = C.arms[i];
    ctx.lineWidth = 2 * dpr;
    ctx.font = font(10 * dpr, "600");
    const sparse = a.scans.length <= 12;
    for (const s of a.scans) {
      const xv = xForStep(s, xaxis, i);
      if (xv === null || xv === undefined) continue;
      const x = Math.round(u.valToPos(xv, "x", true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      const y0 = u.bbox.top + u.bbox.height - (i + 1) * 10 * dpr;
      ctx.beginPath();
      ctx.moveTo(x, y0);
      ctx.lineTo(x, y0 + 8 * dpr);
      ctx.stroke();
      if (sparse) ctx.fillText("scan", x + 2 * dpr, y0 + 7 * dpr);
    }
    ctx.restore();
  });
}

// placeMarkers lays out the labels of config-change markers: each label
// starts right of its line and goes to the first row where it overlaps no
// earlier label. Returns [{x, row, text}] and the rows used.
export function placeMarkers(items, width, measure, gap) {
  const rowsEnd = [];
  const out = [];
  for (const it of items) {
    const w = measure(it.text);
    let x = it.x + 3;
    if (x + w > width) x = Math.max(0, it.x - 3 - w); // no room on the right: left of the line
    let row = 0;
    while (row < rowsEnd.length && rowsEnd[row] > x - gap) row++;
    rowsEnd[row] = x + w;
    out.push({ line: it.x, x, row, w, text: it.text });
  }
  return out;
}

// markerHook draws a dashed line and a labelled tag at every config change.
function markerHook(u) {
  const rec = Object.values(plots).find((p) => p.u === u);
  const xaxis = rec && rec.meta ? rec.meta.xaxis || "step" : "step";
  scanHook(u, xaxis);
  const ms = markers();
  u.root.dataset.markers = ms.map((m) => m.labels.join("; ")).join(" | ");
  if (!ms.length) return;
  const ctx = u.ctx;
  const dpr = window.devicePixelRatio || 1;
  ctx.save();
  ctx.font = font(11 * dpr, "600");
  const items = [];
  for (const m of ms) {
    const xv = xForStep(m.step, xaxis);
    if (xv === null || xv === undefined) continue;
    const x = Math.round(u.valToPos(xv, "x", true));
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
    ctx.strokeStyle = "rgba(17,24,39,0.55)";
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.lineWidth = dpr;
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    items.push({ x: x - u.bbox.left, text: m.labels.join(", ") });
  }
  ctx.setLineDash([]);
  ctx.textAlign = "left"; // uPlot leaves its axes' alignment behind
  const lh = Math.round(14 * dpr * (large() ? 1.35 : 1));
  const placed = placeMarkers(items, u.bbox.width, (t) => ctx.measureText(t).width, 6 * dpr);
  for (const p of placed) {
    const x = u.bbox.left + p.x, y = u.bbox.top + 2 * dpr + p.row * (lh + 2 * dpr);
    ctx.fillStyle = "rgba(255,255,255,0.88)";
    ctx.fillRect(x - 2 * dpr, y, p.w + 4 * dpr, lh);
    ctx.fillStyle = "#111827";
    ctx.textBaseline = "top";
    ctx.fillText(p.text, x, y + 2 * dpr);
  }
  ctx.restore();
}

// ---- loss distribution over time ----

// LOGMIN is the least loss a log axis shows: a 2-D set trained without a
// speed cap reaches losses of 1e-30 and below, and a log axis over hundreds
// of decades costs uPlot seconds to lay out its ticks.
const LOGMIN = 1e-4;
function clampLoss(v) {
  return v === null || v === undefined ? null : tools.logLoss ? Math.max(LOGMIN, v) : v;
}
export function drawQuantiles() {
  const host = $("#quant-plot");
  if (!host) return;
  const a = S.arms[0];
  let data;
  if (!a || !a.step.length) data = [[], [], [], [], [], [], []];
  else {
    const d = decimate([a.step, a.q[0], a.q[1], a.q[2], a.q[3], a.q[4], a.sel], pointsFor(host));
    data = [d[0]].concat(d.slice(1).map((col) => col.map(clampLoss)));
  }
  const key = "q:" + large() + ":" + tools.logLoss;
  ensurePlot("quant", host, key, () => ({
    scales: { x: { time: false }, y: lossScale() },
    axes: [axis("step", { values: axisValues }), lossAxis("loss")],
    series: [
      { label: "step", value: (u, v) => (v === null ? "–" : String(v)) },
      { label: "min", stroke: "rgba(37,99,235,0.35)", width: 1, value: val },
      { label: "10%", stroke: "rgba(37,99,235,0.6)", width: 1, value: val },
      { label: "median", stroke: "#1d4ed8", width: 2, value: val },
      { label: "90%", stroke: "rgba(37,99,235,0.6)", width: 1, value: val },
      { label: "max", stroke: "rgba(37,99,235,0.35)", width: 1, value: val },
      { label: "kept mean", stroke: C.kept, width: 2, value: val },
    ],
    bands: [
      { series: [5, 1], fill: "rgba(37,99,235,0.10)" },
      { series: [4, 2], fill: "rgba(37,99,235,0.22)" },
    ],
  }), data, { loss: true, xaxis: "step", title: "Loss distribution over time" });
}

function val(u, v) {
  return v === null || v === undefined ? "–" : fmt(v);
}
function pval(u, v) {
  return v === null || v === undefined ? "–" : pct(v);
}

// ---- learning curves ----

export function drawCurves() {
  const elL = $("#curves-loss"), elA = $("#curves-acc");
  if (!elL || !elA) return;
  const n = Math.max(1, S.arms.length, S.evals.length);
  const lossTables = [], lossSeries = [{ label: xLabel(), value: val }], accTables = [], accSeries = [{ label: xLabel(), value: val }];
  for (let i = 0; i < n; i++) {
    const a = S.arms[i] || { step: [], backprop: [], wall: [], loss: [] };
    const ev = S.evals[i] || [];
    const [rx, ry] = decimate(monotone(xOfRows(a), ema(a.loss, tools.smooth)), pointsFor(elL));
    lossTables.push([rx, ry.map(clampLoss)]);
    lossSeries.push({ label: armName(i) + " train", stroke: C.arms[i], width: 2, spanGaps: true, value: val });
    const t = monotone(ev.map(xOfEval), ev.map((e) => e.test_loss), ev.map((e) => e.acc));
    lossTables.push([t[0], t[1].map(clampLoss)]);
    // Test curves: the arm's colour, darker and dashed with points, so that
    // the legend tells train and test apart.
    lossSeries.push({ label: armName(i) + " test", stroke: C.arms[i], width: 2.5, dash: [7, 4], spanGaps: true, points: { show: true, size: 6, fill: "#fff" }, value: val });
    accTables.push([t[0], t[2]]);
    accSeries.push({ label: armName(i) + " test acc.", stroke: C.arms[i], width: 2, spanGaps: true, points: { show: true, size: 5 }, value: pval });
  }
  // Replicates (saved runs of several seeds): the min and max test accuracy
  // over the seeds as a band around each arm's mean.
  const bands = [];
  (S.bands || []).forEach((b, i) => {
    const evs = S.evals[i] || [];
    const xs = b.step.map((s) => {
      const e = evs.find((x) => x.step === s);
      return e ? xOfEval(e) : null;
    });
    const t = monotone(xs, b.min, b.max);
    accTables.push([t[0], t[1]], [t[0], t[2]]);
    accSeries.push({ label: armName(i) + " min", stroke: C.arms[i], width: 1, dash: [2, 3], spanGaps: true, value: pval },
      { label: armName(i) + " max", stroke: C.arms[i], width: 1, dash: [2, 3], spanGaps: true, value: pval });
    bands.push({ series: [accSeries.length - 1, accSeries.length - 2], fill: C.arms[i] + "33" });
  });
  const names = lossSeries.slice(1).map((x) => x.label).join("|");
  const key = S.xaxis + ":" + n + ":" + large() + ":" + tools.logLoss + ":" + names + ":" + bands.length;
  const meta = { xaxis: S.xaxis };
  ensurePlot("loss", elL, key, () => ({
    scales: { x: { time: false }, y: lossScale() },
    axes: [axis(xLabel(), { values: axisValues }), lossAxis("loss")],
    series: lossSeries,
  }), join(lossTables), Object.assign({ loss: true, title: "Learning curves: loss" }, meta));
  ensurePlot("acc", elA, key, () => ({
    scales: {
      x: { time: false },
      y: { range: (u, mn, mx) => (mn === null ? [0, 1] : [Math.max(0, Math.floor(mn * 10) / 10 - 0.05), Math.min(1, mx + 0.02)]) },
    },
    axes: [axis(xLabel(), { values: axisValues }), axis("test accuracy", { size: Math.round(50 * (large() ? 1.35 : 1)), values: (u, vals) => vals.map((v) => Math.round(100 * v) + "%") })],
    series: accSeries,
    bands,
  }), join(accTables), Object.assign({ title: "Learning curves: test accuracy" }, meta));
}

// ---- label-noise trap ----

export function drawNoise() {
  const host = $("#noise-plot");
  if (!host) return;
  const ds = S.state && S.state.dataset;
  const frac = ds ? ds.flipped_frac || 0 : 0;
  setText("#noise-data", pct(frac));
  const b = S.batch[0];
  setText("#noise-sel", b ? pct(b.sel_flipped_share || 0) : "–");
  const n = Math.max(1, S.arms.length);
  const tables = [], series = [{ label: "step", value: val }];
  for (let i = 0; i < n; i++) {
    const a = S.arms[i] || { step: [], flip: [] };
    const [x, y] = decimate(monotone(a.step, ema(a.flip, Math.max(tools.smooth, 0.5))), pointsFor(host));
    tables.push([x, y]);
    series.push({ label: armName(i) + " kept flipped (avg)", stroke: C.arms[i], width: 2, spanGaps: true, value: pval });
  }
  let data = join(tables);
  data.push(data[0].map(() => frac));
  series.push({ label: "flipped in data", stroke: C.flipped, width: 2, dash: [6, 4], value: pval });
  ensurePlot("noise", host, "n" + n + ":" + large() + ":" + series.map((x) => x.label).join("|"), () => ({
    scales: { x: { time: false }, y: { range: (u, mn, mx) => [0, Math.max(0.25, Math.min(1, (mx || 0) * 1.15))] } },
    axes: [axis("step", { values: axisValues }), axis("share of kept", { size: Math.round(50 * (large() ? 1.35 : 1)), values: (u, vals) => vals.map((v) => Math.round(100 * v) + "%") })],
    series,
  }), data, { xaxis: "step", title: "Label-noise trap" });
  host.classList.toggle("muted", frac === 0);
  const hint = $("#noise-hint");
  if (hint) hint.hidden = frac > 0 || !!S.replay;
}

// ---- tools: log/linear, PNG, CSV ----

// chartPNG draws a chart with its title and legend into one image.
function chartPNG(p) {
  const u = p.u;
  const src = u.ctx.canvas;
  const dpr = window.devicePixelRatio || 1;
  const names = u.series.slice(1).map((s, i) => ({ label: s.label, stroke: typeof s.stroke === "function" ? s.stroke(u, i + 1) : s.stroke }));
  const top = 28 * dpr, legH = 20 * dpr * Math.ceil(names.length / 3);
  const out = document.createElement("canvas");
  out.width = src.width;
  out.height = src.height + top + legH;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = "#0f172a";
  ctx.font = "600 " + 15 * dpr + "px system-ui, sans-serif";
  ctx.fillText((p.meta && p.meta.title) || p.name, 8 * dpr, 19 * dpr);
  ctx.drawImage(src, 0, top);
  ctx.font = 12 * dpr + "px system-ui, sans-serif";
  names.forEach((s, i) => {
    const x = 8 * dpr + (i % 3) * (out.width / 3), y = top + src.height + 14 * dpr + Math.floor(i / 3) * 20 * dpr;
    ctx.fillStyle = s.stroke || "#334155";
    ctx.fillRect(x, y - 9 * dpr, 14 * dpr, 4 * dpr);
    ctx.fillStyle = "#334155";
    ctx.fillText(s.label, x + 20 * dpr, y);
  });
  return out;
}

function chartCSV(p) {
  const u = p.u;
  const header = u.series.map((s, i) => (i === 0 ? (p.meta && p.meta.xaxis) || "x" : s.label));
  const rows = [];
  const d = p.data;
  for (let r = 0; r < (d[0] || []).length; r++) rows.push(d.map((col) => col[r]));
  return csvOf(header, rows);
}

// chartTool runs a tool button of a chart's bar.
// canvasCharts are the charts drawn on a plain canvas (histogram, data
// map): name -> {canvas(), title, csv()}.
export const canvasCharts = {
  hist: {
    canvas: () => $("#hist-canvas"),
    title: "This batch: per-example loss",
    csv: () => {
      const b = S.batch[0];
      if (!b || !b.losses) return csvOf(["example", "loss", "kept"], []);
      const kept = new Set(b.selected || []);
      return csvOf(["example", "loss", "kept"], b.losses.map((l, i) => [i, l, kept.has(i) ? 1 : 0]));
    },
  },
};

// canvasPNG draws a canvas chart with its title into one image.
function canvasPNG(cc) {
  const src = cc.canvas();
  const dpr = window.devicePixelRatio || 1;
  const top = 28 * dpr;
  const out = document.createElement("canvas");
  out.width = src.width;
  out.height = src.height + top;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = "#0f172a";
  ctx.font = "600 " + 15 * dpr + "px system-ui, sans-serif";
  ctx.fillText(cc.title, 8 * dpr, 19 * dpr);
  ctx.drawImage(src, 0, top);
  return out;
}

function chartTool(btn) {
  const bar = btn.closest(".chart-bar");
  const name = bar && bar.dataset.chart;
  const file = "ohemlab-" + name + "-" + (S.replay ? "run-" + S.replay.ids.join("-") : "live");
  const cc = canvasCharts[name];
  if (cc) {
    if (btn.dataset.tool === "png") canvasPNG(cc).toBlob((b) => b && download(file + ".png", b));
    if (btn.dataset.tool === "csv") download(file + ".csv", new Blob([cc.csv()], { type: "text/csv" }));
    return;
  }
  const p = plots[name];
  if (!p) return;
  switch (btn.dataset.tool) {
    case "log":
      tools.logLoss = !tools.logLoss;
      try {
        localStorage.setItem("ohem.linear", tools.logLoss ? "" : "1");
      } catch (e) {}
      redrawAll();
      break;
    case "png":
      chartPNG(p).toBlob((b) => b && download(file + ".png", b));
      break;
    case "csv":
      download(file + ".csv", new Blob([chartCSV(p)], { type: "text/csv" }));
      break;
  }
}

let redrawAll = () => {};

// initCharts wires the chart tools; redraw redraws every chart.
export function initCharts(redraw) {
  redrawAll = redraw;
  try {
    tools.logLoss = !localStorage.getItem("ohem.linear");
    const s = localStorage.getItem("ohem.smooth");
    if (s !== null && s !== "" && isFinite(Number(s))) tools.smooth = Math.min(0.99, Math.max(0, Number(s)));
  } catch (e) {}
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest && ev.target.closest(".chart-bar [data-tool]");
    if (b) chartTool(b);
  });
  const sm = $("#smooth");
  if (sm) {
    sm.value = String(tools.smooth);
    const out = $("#smooth-value");
    const show = () => out && (out.textContent = Number(sm.value).toFixed(2));
    show();
    sm.addEventListener("input", () => {
      tools.smooth = Number(sm.value);
      show();
      try {
        localStorage.setItem("ohem.smooth", sm.value);
      } catch (e) {}
      redraw();
    });
  }
}

// chartSizes measures every chart against its panel, for tests and the
// layout check: [{chart, w, h, panelW}].
export function chartSizes() {
  const out = [];
  const add = (name, canvasEl) => {
    if (!canvasEl) return;
    const panel = canvasEl.closest(".panel");
    if (!panel || panel.hidden || canvasEl.closest("[hidden]")) return;
    const r = canvasEl.getBoundingClientRect();
    out.push({ chart: name, w: Math.round(r.width), h: Math.round(r.height), panelW: Math.round(panel.getBoundingClientRect().width) });
  };
  add("hist", $("#hist-canvas"));
  add("surface", $("#surface-canvas"));
  add("datamap", $("#datamap-canvas"));
  for (const k in plots) add(k, plots[k].u.ctx.canvas);
  return out;
}
window.OHEM.chartSizes = chartSizes;
window.OHEM.plots = plots;
window.OHEM.placeMarkers = placeMarkers;
