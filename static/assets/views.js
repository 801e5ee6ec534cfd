// OHEM Lab client: the hard-examples gallery and 2-D decision surface, the
// data map, the A/B summary and the saved runs (open, compare, rename, delete).

import { csvOf, $, $$, colors as C, fmt, pct, flops, reach, REACH_WINDOW, setText, fitCanvas, boxSize, font, viridis, getJSON, el as mk, large } from "./util.js";
import { S, addRow, addEval, addConfig, clearSeries, markDirty, refreshFragment, armName } from "./state.js";
import { emptyText, axes, canvasCharts } from "./charts.js";
import { writeControls, lockControls } from "./controls.js";

function dataset() {
  return (S.state && S.state.dataset) || {};
}
function isImage() {
  return (dataset().image_w || 0) > 0;
}
function is2D() {
  return dataset().dim === 2;
}
function className(c) {
  const names = dataset().class_names;
  return names && names[c] !== undefined ? names[c] : String(c);
}
function thumb(id) {
  return "/api/examples/" + id + ".png?gen=" + (dataset().generation || 0);
}

// ---- region 4: hard examples ----

let tiles = [];

// galleryCapacity is how many whole tiles fit in the gallery's fixed box,
// so that no tile is ever cut off.
function galleryCapacity(gal) {
  const r = boxSize(gal);
  const large = document.body.classList.contains("large");
  const tw = large ? 72 : 58, th = large ? 90 : 70, gap = 5;
  const cols = Math.max(1, Math.floor((r.width + gap) / (tw + gap)));
  const rows = Math.max(1, Math.floor((r.height + gap) / (th + gap)));
  return cols * rows;
}

function tile() {
  const t = document.createElement("figure");
  t.className = "tile";
  const img = mk("img");
  img.width = 50;
  img.height = 50;
  img.alt = "";
  const cap = mk("figcaption");
  cap.append(mk("span", "t-lab"), mk("span", "t-loss"));
  t.append(img, cap);
  return t;
}

// setAttr writes an attribute only when it changes (a write, even of the
// same value, can make the browser restyle).
function setAttr(el, name, v) {
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}

// The gallery shows a batch's kept examples once all their thumbnails are
// decoded, in one go: tiles do not change one by one as images arrive
// (each arrival would be a repaint of its own). One set loads at a time:
// a draw that comes while one loads waits for it (on a loaded machine the
// thumbnails may take longer than the gallery's pace, and dropping the
// loading set for a newer one would then never show any).
let galleryLoading = false;
let galleryAgain = false;

export function drawExamples() {
  const gal = $("#gallery"), box = $(".surface-box");
  if (!gal || !box) return;
  if (is2D()) {
    gal.hidden = true;
    box.hidden = false;
    drawSurface();
    return;
  }
  gal.hidden = false;
  box.hidden = true;
  if (galleryLoading) {
    galleryAgain = true;
    return;
  }
  const b = S.batch[0];
  const ex = b && b.examples ? b.examples.slice().sort((p, q) => q.loss - p.loss) : [];
  const cap = galleryCapacity(gal);
  const shown = ex.slice(0, cap);
  const gen = dataset().generation;
  // After a reset the dataset's generation is unknown until the state is
  // fetched again: no thumbnail is asked for under the old one (a 404).
  const withImages = isImage() && !S.genStale;
  const imgs = shown.map((e) => {
    if (!withImages) return null;
    const im = new Image(50, 50);
    im.src = thumb(e.id);
    return im;
  });
  const show = () => {
    galleryLoading = false;
    // A reset while the set loaded makes it stale: draw the new run's.
    if (dataset().generation === gen && !S.genStale) showTiles(gal, b, ex, shown, imgs, cap);
    else galleryAgain = true;
    if (galleryAgain) {
      galleryAgain = false;
      markDirty("examples");
    }
  };
  if (withImages && shown.length) {
    galleryLoading = true;
    Promise.all(imgs.map((im) => im.decode().catch(() => {}))).then(show);
  } else show();
}

