// OHEM Lab client: the batch histogram (canvas) and the uPlot charts: loss
// quantile bands, learning curves and the label-noise trap.
"use strict";

(function () {
  const O = window.OHEM;
  const $ = O.$;
  const C = O.colors;
  const plots = {}; // name -> {u, key}

  // ---- region 2: this batch's loss histogram ----

  const BINS = 32;

  O.drawHistogram = function () {
    const cv = $("#hist-canvas");
    if (!cv) return;
    const { ctx, w, h } = O.fitCanvas(cv);
    const b = O.S.batch[0];
    if (!b || !b.losses || !b.losses.length) {
      emptyText(ctx, w, h, O.S.replay ? "saved runs keep curves, not single batches" : "waiting for the first batch…");
      return;
    }
    const losses = b.losses;
    const kept = new Uint8Array(losses.length);
    (b.selected || []).forEach((i) => (kept[i] = 1));
    let max = 0;
    for (const l of losses) if (l > max) max = l;
    max = max > 0 ? max * 1.02 : 1;
    const hk = new Array(BINS).fill(0), hd = new Array(BINS).fill(0);
    let minKept = Infinity, nKept = 0, keptSum = 0, sum = 0;
    losses.forEach((l, i) => {
      const bin = Math.min(BINS - 1, Math.floor((l / max) * BINS));
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

    const pad = { l: 34, r: 10, t: 10, b: 26 };
    const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
    axes(ctx, pad, w, h, 0, max, 0, top, "per-example loss", "count");
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
      const x = pad.l + (minKept / max) * pw;
      ctx.strokeStyle = C.cut;
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, pad.t);
      ctx.lineTo(x, pad.t + ph);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = C.cut;
      ctx.font = O.font(12, "600");
      const label = "cut ℓ=" + O.fmt(minKept);
      const tw = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(x + 4, w - pad.r - tw), pad.t + 12);
    }
    const share = typeof b.kept_share === "number" ? b.kept_share : sum > 0 ? keptSum / sum : 0;
    setText("#kept-share", O.pct(share));
    setText("#kept-count", nKept + " / " + losses.length);
    const ks = $("#kept-count");
    if (ks) ks.dataset.kept = String(nKept);
    setText("#hist-caption", "arm A · step " + b.step + " · " + b.strategy + " · K=" + b.k + " M=" + b.m + " · batch loss " + O.fmt(b.batch_loss) + ", kept mean " + O.fmt(b.sel_loss));
  };

  function setText(sel, t) {
    const el = $(sel);
    if (el && el.textContent !== t) el.textContent = t;
  }
  O.setText = setText;

  function emptyText(ctx, w, h, t) {
    ctx.fillStyle = "#94a3b8";
    ctx.font = O.font(14);
    ctx.textAlign = "center";
    ctx.fillText(t, w / 2, h / 2);
    ctx.textAlign = "start";
  }
  O.emptyText = emptyText;

  // axes draws a frame with a few ticks on both axes.
  function axes(ctx, pad, w, h, x0, x1, y0, y1, xl, yl) {
    const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
    ctx.strokeStyle = C.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = C.text;
    ctx.font = O.font(11);
    for (let i = 0; i <= 4; i++) {
      const y = pad.t + ph - (i / 4) * ph;
      ctx.beginPath();
      ctx.moveTo(pad.l, y);
      ctx.lineTo(pad.l + pw, y);
      ctx.stroke();
      ctx.textAlign = "right";
      ctx.fillText(O.fmt(y0 + (i / 4) * (y1 - y0), 2), pad.l - 4, y + 4);
    }
    ctx.textAlign = "center";
    for (let i = 0; i <= 4; i++) {
      const x = pad.l + (i / 4) * pw;
      ctx.fillText(O.fmt(x0 + (i / 4) * (x1 - x0), 2), x, pad.t + ph + 14);
    }
    ctx.fillText(xl, pad.l + pw / 2, h - 2);
    ctx.textAlign = "start";
  }
  O.axes = axes;

  // ---- uPlot helpers ----

  function boxSize(el) {
    const r = el.getBoundingClientRect();
    return { width: Math.max(100, Math.floor(r.width)), height: Math.max(80, Math.floor(r.height)) };
  }

  function axisFont() {
    return O.font(11);
  }

  // ensurePlot creates (or recreates when key changes) the uPlot in el.
  function ensurePlot(name, el, key, makeOpts, data) {
    const p = plots[name];
    if (p && p.key === key) {
      p.u.setData(data);
      return p.u;
    }
    if (p) p.u.destroy();
    el.textContent = "";
    const opts = makeOpts();
    Object.assign(opts, boxSize(el));
    const u = new uPlot(opts, data, el);
    plots[name] = { u, key, el };
    fit(plots[name]);
    return u;
  }

  // fit sizes a plot so that the canvas and its legend together fill the
  // fixed box: the box never grows.
  function fit(p) {
    const box = boxSize(p.el);
    const leg = p.u.root.querySelector(".u-legend");
    const lh = leg ? leg.offsetHeight : 0;
    p.u.setSize({ width: box.width, height: Math.max(60, box.height - lh - 4) });
  }

  O.resizePlots = function () {
    for (const k in plots) fit(plots[k]);
  };

  function axis(label, extra) {
    return Object.assign({ label, font: axisFont(), labelFont: axisFont(), stroke: C.text, grid: { stroke: C.grid, width: 1 }, ticks: { stroke: C.grid } , size: 44, labelSize: 18 }, extra || {});
  }

  // logTicks formats the ticks of a log axis: plain numbers down to 0.01,
  // powers of ten below.
  function logTicks(u, vals) {
    return vals.map((v) => (v === null ? "" : v >= 0.01 ? String(+v.toPrecision(2)) : v.toExponential(0)));
  }

  // ema smooths ys with an exponential moving average (nulls carried).
  function ema(ys, alpha) {
    const out = new Array(ys.length);
    let m = null;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (y !== null && y !== undefined && isFinite(y)) m = m === null ? y : m + alpha * (y - m);
      out[i] = m;
    }
    return out;
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

  // ---- region 3: loss distribution over time ----

  const LOGMIN = 1e-4;
  O.drawQuantiles = function () {
    const el = $("#quant-plot");
    if (!el) return;
    const a = O.S.arms[0];
    const clamp = (v) => (v === null || v === undefined ? null : Math.max(LOGMIN, v));
    let data;
    if (!a || !a.step.length) data = [[], [], [], [], [], [], []];
    else data = decimate([a.step, a.q[0].map(clamp), a.q[1].map(clamp), a.q[2].map(clamp), a.q[3].map(clamp), a.q[4].map(clamp), a.sel.map(clamp)], 3000);
    ensurePlot("quant", el, "q", () => ({
      legend: { show: true, live: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [axis("step"), axis("loss (log)", { size: 50, values: logTicks })],
      series: [
        {},
        { label: "min", stroke: "rgba(37,99,235,0.35)", width: 1 },
        { label: "10%", stroke: "rgba(37,99,235,0.6)", width: 1 },
        { label: "median", stroke: "#1d4ed8", width: 2 },
        { label: "90%", stroke: "rgba(37,99,235,0.6)", width: 1 },
        { label: "max", stroke: "rgba(37,99,235,0.35)", width: 1 },
        { label: "kept mean", stroke: C.kept, width: 2 },
      ],
      bands: [
        { series: [5, 1], fill: "rgba(37,99,235,0.10)" },
        { series: [4, 2], fill: "rgba(37,99,235,0.22)" },
      ],
      hooks: { draw: [(u) => scanHook(u, true)] },
    }), data);
  };

  // ---- region 5: learning curves ----

  function xOfRows(a) {
    const x = O.S.xaxis;
    return x === "backprop" ? a.backprop : x === "wall" ? a.wall : x === "compute" ? a.flops : a.step;
  }
  function xOfEval(e) {
    const x = O.S.xaxis;
    return x === "backprop" ? e.backprop : x === "wall" ? e.wall : x === "compute" ? e.flops : e.step;
  }
  function xLabel() {
    const x = O.S.xaxis;
    return x === "backprop" ? "examples backpropagated" : x === "wall" ? "training wall time (s)" : x === "compute" ? "training compute (FLOPs: forward 2·Σ fan_in·fan_out per example, backward twice that)" : "step";
  }

  // strictly increasing x (uPlot.join needs sorted unique x per table)
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

  function armName(i) {
    const st = O.S.state;
    const arms = st && st.config && st.config.arms;
    const a = arms && arms[i];
    const n = a ? a.name || (a.select && a.select.strategy) : "";
    return String.fromCharCode(65 + i) + (n ? " " + n : "");
  }
  O.armName = armName;

  // xForStep maps a step of arm i (default 0) to the current x-axis.
  function xForStep(step, i) {
    const x = O.S.xaxis;
    if (x === "step") return step;
    const a = O.S.arms[i || 0];
    if (!a || !a.step.length) return null;
    let lo = 0, hi = a.step.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a.step[mid] < step) lo = mid + 1;
      else hi = mid;
    }
    return x === "backprop" ? a.backprop[lo] : x === "compute" ? a.flops[lo] : a.wall[lo];
  }

  // markerPlugin draws a labelled vertical line at every config change.
  function markerHook(u) {
    scanHook(u);
    const cfgs = O.S.configs.filter((c) => !c.reset && c.step > 0);
    if (!cfgs.length) return;
    const ctx = u.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = "rgba(17,24,39,0.55)";
    ctx.fillStyle = "#111827";
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.lineWidth = 1 * dpr;
    ctx.font = O.font(11 * dpr, "600");
    let lastLabelX = -Infinity, row = 0;
    for (const c of cfgs) {
      const xv = xForStep(c.step);
      if (xv === null || xv === undefined) continue;
      const x = Math.round(u.valToPos(xv, "x", true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      const label = (c.changed || []).join(", ") || "v" + c.version;
      row = x - lastLabelX < 90 * dpr ? (row + 1) % 3 : 0;
      lastLabelX = x;
      ctx.fillText(label.length > 28 ? label.slice(0, 27) + "…" : label, x + 3 * dpr, u.bbox.top + (12 + 13 * row) * dpr);
    }
    ctx.restore();
  }

  // scanHook marks every offline pool scan: a short tick in the arm's
  // colour at the bottom of the plot, labelled "scan" while they are
  // sparse. byStep: the plot's x is the step whatever the x-axis choice.
  function scanHook(u, byStep) {
    const ctx = u.ctx;
    const dpr = window.devicePixelRatio || 1;
    O.S.arms.forEach((a, i) => {
      if (!a.scans || !a.scans.length) return;
      ctx.save();
      ctx.strokeStyle = C.arms[i];
      ctx.fillStyle = C.arms[i];
      ctx.lineWidth = 2 * dpr;
      ctx.font = O.font(10 * dpr, "600");
      const sparse = a.scans.length <= 12;
      for (const s of a.scans) {
        const xv = byStep === true ? s : xForStep(s, i);
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

  O.drawCurves = function () {
    const elL = $("#curves-loss"), elA = $("#curves-acc");
    if (!elL || !elA) return;
    const S = O.S;
    const n = Math.max(1, S.arms.length, S.evals.length);
    const lossTables = [], lossSeries = [{}], accTables = [], accSeries = [{}];
    for (let i = 0; i < n; i++) {
      const a = S.arms[i] || { step: [], backprop: [], wall: [], loss: [] };
      const ev = S.evals[i] || [];
      const [rx, ry] = decimate(monotone(xOfRows(a), ema(a.loss, 0.05)), 2000);
      lossTables.push([rx, ry]);
      lossSeries.push({ label: armName(i) + " train", stroke: C.arms[i], width: 2, spanGaps: true });
      const ex = ev.map(xOfEval);
      const t = monotone(ex, ev.map((e) => e.test_loss), ev.map((e) => e.acc));
      lossTables.push([t[0], t[1]]);
      lossSeries.push({ label: armName(i) + " test", stroke: C.arms[i], width: 2, dash: [6, 4], spanGaps: true, points: { show: true, size: 5 } });
      accTables.push([t[0], t[2]]);
      accSeries.push({ label: armName(i) + " test acc.", stroke: C.arms[i], width: 2, spanGaps: true, points: { show: true, size: 5 }, value: (u, v) => (v === null ? "–" : O.pct(v)) });
    }
    // Replicates (saved runs of several seeds): the min and max test
    // accuracy over the seeds as a band around each arm's mean.
    const bands = [];
    (S.bands || []).forEach((b, i) => {
      const evs = S.evals[i] || [];
      const xs = b.step.map((s) => {
        const e = evs.find((x) => x.step === s);
        return e ? xOfEval(e) : null;
      });
      const t = monotone(xs, b.min, b.max);
      const fmt = (u, v) => (v === null ? "–" : O.pct(v));
      accTables.push([t[0], t[1]], [t[0], t[2]]);
      accSeries.push({ label: armName(i) + " min", stroke: C.arms[i], width: 1, dash: [2, 3], spanGaps: true, value: fmt },
        { label: armName(i) + " max", stroke: C.arms[i], width: 1, dash: [2, 3], spanGaps: true, value: fmt });
      bands.push({ series: [accSeries.length - 1, accSeries.length - 2], fill: C.arms[i] + "33" });
    });
    const join = (tables) => {
      const nonEmpty = tables.some((t) => t[0].length);
      if (!nonEmpty) return [[]].concat(tables.map(() => []));
      return uPlot.join(tables);
    };
    // The legends name the arms: new names (a saved run opened, a strategy
    // changed) need a new plot.
    const names = lossSeries.slice(1).map((x) => x.label).join("|");
    const key = S.xaxis + ":" + n + ":" + (document.body.classList.contains("large") ? "L" : "") + ":" + names + ":" + bands.length;
    ensurePlot("loss", elL, key, () => ({
      legend: { show: true, live: false },
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [axis(xLabel()), axis("loss (log)", { size: 50, values: logTicks })],
      series: lossSeries,
      hooks: { draw: [markerHook] },
    }), join(lossTables));
    ensurePlot("acc", elA, key, () => ({
      legend: { show: true, live: false },
      scales: { x: { time: false }, y: { auto: true } },
      axes: [axis(xLabel()), axis("test accuracy", { size: 50, values: (u, vals) => vals.map((v) => (100 * v).toFixed(1) + "%") })],
      series: accSeries,
      bands,
      hooks: { draw: [markerHook] },
    }), join(accTables));
  };

  // ---- label-noise trap ----

  O.drawNoise = function () {
    const el = $("#noise-plot");
    if (!el) return;
    const S = O.S;
    const ds = S.state && S.state.dataset;
    const frac = ds ? ds.flipped_frac || 0 : 0;
    setText("#noise-data", O.pct(frac));
    const b = S.batch[0];
    setText("#noise-sel", b ? O.pct(b.sel_flipped_share || 0) : "–");
    const n = Math.max(1, S.arms.length);
    const tables = [], series = [{}];
    for (let i = 0; i < n; i++) {
      const a = S.arms[i] || { step: [], flip: [] };
      const [x, y] = decimate(monotone(a.step, ema(a.flip, 0.05)), 2000);
      tables.push([x, y]);
      series.push({ label: armName(i) + " kept flipped (avg)", stroke: C.arms[i], width: 2, spanGaps: true, value: (u, v) => (v === null ? "–" : O.pct(v)) });
    }
    let data;
    if (!tables.some((t) => t[0].length)) data = [[]].concat(tables.map(() => [])).concat([[]]);
    else {
      data = uPlot.join(tables);
      data.push(data[0].map(() => frac));
    }
    series.push({ label: "flipped in data", stroke: C.flipped, width: 2, dash: [6, 4], value: (u, v) => (v === null ? "–" : O.pct(v)) });
    ensurePlot("noise", el, "n" + n + ":" + series.map((x) => x.label).join("|"), () => ({
      legend: { show: true, live: false },
      scales: { x: { time: false }, y: { range: (u, mn, mx) => [0, Math.max(0.05, mx * 1.1)] } },
      axes: [axis("step"), axis("share", { size: 50, values: (u, vals) => vals.map((v) => Math.round(100 * v) + "%") })],
      series,
    }), data);
    el.classList.toggle("muted", frac === 0);
    const hint = $("#noise-hint");
    if (hint) hint.hidden = frac > 0 || !!O.S.replay;
  };

  O.initCharts = function () {};
})();
