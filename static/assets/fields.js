// OHEM Lab client: the experiment fields as people read them, from the
// server's field table (GET /api/schema): display name, unit and value
// kind, so that marker labels follow the server. Inputs carry their kind
// in data-kind.

import { fmt } from "./util.js";

// table maps a config field key (as in a config frame's "changed", with
// "arms[i]." removed) to its display name, value kind, unit and what 0
// means. It is the server's field table (GET /api/schema), loaded once at
// start: nothing about the fields is written here.
let table = {};

// SCHEMA_URL is where the server publishes its field table.
const SCHEMA_URL = "/api/schema";

// KINDS maps the schema's kinds to how this page formats values.
const KINDS = { int: "int", number: "float", choice: "enum", text: "text", widths: "text" };

// loadSchema asks the server for its field table and uses it when there is
// one (without it, fields are named by their keys).
export async function loadSchema() {
  if (!SCHEMA_URL) return;
  try {
    const res = await fetch(SCHEMA_URL);
    if (!res.ok) return;
    const body = await res.json();
    const list = Array.isArray(body) ? body : body && Array.isArray(body.fields) ? body.fields : null;
    if (!list) return;
    const next = {};
    for (const f of list) {
      if (!f || !f.key) continue;
      next[f.key] = {
        // Markers read like "M 32→4", "strategy topk→threshold".
        name: f.symbol || String(f.label || f.key).toLowerCase(),
        kind: KINDS[f.kind] || "text",
        unit: f.unit || undefined,
        zero: f.zero || undefined,
      };
    }
    table = next;
  } catch (e) {
    // no schema: fields are named by their keys
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
