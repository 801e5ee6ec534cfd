// OHEM Lab client: shared helpers (DOM lookup, number formats, canvas
// sizing, colours, fetch). No state lives here: state.js owns it.

export const $ = (sel, root) => (root || document).querySelector(sel);
export const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

// colors: arms A-D; kept vs dropped; the cut line.
export const colors = {
  arms: ["#2563eb", "#ea580c", "#16a34a", "#9333ea"],
  kept: "#dc2626",
  dropped: "#94a3b8",
  cut: "#111827",
  grid: "rgba(100,116,139,0.18)",
  text: "#334155",
  flipped: "#d97706",
};

// fmt formats a number with 3 significant digits and a leading zero
// (0.720, not .72 or 7.2e-1): k/M suffixes for large values, exponent
// notation below 0.001.
export function fmt(x, digits) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  const d = digits || 3;
  const a = Math.abs(x);
  if (a === 0) return "0";
  if (a >= 1e6) return trim((x / 1e6).toPrecision(d)) + "M";
  if (a >= 1e4) return trim((x / 1e3).toPrecision(d)) + "k";
  if (a >= 100) return Math.round(x).toString();
  if (a < 1e-3) return x.toExponential(d - 1).replace(/\.?0+e/, "e");
  return x.toPrecision(d);
}

// tick formats an axis tick: fmt without trailing zeros (0.2, not 0.200).
export function tick(x) {
  const s = fmt(x);
  return /e/.test(s) ? s : trim(s);
}

function trim(s) {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

// flops formats a FLOP count with an SI prefix, e.g. "1.52 TFLOP".
export function flops(x) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  const units = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [f, u] of units) if (Math.abs(x) >= f) return (x / f).toPrecision(3) + " " + u + "FLOP";
  return String(Math.round(x)) + " FLOP";
}

// REACH_WINDOW and reach implement the crossing rule of every "reach X%"
// figure (the same as trainer.Reach): a run reaches the target at the first
// evaluation at which the mean test accuracy of the last REACH_WINDOW
// evaluations is at or above it, so one lucky evaluation cannot decide it.
// reach returns that evaluation's index, or -1.
export const REACH_WINDOW = 3;
export function reach(accs, target) {
  const w = REACH_WINDOW;
  let sum = 0;
  for (let i = 0; i < accs.length; i++) {
    sum += accs[i];
    if (i >= w) sum -= accs[i - w];
    if (i >= w - 1 && sum / w >= target - 1e-12) return i;
  }
  return -1;
}

// pct formats a share in [0,1] as a percentage.
export function pct(x, digits) {
  if (x === null || x === undefined || !isFinite(x)) return "–";
  return (100 * x).toFixed(digits === undefined ? 1 : digits) + "%";
}

// setText sets an element's text when it differs (no layout work otherwise).
export function setText(sel, t) {
  const el = typeof sel === "string" ? $(sel) : sel;
  if (el && el.textContent !== t) el.textContent = t;
}

// el creates an element with a class and text.
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// boxSize returns an element's border-box size (CSS px) as a
// ResizeObserver last reported it, so that drawing never reads layout (a
// read after the page changed forces the browser to lay it out at once).
// The first call, and a call while the cached box is empty (the element
// was hidden), measure it.
const sizes = new WeakMap();
const sizeWatch = new ResizeObserver((entries) => {
  for (const e of entries) {
    const b = e.borderBoxSize && e.borderBoxSize[0];
    sizes.set(e.target, b ? { width: b.inlineSize, height: b.blockSize } : { width: e.contentRect.width, height: e.contentRect.height });
  }
});
export function boxSize(el) {
  let s = sizes.get(el);
  if (!s || !(s.width > 0 && s.height > 0)) {
    const r = el.getBoundingClientRect();
    if (!s) sizeWatch.observe(el);
    s = { width: r.width, height: r.height };
    sizes.set(el, s);
  }
  return s;
}

// fitCanvas sizes a canvas's backing store to its box times the device
// pixel ratio and returns a 2-D context scaled to CSS pixels, with the CSS
// width and height. The box's size comes from boxSize: drawing does not
// force a layout.
export function fitCanvas(canvas) {
  const box = boxSize(canvas.parentElement);
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.floor(box.width));
  const h = Math.max(1, Math.floor(box.height));
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = w + "px";
    canvas.style.height = h + "px";
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

// large reports whether the page is in large type (projector mode).
export function large() {
  return document.body.classList.contains("large");
}

// font returns a canvas font string scaled for large type.
export function font(px, weight) {
  const s = large() ? 1.35 : 1;
  return (weight || "") + " " + Math.round(px * s) + "px system-ui, sans-serif";
}

// niceTicks returns about n evenly spaced round values covering [lo, hi]
// (steps of 1, 2 or 5 times a power of ten).
export function niceTicks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, n);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

const vir = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

// viridis maps t in [0,1] to a perceptually ordered colour.
export function viridis(t) {
  t = Math.min(1, Math.max(0, t || 0)) * (vir.length - 1);
  const i = Math.min(vir.length - 2, Math.floor(t));
  const f = t - i;
  const a = vir[i], b = vir[i + 1];
  return "rgb(" + [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))).join(",") + ")";
}

// getJSON fetches a URL and parses JSON, rejecting with the server's error
// message on a non-2xx status.
export async function getJSON(url, opts) {
  const res = await fetch(url, opts);
  let body = null;
  const text = await res.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    body = null;
  }
  if (!res.ok) throw new Error((body && body.error) || text || res.statusText);
  return body;
}

// throttle returns fn wrapped to run at most once per ms, trailing call kept.
export function throttle(fn, ms) {
  let last = 0, timer = null;
  return function () {
    const now = Date.now();
    const run = () => { last = Date.now(); timer = null; fn(); };
    if (now - last >= ms) run();
    else if (!timer) timer = setTimeout(run, ms - (now - last));
  };
}

// download saves a blob under a file name.
export function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// csvOf turns a header and rows into CSV text.
export function csvOf(header, rows) {
  const cell = (v) => {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "";
    const s = String(v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n";
}