function showTiles(gal, b, ex, shown, imgs, cap) {
  gal.dataset.capacity = String(cap);
  while (tiles.length < shown.length) {
    const t = tile();
    tiles.push(t);
    gal.appendChild(t);
  }
  tiles.forEach((t, i) => {
    const e = shown[i];
    if (t.hidden !== !e) t.hidden = !e;
    if (!e) return;
    const im = imgs[i];
    if (im) {
      im.alt = "example " + e.id;
      t.replaceChild(im, t.firstChild);
    } else t.firstChild.hidden = true;
    t.classList.toggle("flipped", !!e.flipped);
    t.classList.toggle("wrong", e.pred !== e.label);
    t.title = "#" + e.id + " label " + className(e.label) + ", predicted " + className(e.pred) + ", loss " + fmt(e.loss) + ", p(label) " + fmt(e.p) + (e.flipped ? " — label was flipped by noise" : "") + (e.rank !== undefined ? " — trained on rank " + e.rank : "");
    setAttr(t, "data-id", String(e.id));
    const cap = t.lastChild;
    setText(cap.firstChild, className(e.label) + "→" + className(e.pred) + (e.rank !== undefined ? " r" + e.rank : ""));
    setText(cap.lastChild, shortLoss(e.loss));
  });
  setAttr(gal, "data-count", String(shown.length));
  setText("#examples-caption", b ? shown.length + " of " + ex.length + " kept · label→prediction, loss" + (ex.length > shown.length ? " (hardest first)" : "") : S.replay ? "single batches are not saved" : "kept in the last batch");
}

// shortLoss formats a loss in at most four characters for a tile.
function shortLoss(l) {
  if (!isFinite(l)) return "∞";
  if (l >= 100) return Math.round(l).toString();
  if (l >= 1) return l.toFixed(l >= 10 ? 0 : 1);
  const s = l.toPrecision(2).replace(/^0/, "");
  return s.length <= 4 ? s : l.toExponential(0);
}

// drawSurface paints P(class 1) of the last evaluation and this batch's
// points, kept ones ringed.
function drawSurface() {
  const cv = $("#surface-canvas");
  const { ctx, w, h } = fitCanvas(cv);
  const ds = dataset();
  const ev = S.lastEval[0];
  const sf = ev && ev.surface;
  const bnd = sf ? [sf.xmin, sf.xmax, sf.ymin, sf.ymax] : ds.bounds || [-1, 1, -1, 1];
  const side = Math.min(w, h);
  const ox = (w - side) / 2, oy = (h - side) / 2;
  const px = (x) => ox + ((x - bnd[0]) / (bnd[1] - bnd[0])) * side;
  const py = (y) => oy + side - ((y - bnd[2]) / (bnd[3] - bnd[2])) * side;
  if (sf && sf.prob && sf.prob.length === sf.w * sf.h) {
    const off = document.createElement("canvas");
    off.width = sf.w;
    off.height = sf.h;
    const oc = off.getContext("2d");
    const img = oc.createImageData(sf.w, sf.h);
    for (let r = 0; r < sf.h; r++) {
      for (let c = 0; c < sf.w; c++) {
        const p = sf.prob[r * sf.w + c];
        const k = ((sf.h - 1 - r) * sf.w + c) * 4; // row 0 is ymin: flip
        const t = Math.abs(p - 0.5) * 2;
        const base = p >= 0.5 ? [234, 88, 12] : [37, 99, 235];
        img.data[k] = Math.round(255 + (base[0] - 255) * t * 0.55);
        img.data[k + 1] = Math.round(255 + (base[1] - 255) * t * 0.55);
        img.data[k + 2] = Math.round(255 + (base[2] - 255) * t * 0.55);
        img.data[k + 3] = 255;
      }
    }
    oc.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, ox, oy, side, side);
  } else {
    ctx.fillStyle = "#f8fafc";
    ctx.fillRect(ox, oy, side, side);
  }
  ctx.strokeStyle = "#cbd5e1";
  ctx.strokeRect(ox + 0.5, oy + 0.5, side - 1, side - 1);
  const b = S.batch[0];
  if (!b || !b.xy) {
    emptyText(ctx, w, h, S.replay ? "saved runs keep curves, not single batches" : "waiting for the first batch…");
    return;
  }
  const kept = new Map();
  (b.examples || []).forEach((e) => kept.set(e.i, e));
  const n = b.xy.length / 2;
  for (let i = 0; i < n; i++) {
    if (kept.has(i)) continue;
    const lab = b.labels ? b.labels[i] : -1;
    ctx.fillStyle = lab === 1 ? "rgba(194,65,12,0.55)" : lab === 0 ? "rgba(29,78,216,0.55)" : "rgba(51,65,85,0.55)";
    ctx.beginPath();
    ctx.arc(px(b.xy[2 * i]), py(b.xy[2 * i + 1]), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  kept.forEach((e, i) => {
    const x = px(b.xy[2 * i]), y = py(b.xy[2 * i + 1]);
    ctx.fillStyle = e.label === 1 ? "#c2410c" : "#1d4ed8";
    ctx.beginPath();
    ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.strokeStyle = e.flipped ? C.flipped : "#111827";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, 7, 0, 2 * Math.PI);
    ctx.stroke();
  });
  setText("#examples-caption", b.examples.length + " kept of " + n + " (ringed) over P(class 1)" + (sf ? " at step " + ev.step : ""));
  setAttr(cv, "data-surface-step", sf ? String(ev.step) : "");
  $("#gallery").dataset.count = String(b.examples.length);
}

