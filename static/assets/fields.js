// OHEM Lab client: the experiment fields as people read them. This is the
// one place the page learns a field's display name, unit and input kind;
// when the server publishes its field table (GET /api/schema) it replaces
// these built-in entries, so marker labels and inputs follow the server.

import { fmt } from "./util.js";

// builtin maps a config field key (as in a config frame's "changed", with
// "arms[i]." removed) to its display name and how its values read.
const builtin = {
  dataset: { name: "dataset", kind: "enum" },
  label_noise: { name: "label noise", kind: "float" },
  seed: { name: "seed", kind: "int" },
  k: { name: "K", kind: "int" },
  m: { name: "M", kind: "int" },
  strategy: { name: "strategy", kind: "enum" },
  name: { name: "arm name", kind: "text" },
  lr: { name: "lr", kind: "float" },
  exec: { name: "exec", kind: "enum" },
  focal_gamma: { name: "focal γ", kind: "float" },
  focal_alpha: { name: "focal α", kind: "float" },
  thresh: { name: "threshold p", kind: "float" },
  min_kept: { name: "min kept", kind: "int" },
  neg_pos: { name: "neg:pos", kind: "float" },
  min_neg: { name: "min negatives", kind: "int" },
  beta: { name: "β", kind: "float" },
  refresh: { name: "refresh", kind: "int", unit: "steps" },
  pool: { name: "pool", kind: "int" },
  hard: { name: "hard", kind: "int" },
  speed_cap: { name: "speed cap", kind: "float", unit: "steps/s", zero: "off" },
  eval_every: { name: "eval every", kind: "int", unit: "steps" },
};

let table = builtin;

// SCHEMA_URL is where the server publishes its field table; null until the
// server has one (asking a server without it would log a 404 per load).
const SCHEMA_URL = null;

// loadSchema asks the server for its field table and uses it when there is
// one (a server without it answers 404: the built-in table stays).
export async function loadSchema() {
  if (!SCHEMA_URL) return;
  try {
    const res = await fetch(SCHEMA_URL);
    if (!res.ok) return;
    const body = await res.json();
    const list = Array.isArray(body) ? body : body && Array.isArray(body.fields) ? body.fields : null;
    if (!list) return;
    const next = Object.assign({}, builtin);
    for (const f of list) {
      if (!f || !f.key) continue;
      const key = String(f.key).replace(/^arms\[\d+\]\./, "").replace(/^(select|data)\./, "");
      next[key] = Object.assign({}, next[key] || {}, {
        name: f.display || f.label || f.name || (next[key] && next[key].name) || key,
        kind: f.kind || (next[key] && next[key].kind),
        unit: f.unit || (next[key] && next[key].unit),
      });
    }
    table = next;
  } catch (e) {
    // no schema: keep the built-in names
  }
}

// fieldKey splits a changed-field name such as "arms[1].m" into the field
// key and the arm index (null for run-wide fields).
export function fieldKey(changed) {
  const m = /^arms\[(\d+)\]\.(.+)$/.exec(changed);
  return m ? { key: m[2], arm: Number(m[1]) } : { key: changed, arm: null };
}

// displayName is how the page names a field.
export function displayName(key) {
  const f = table[key];
  return f ? f.name : key.replace(/_/g, " ");
}

// valueOf reads a field's value out of a whole config.
export function valueOf(cfg, key, arm) {
  if (!cfg) return undefined;
  if (arm !== null && arm !== undefined) {
    const a = (cfg.arms || [])[arm];
    if (!a) return undefined;
    if (key in a) return a[key];
    return (a.select || {})[key];
  }
  if (key in cfg) return cfg[key];
  if (cfg.data && key === "dataset") return cfg.data.name;
  if (cfg.data && key in cfg.data) return cfg.data[key];
  return undefined;
}

// showValue formats a field's value for a marker or a saved run's name.
export function showValue(key, v) {
  const f = table[key] || {};
  if (v === undefined || v === null || v === "") return f.kind === "float" || f.kind === "int" ? "0" : "–";
  if (typeof v === "number") {
    if (v === 0 && f.zero) return f.zero;
    return f.kind === "int" ? String(Math.round(v)) : fmt(v);
  }
  return String(v);
}

// changeLabels turns one config change into the texts of its marker, such
// as "M 32→4" or "B strategy topk→threshold" (the arm letter when the run
// has more than one arm). prev is the config before the change.
export function changeLabels(prev, next, changed) {
  const arms = (next && next.arms && next.arms.length) || 1;
  const out = [];
  for (const c of changed || []) {
    const { key, arm } = fieldKey(c);
    // A default arm name follows its strategy: the strategy's label says it.
    if (key === "name" && (changed || []).includes("arms[" + arm + "].strategy")) continue;
    const before = showValue(key, valueOf(prev, key, arm));
    const after = showValue(key, valueOf(next, key, arm));
    const who = arm !== null && arms > 1 ? String.fromCharCode(65 + arm) + " " : "";
    out.push(who + displayName(key) + " " + (prev ? before + "→" : "") + after);
  }
  return out;
}
