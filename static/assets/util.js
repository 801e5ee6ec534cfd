// OHEM Lab client: shared helpers. Plain modern JS, no build step; every
// file adds to the one global namespace window.OHEM.
"use strict";

(function () {
  const O = (window.OHEM = window.OHEM || {});

  O.$ = (sel, root) => (root || document).querySelector(sel);
  O.$$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // Colours: arm A, arm B; kept vs dropped; the cut line.
  O.colors = {
    arms: ["#2563eb", "#ea580c", "#16a34a", "#9333ea"],
    armsFill: ["rgba(37,99,235,0.14)", "rgba(234,88,12,0.14)"],
    kept: "#dc2626",
    dropped: "#94a3b8",
    cut: "#111827",
    grid: "rgba(100,116,139,0.18)",
    text: "#334155",
    flipped: "#d97706",
  };

  // fmt formats a number compactly: 3 significant digits, k/M suffixes.
  O.fmt = function (x, digits) {
    if (x === null || x === undefined || !isFinite(x)) return "–";
    const d = digits || 3;
    const a = Math.abs(x);
    if (a >= 1e6) return (x / 1e6).toPrecision(d) + "M";
    if (a >= 1e4) return (x / 1e3).toPrecision(d) + "k";
    if (a >= 100) return Math.round(x).toString();
    if (a === 0) return "0";
    return x.toPrecision(d);
  };

  // flops formats a FLOP count with an SI prefix, e.g. "1.52 TFLOP".
  O.flops = function (x) {
    if (x === null || x === undefined || !isFinite(x)) return "–";
    const units = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (const [f, u] of units) if (Math.abs(x) >= f) return (x / f).toPrecision(3) + " " + u + "FLOP";
    return String(Math.round(x)) + " FLOP";
  };

  // REACH_WINDOW and reach implement the crossing rule of every "reach X%"
  // figure (the same as trainer.Reach): a run reaches the target at the
  // first evaluation at which the mean test accuracy of the last
  // REACH_WINDOW evaluations is at or above it, so one lucky evaluation
  // cannot decide it. reach returns that evaluation's index, or -1.
  O.REACH_WINDOW = 3;
  O.reach = function (accs, target) {
    const w = O.REACH_WINDOW;
    let sum = 0;
    for (let i = 0; i < accs.length; i++) {
      sum += accs[i];
      if (i >= w) sum -= accs[i - w];
      if (i >= w - 1 && sum / w >= target - 1e-12) return i;
    }
    return -1;
  };

  // pct formats a share in [0,1] as a percentage.
  O.pct = function (x, digits) {
    if (x === null || x === undefined || !isFinite(x)) return "–";
    return (100 * x).toFixed(digits === undefined ? 1 : digits) + "%";
  };

  // fitCanvas sizes a canvas's backing store to its CSS box times the
  // device pixel ratio and returns a 2-D context scaled to CSS pixels, with
  // the CSS width and height.
  O.fitCanvas = function (canvas) {
    const box = canvas.parentElement.getBoundingClientRect();
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
  };

  // font returns a canvas font string scaled for large-type mode.
  O.font = function (px, weight) {
    const s = document.body.classList.contains("large") ? 1.35 : 1;
    return (weight || "") + " " + Math.round(px * s) + "px system-ui, sans-serif";
  };

  // viridis maps t in [0,1] to a perceptually ordered colour.
  const vir = [
    [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
  ];
  O.viridis = function (t) {
    t = Math.min(1, Math.max(0, t || 0)) * (vir.length - 1);
    const i = Math.min(vir.length - 2, Math.floor(t));
    const f = t - i;
    const a = vir[i], b = vir[i + 1];
    return "rgb(" + [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))).join(",") + ")";
  };

  // getJSON fetches a URL and parses JSON, rejecting with the server's
  // error message on a non-2xx status.
  O.getJSON = async function (url, opts) {
    const res = await fetch(url, opts);
    let body = null;
    const text = await res.text();
    try {
      body = text ? JSON.parse(text) : null;
    } catch (e) {
      body = null;
    }
    if (!res.ok) {
      const msg = (body && body.error) || text || res.statusText;
      throw new Error(msg);
    }
    return body;
  };

  // throttle returns fn wrapped to run at most once per ms, trailing call
  // kept.
  O.throttle = function (fn, ms) {
    let last = 0, timer = null;
    return function () {
      const now = Date.now();
      const run = () => { last = Date.now(); timer = null; fn(); };
      if (now - last >= ms) run();
      else if (!timer) timer = setTimeout(run, ms - (now - last));
    };
  };
})();