// ---- the data map ----

let dm = null; // {points, total, maxSel, grid}
let dmPinned = null;
let dmBusy = false;

export async function refreshDataMap() {
  if (dmBusy || S.replay) return;
  dmBusy = true;
  try {
    const d = await getJSON("/api/datamap?arm=0&max=20000");
    dm = { points: (d && d.points) || [], total: (d && d.total) || 0, step: d && d.step };
    dm.maxSel = 1;
    let maxVar = 0.05;
    dm.points.forEach((p) => {
      if (p.selected > dm.maxSel) dm.maxSel = p.selected;
      if (p.variability > maxVar) maxVar = p.variability;
    });
    dm.maxVar = Math.min(0.5, Math.max(0.1, maxVar * 1.05));
    drawDataMap();
  } catch (e) {
    setText("#datamap-caption", "data map unavailable: " + e.message);
  } finally {
    dmBusy = false;
  }
}

function dmLayout(w, h) {
  const k = large() ? 1.35 : 1;
  const pad = { l: Math.round(52 * k), r: 10, t: 8, b: Math.round(30 * k) };
  return { pad, pw: w - pad.l - pad.r, ph: h - pad.t - pad.b };
}

export function drawDataMap() {
  const cv = $("#datamap-canvas");
  if (!cv) return;
  const { ctx, w, h } = fitCanvas(cv);
  if (!dm || !dm.points.length) {
    emptyText(ctx, w, h, "no statistics yet");
    cv.dataset.points = "0";
    return;
  }
  const { pad, pw, ph } = dmLayout(w, h);
  axes(ctx, pad, w, h, 0, dm.maxVar, 0, 1, "variability (std of p(label))", "confidence");
  ctx.save();
  ctx.translate(11, pad.t + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillStyle = C.text;
  ctx.font = font(11);
  ctx.fillText("confidence (mean p(label))", 0, 0);
  ctx.restore();
  const grid = new Map();
  const sx = (v) => pad.l + (Math.min(v, dm.maxVar) / dm.maxVar) * pw;
  const sy = (c) => pad.t + ph - c * ph;
  const logMax = Math.log1p(dm.maxSel);
  // draw least selected first so the hard ones stay on top (order and
  // colours are worked out once per refresh, not per redraw)
  if (!dm.order) {
    dm.order = dm.points.map((p, i) => i).sort((a, b) => dm.points[a].selected - dm.points[b].selected);
    dm.colours = dm.points.map((p) => viridis(Math.log1p(p.selected) / logMax));
  }
  for (const i of dm.order) {
    const p = dm.points[i];
    const x = sx(p.variability), y = sy(p.confidence);
    ctx.fillStyle = dm.colours[i];
    ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    if (p.flipped) {
      ctx.strokeStyle = C.flipped;
      ctx.lineWidth = 1;
      ctx.strokeRect(x - 3, y - 3, 6, 6);
    }
    const key = Math.floor(x / 8) + ":" + Math.floor(y / 8);
    if (!grid.has(key)) grid.set(key, []);
    grid.get(key).push(i);
    p._x = x;
    p._y = y;
  }
  dm.grid = grid;
  // region labels, haloed so that they stay readable over the points
  const label = (text, x, y, colour, align) => {
    ctx.font = font(12, "700");
    ctx.textAlign = align || "start";
    ctx.lineWidth = 4;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour;
    ctx.fillText(text, x, y);
    ctx.textAlign = "start";
  };
  label("easy-to-learn", pad.l + 6, pad.t + 16, "#15803d");
  label("hard-to-learn", pad.l + 6, pad.t + ph - 8, "#b91c1c");
  label("ambiguous", pad.l + pw - 6, pad.t + ph / 2, "#7e22ce", "right");
  if (dmPinned) {
    const p = dm.points.find((q) => q.id === dmPinned.id);
    if (p) {
      ctx.strokeStyle = "#111827";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(p._x, p._y, 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  // colour legend
  const lw = 90, lx = w - pad.r - lw, ly = pad.t + 4;
  for (let i = 0; i < lw; i++) {
    ctx.fillStyle = viridis(i / lw);
    ctx.fillRect(lx + i, ly, 1, 8);
  }
  ctx.fillStyle = C.text;
  ctx.font = font(10);
  ctx.fillText("0", lx, ly + 19);
  ctx.textAlign = "right";
  ctx.fillText(dm.maxSel + "× selected", lx + lw, ly + 19);
  ctx.textAlign = "start";
  cv.dataset.points = String(dm.points.length);
  setText("#datamap-caption", dm.points.length + (dm.total > dm.points.length ? " of " + dm.total : "") + " examples · colour = times selected · ▢ flipped label");
}

function nearest(mx, my) {
  if (!dm || !dm.grid) return null;
  let best = null, bd = 100;
  const gx = Math.floor(mx / 8), gy = Math.floor(my / 8);
  for (let dx = -1; dx <= 1; dx++)
    for (let dy = -1; dy <= 1; dy++) {
      const cell = dm.grid.get(gx + dx + ":" + (gy + dy));
      if (!cell) continue;
      for (const i of cell) {
        const p = dm.points[i];
        const d = (p._x - mx) ** 2 + (p._y - my) ** 2;
        if (d < bd) {
          bd = d;
          best = p;
        }
      }
    }
  return best;
}

function showDetail(p, full) {
  const el = $("#datamap-detail");
  if (!el) return;
  if (!p) return;
  const rows = [
    ["label", className(p.label) + (p.flipped ? " (flipped; clean " + className(p.clean_label) + ")" : "")],
    ["last prediction", className(p.last_pred)],
    ["confidence", fmt(p.confidence)],
    ["variability", fmt(p.variability)],
    ["selected / seen", p.selected + " / " + p.seen],
    ["forgetting events", String(p.forgets)],
    ["mean loss", fmt(p.mean_loss)],
  ];
  if (full && Array.isArray(full.x) && full.x.length) {
    rows.push([full.x.length === 2 ? "position" : "features", full.x.map((v) => fmt(v)).join(", ")]);
  }
  el.textContent = "";
  const h = document.createElement("h3");
  h.textContent = "Example #" + p.id + (full ? "" : " (hover)");
  el.appendChild(h);
  // An outside trainer sends the images of the examples it kept only: show
  // the one the server names, never ask for one it does not have.
  const src = !isImage() ? "" : dataset().some_images ? (full && full.thumb) || "" : thumb(p.id);
  if (src) {
    const img = document.createElement("img");
    img.src = src;
    img.width = 84;
    img.height = 84;
    img.alt = "example " + p.id;
    img.className = "detail-thumb";
    el.appendChild(img);
  }
  const dl = document.createElement("dl");
  rows.forEach(([k, v]) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dl.append(dt, dd);
  });
  el.appendChild(dl);
  el.dataset.id = String(p.id);
}

function initDataMap() {
  const cv = $("#datamap-canvas");
  if (!cv) return;
  const pos = (ev) => {
    const r = cv.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  cv.addEventListener("mousemove", (ev) => {
    if (dmPinned) return;
    const p = nearest(...pos(ev));
    if (p) showDetail(p, null);
  });
  cv.addEventListener("click", async (ev) => {
    const p = nearest(...pos(ev));
    if (!p) {
      dmPinned = null;
      drawDataMap();
      return;
    }
    dmPinned = p;
    drawDataMap();
    showDetail(p, null);
    try {
      const full = await getJSON("/api/example/" + p.id + "?arm=0");
      if (dmPinned === p) showDetail(Object.assign({}, p, full), full);
    } catch (e) {
      showDetail(p, null);
    }
  });
  // The data map (up to 20,000 points) and the hardest-so-far list are
  // fetched every 3-4 s while on screen, once as they come into view, and
  // not at all while scrolled away: nobody reads them there.
  const seen = {};
  const last = { datamap: 0, hardest: 0 };
  const fetchers = {
    datamap: () => refreshDataMap(),
    hardest: () => !S.replay && refreshFragment("hardest"),
  };
  const refresh = (k) => {
    last[k] = Date.now();
    fetchers[k]();
  };
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const k = e.target.id;
      const was = seen[k];
      seen[k] = e.isIntersecting;
      if (seen[k] && !was && S.connected && Date.now() - last[k] > 2000) refresh(k);
    }
  });
  // htmx replaces #hardest on every refresh: watch the new element.
  const watch = () => ["#datamap", "#hardest"].forEach((sel) => {
    const el = $(sel);
    if (el && !el.dataset.watched) {
      el.dataset.watched = "1";
      io.observe(el);
    }
  });
  watch();
  document.body.addEventListener("htmx:afterSwap", watch);
  setInterval(() => {
    if (!document.hidden && S.connected && seen.datamap) refresh("datamap");
  }, 3000);
  setInterval(() => {
    if (!document.hidden && S.connected && seen.hardest) refresh("hardest");
  }, 4000);
  // The saved runs: refreshed every 15 s (in place while the same runs
  // are listed: see patchRuns).
  setInterval(() => {
    if (!document.hidden && S.connected && !S.replay) refreshFragment("runs");
  }, 15000);
}

// ---- A/B summary ----

export function drawAB() {
  const body = $("#ab-rows");
  if (!body) return;
  const target = Number(($("#ab-target") || {}).value) / 100 || 0.95;
  const n = Math.max(S.evals.length, S.arms.length, 1);
  const reached = [];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const ev = S.evals[i] || [];
    const at = reach(ev.map((e) => e.acc), target);
    const hit = at >= 0 ? ev[at] : null;
    const last = ev[ev.length - 1];
    reached.push(hit || null);
    const strat = armStrategy(i);
    rows.push([
      armName(i),
      strat,
      hit ? fmt(hit.backprop) : "not yet" + (ev.length >= REACH_WINDOW ? " (mean of the last " + REACH_WINDOW + ": " + pct(lastMean(ev)) + ")" : ""),
      hit ? fmt(hit.fwd) : "–",
      hit ? flops(hit.flops) : "–",
      hit ? String(hit.step) : "–",
      last ? pct(last.acc) : "–",
    ]);
  }
  body.textContent = "";
  rows.forEach((r, i) => {
    const tr = document.createElement("tr");
    tr.className = "arm-row arm-" + String.fromCharCode(65 + i);
    r.forEach((c, k) => {
      const td = document.createElement("td");
      if (k === 0) {
        const sw = document.createElement("span");
        sw.className = "arm-swatch";
        sw.style.background = C.arms[i];
        td.appendChild(sw);
      }
      td.appendChild(document.createTextNode(c));
      if (k >= 2) td.className = "num";
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  const ratio = $("#ab-ratio");
  if (!ratio) return;
  if (n < 2) {
    ratio.textContent = "Add arm B in the controls to compare two strategies on identical batches.";
    ratio.dataset.ratio = "";
  } else if (reached[0] && reached[1]) {
    const r = reached[0].backprop / reached[1].backprop;
    const rc = reached[1].flops > 0 ? reached[0].flops / reached[1].flops : NaN;
    ratio.textContent = "To reach " + pct(target, 1) + " (mean of the last " + REACH_WINDOW + " evaluations): arm A needed " + r.toFixed(2) + "× the examples backpropagated of arm B" + (r < 1 ? " (" + ((1 - r) * 100).toFixed(0) + "% fewer)" : r > 1 ? " (" + ((r - 1) * 100).toFixed(0) + "% more)" : "") + (isFinite(rc) ? " and " + rc.toFixed(2) + "× its compute" : "") + ".";
    ratio.dataset.ratio = r.toFixed(4);
  } else {
    const waiting = reached.map((r, i) => (r ? "" : String.fromCharCode(65 + i))).filter((x) => x);
    const who = waiting.length === n ? (n === 2 ? "both arms" : "all " + n + " arms") : (waiting.length === 1 ? "arm " : "arms ") + waiting.join(", ");
    ratio.textContent = "Waiting for " + who + " to reach " + pct(target, 1) + " test accuracy…";
    ratio.dataset.ratio = "";
  }
}

// lastMean is the mean test accuracy of the last REACH_WINDOW evaluations,
// the figure the crossing rule compares with the target.
function lastMean(ev) {
  const tail = ev.slice(-REACH_WINDOW);
  return tail.reduce((s, e) => s + e.acc, 0) / tail.length;
}

function armStrategy(i) {
  const st = S.state;
  const a = st && st.config && st.config.arms && st.config.arms[i];
  if (!a) return "–";
  const s = a.select || {};
  return s.strategy + (s.strategy === "all" ? "" : " M=" + s.m) + " lr=" + a.lr;
}

// ---- saved runs: open read-only, compare, rename, delete ----

// loadRunInto replaces the charts' series with a saved run's.
function runSeries(run, armOffset) {
  (run.metrics || []).forEach((m) => addRow(Object.assign({}, m, { arm: (m.arm || 0) + armOffset, seq: 0 })));
  (run.evals || []).forEach((e) => addEval({ arm: (e.arm || 0) + armOffset, step: e.step, examples_backpropagated: e.examples_backpropagated, examples_forwarded: e.examples_forwarded, compute_flops: e.compute_flops, wall_seconds: e.wall, test_loss: e.test_loss, test_accuracy: e.test_accuracy, train_loss: e.train_loss }));
  if (armOffset === 0) {
    // The run's first config is what the first change changed from.
    addConfig({ step: 0, version: 0, changed: [], reset: true, config: run.config_start || null });
    (run.changes || []).forEach((c) => addConfig({ step: c.step, version: c.version, changed: c.changed || [], reset: false, config: c.config }));
  }
}

// ---- replicates: saved runs of several seeds of one config ----

// sameConfigButSeed reports whether runs differ only in their seed (and
// where MNIST was read from), with no seed twice.
function sameConfigButSeed(runs) {
  const key = (r) => {
    const c = JSON.parse(JSON.stringify(r.config || {}));
    delete c.seed;
    if (c.data) delete c.data.dir;
    return JSON.stringify(c);
  };
  const seeds = new Set(runs.map((r) => (r.config || {}).seed));
  return runs.length >= 2 && seeds.size === runs.length && runs.every((r) => key(r) === key(runs[0]));
}

// replicateSeries fills the curves with the mean over runs of every arm at
// the steps all runs have, and the min-max of the test accuracy (S.bands,
// drawn as a band around the mean).
function replicateSeries(runs) {
  const nArms = Math.max(1, ((runs[0].config || {}).arms || []).length);
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  S.bands = [];
  for (let j = 0; j < nArms; j++) {
    const byStep = (list) => {
      const m = new Map();
      (list || []).forEach((x) => (x.arm || 0) === j && m.set(x.step, x));
      return m;
    };
    const metrics = runs.map((r) => byStep(r.metrics));
    const evals = runs.map((r) => byStep(r.evals));
    for (const [step] of metrics[0]) {
      const ms = metrics.map((m) => m.get(step));
      if (ms.some((m) => !m)) continue;
      const num = (k) => mean(ms.map((m) => (m[k] === null || m[k] === undefined ? NaN : m[k])));
      addRow({ arm: j, step, seq: 0, batch_loss: num("batch_loss"), sel_loss: num("sel_loss"), kept_share: num("kept_share"),
        sel_flipped_share: num("sel_flipped_share"), examples_backpropagated: num("examples_backpropagated"), examples_forwarded: num("examples_forwarded"),
        compute_flops: num("compute_flops"), wall: num("wall"), q: [0, 1, 2, 3, 4].map((k) => mean(ms.map((m) => (m.q || [])[k] ?? NaN))),
        scanned: ms[0].scanned });
    }
    const band = { step: [], min: [], max: [] };
    for (const [step] of evals[0]) {
      const es = evals.map((m) => m.get(step));
      if (es.some((e) => !e)) continue;
      const accs = es.map((e) => e.test_accuracy);
      addEval({ arm: j, step, examples_backpropagated: mean(es.map((e) => e.examples_backpropagated)), examples_forwarded: mean(es.map((e) => e.examples_forwarded || 0)),
        compute_flops: mean(es.map((e) => e.compute_flops || 0)), wall_seconds: mean(es.map((e) => e.wall)), test_loss: mean(es.map((e) => e.test_loss)),
        test_accuracy: mean(accs), train_loss: mean(es.map((e) => e.train_loss)) });
      band.step.push(step);
      band.min.push(Math.min(...accs));
      band.max.push(Math.max(...accs));
    }
    S.bands.push(band);
  }
}

async function openRuns(ids) {
  const runs = [];
  for (const id of ids) runs.push(await getJSON("/api/runs/" + encodeURIComponent(id)));
  const replicates = sameConfigButSeed(runs);
  if (runs.length > 2 && !replicates) throw new Error("tick two runs, or several runs of one config that differ only in their seed");
  if (!S.replay) S.liveState = S.state;
  S.replay = { ids, runs, replicates: replicates ? runs.length : 0 };
  clearSeries();
  S.bands = null;
  S.runStartSeq = 0;
  let off = 0;
  const arms = [];
  if (replicates) {
    replicateSeries(runs);
    const seeds = runs.map((r) => r.config.seed).sort((a, b) => a - b).join(",");
    (runs[0].config.arms || []).forEach((a) => arms.push(Object.assign({}, a, { name: "mean of seeds " + seeds + ": " + (a.name || (a.select && a.select.strategy)) })));
  } else runs.forEach((run) => {
    runSeries(run, off);
    const cfgArms = (run.config && run.config.arms) || [];
    cfgArms.forEach((a) => arms.push(Object.assign({}, a, { name: "#" + run.id + " " + (a.name || (a.select && a.select.strategy)) })));
    off += Math.max(1, cfgArms.length);
  });
  S.state = Object.assign({}, S.liveState, { config: Object.assign({}, runs[0].config, { arms }) });
  document.body.classList.add("replay");
  const ban = $("#replay-banner");
  ban.hidden = false;
  setText("#replay-name", replicates ? runs.length + " seeds of one config (" + runs.map((r) => "#" + r.id).join(", ") + "): mean, with the min-max band of the test accuracy" : runs.map((r) => "#" + r.id + " " + r.name).join(" vs "));
  // The greyed controls show the saved run's own config.
  lockControls(true);
  writeControls(runs[0].config, true);
  // Saved runs keep curves and summaries, not single batches: say so
  // where the live batch was.
  setText("#hist-caption", "single batches are not saved");
  setText("#examples-caption", "single batches are not saved");
  setText("#kept-share", "–");
  setText("#kept-count", "–");
  $("#gallery").replaceChildren();
  $("#gallery").dataset.count = "0";
  markDirty("all");
}

function backToLive() {
  if (!S.replay) return;
  S.replay = null;
  S.bands = null;
  S.state = S.liveState || S.state;
  document.body.classList.remove("replay");
  $("#replay-banner").hidden = true;
  setText("#hist-caption", "waiting for the first batch…");
  setText("#examples-caption", "kept in the last batch");
  const u = new URL(location.href);
  u.searchParams.delete("run");
  history.replaceState(null, "", u.pathname + (u.search ? u.search : ""));
  // A fresh connection replays hello and the history.
  if (S.ws) S.ws.close();
  refreshFragment("controls");
}

function runErr(msg) {
  const el = $('[data-err-for="runs"]');
  if (el) {
    el.textContent = msg;
    el.classList.toggle("on", !!msg);
  }
}

document.addEventListener("click", async (ev) => {
  const b = ev.target.closest("[data-run-action]");
  if (!b) return;
  runErr("");
  const act = b.dataset.runAction;
  try {
    if (act === "open") {
      await openRuns([b.dataset.run]);
      const u = new URL(location.href);
      u.searchParams.set("run", b.dataset.run);
      history.replaceState(null, "", u.pathname + u.search);
    } else if (act === "compare") {
      const ids = $$(".run-pick:checked").map((c) => c.value);
      if (ids.length < 2) {
        runErr("tick two runs to compare, or several seeds of one config (" + ids.length + " ticked)");
        return;
      }
      await openRuns(ids);
    } else if (act === "rename") {
      const name = window.prompt("New name for run #" + b.dataset.run + ":", b.dataset.name || "");
      if (name === null) return;
      const headers = { "Content-Type": "application/json" };
      if (S.token) headers["X-Control-Token"] = S.token;
      await getJSON("/api/runs/" + encodeURIComponent(b.dataset.run) + "/name", { method: "POST", headers, body: JSON.stringify({ name }) });
      refreshFragment("runs");
    } else if (act === "pin") {
      // pinRun: a pinned run is never deleted to keep the store within
      // --keep-runs / --max-store-mb.
      const headers = { "Content-Type": "application/json" };
      if (S.token) headers["X-Control-Token"] = S.token;
      await getJSON("/api/runs/" + encodeURIComponent(b.dataset.run) + "/pin", { method: "POST", headers, body: JSON.stringify({ pinned: b.dataset.pinned !== "true" }) });
      refreshFragment("runs");
    } else if (act === "delete") {
      if (!window.confirm("Delete run #" + b.dataset.run + "? This cannot be undone.")) return;
      const headers = S.token ? { "X-Control-Token": S.token } : {};
      await getJSON("/api/runs/" + encodeURIComponent(b.dataset.run), { method: "DELETE", headers });
      refreshFragment("runs");
    }
  } catch (e) {
    runErr(e.message);
  }
});

// The list is refreshed from the server (after a reset, every 15 s):
// the runs ticked for a comparison stay ticked. A refresh that lists the
// same runs with the same names and actions (the live run's step count and
// accuracy move on) updates those numbers in place instead of replacing the
// list, so that a row, a tick box or a button is never swapped out under
// the user's pointer.
let picked = [];
document.body.addEventListener("htmx:beforeSwap", (ev) => {
  if (!(ev.detail && ev.detail.target && ev.detail.target.id === "runs")) return;
  const cur = $("#runs");
  const tpl = document.createElement("template");
  tpl.innerHTML = ev.detail.serverResponse || "";
  const fresh = tpl.content.querySelector("#runs");
  if (ev.detail.xhr && ev.detail.xhr.status === 200 && cur && fresh && patchRuns(cur, fresh)) {
    ev.detail.shouldSwap = false;
    return;
  }
  picked = $$(".run-pick:checked").map((c) => c.value);
});

// runsShape is what a refresh may not change for the list to be updated
// in place: the rows, their names, badges and actions.
function runsShape(sec) {
  return Array.from(sec.querySelectorAll("tr[data-run]")).map((r) => r.dataset.run + "|" + r.className + "|" + ((r.querySelector(".run-name") || {}).outerHTML || "") + "|" + ((r.querySelector(".run-actions") || {}).outerHTML || "")).join("\n") +
    "\n" + Array.from(sec.children).filter((c) => c.tagName !== "TABLE").map((c) => c.outerHTML).join("");
}

// patchRuns updates the list cur to fresh in place when only the numbers
// changed; false when the list itself changed (then it is swapped).
function patchRuns(cur, fresh) {
  if (runsShape(cur) !== runsShape(fresh)) return false;
  const rows = new Map(Array.from(fresh.querySelectorAll("tr[data-run]")).map((r) => [r.dataset.run, r]));
  cur.querySelectorAll("tr[data-run]").forEach((r) => {
    const f = rows.get(r.dataset.run);
    for (const sel of [".run-sub", ".run-acc"]) {
      const a = r.querySelector(sel), b = f && f.querySelector(sel);
      if (a && b) setText(a, b.textContent);
    }
  });
  // The region's data attributes follow the server's (data-count; a mark
  // a test left on the old list goes).
  for (const k of Object.keys(cur.dataset)) if (!(k in fresh.dataset)) delete cur.dataset[k];
  for (const [k, v] of Object.entries(fresh.dataset)) if (cur.dataset[k] !== v) cur.dataset[k] = v;
  return true;
}
document.body.addEventListener("htmx:afterSwap", (ev) => {
  if (ev.detail && ev.detail.target && ev.detail.target.id === "runs") $$(".run-pick").forEach((c) => (c.checked = picked.includes(c.value)));
});

canvasCharts.datamap = {
  canvas: () => $("#datamap-canvas"),
  title: "Data map: confidence × variability, colour = times selected",
  csv: () =>
    csvOf(["example", "label", "clean_label", "flipped", "confidence", "variability", "selected", "seen", "forgets", "mean_loss"],
      ((dm && dm.points) || []).map((p) => [p.id, p.label, p.clean_label, p.flipped ? 1 : 0, p.confidence, p.variability, p.selected, p.seen, p.forgets, p.mean_loss])),
};

export function initViews() {
  initDataMap();
  const live = $("#btn-live");
  live && live.addEventListener("click", backToLive);
  const run = new URLSearchParams(location.search).get("run");
  if (run) openRuns([run]).catch((e) => runErr(e.message));
}

