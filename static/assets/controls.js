// OHEM Lab client: the control panel. Changes go to the server as
// websocket messages; a rejected value goes back to the value in force
// with the server's reason next to it; the buttons follow the run's state
// and the viewer's role.

import { $, $$, fmt, tick } from "./util.js";
import { S, refreshFragment } from "./state.js";

// send sends a control message with the control token when there is one and
// returns its id. The request remembers which control sent it.
export function send(msg, field, armIdx, el) {
  const id = "r" + S.nextID++;
  msg.id = id;
  if (S.token) msg.token = S.token;
  S.requests.set(id, { field: field || msg.type, arm: armIdx, el: el || null });
  if (S.requests.size > 200) S.requests.delete(S.requests.keys().next().value);
  if (S.ws && S.ws.readyState === WebSocket.OPEN) {
    S.ws.send(JSON.stringify(msg));
  } else {
    showError(field || msg.type, armIdx, "not connected to the server");
    revert(el);
  }
  return id;
}

// ---- errors next to the controls ----

function errSlot(field, armIdx) {
  const cands = $$('[data-err-for="' + CSS.escape(field) + '"]');
  if (armIdx !== undefined && armIdx !== null) {
    const hit = cands.find((e) => e.dataset.arm === String(armIdx));
    if (hit) return hit;
  }
  return cands.find((e) => e.dataset.arm === undefined) || cands[0] || $('[data-err-for="reset"]');
}

export function showError(field, armIdx, msg) {
  const e = errSlot(field, armIdx);
  if (e) {
    e.textContent = msg;
    e.classList.add("on");
  }
  const input = inputFor(field, armIdx);
  if (input) input.setAttribute("aria-invalid", "true");
}

export function clearError(field, armIdx) {
  const e = errSlot(field, armIdx);
  if (e) {
    e.textContent = "";
    e.classList.remove("on");
  }
  const input = inputFor(field, armIdx);
  if (input) input.removeAttribute("aria-invalid");
}

function inputFor(field, armIdx) {
  const sel = '[data-field="' + CSS.escape(field) + '"]' + (armIdx !== undefined && armIdx !== null && field !== "k" ? '[data-arm="' + armIdx + '"]' : "");
  return $(sel + ":is(input,select)");
}

// revert puts the value in force back into a control whose change the
// server refused.
function revert(input) {
  if (!input || !S.state || !S.state.config) return;
  const v = valueInForce(S.state.config, input);
  if (v !== undefined && v !== null) input.value = String(v);
  updateRatios();
}

export function onError(m) {
  const req = m.id ? S.requests.get(m.id) : null;
  if (req) {
    S.requests.delete(m.id);
    revert(req.el);
    const now = req.el && req.el.tagName !== "BUTTON" ? " (still " + req.el.value + ")" : "";
    // The server names the field it refused when it can (m.field, m.arm).
    showError(m.field || req.field, m.field ? m.arm : req.arm, m.error + now);
  } else if (m.field) {
    showError(m.field, m.arm, m.error);
  } else {
    showError("reset", null, m.error);
  }
}

export function onAck(m) {
  const req = m.id ? S.requests.get(m.id) : null;
  if (!req) return;
  S.requests.delete(m.id);
  clearError(req.field, req.arm);
}

// ---- values ----

// readValue reads a control; an input's kind (data-kind, from the server's
// field table) says whether it is a whole number.
function readValue(input) {
  if (input.tagName === "SELECT") return input.value;
  if (input.value.trim() === "") return null;
  const v = Number(input.value);
  if (!isFinite(v)) return input.value;
  return input.dataset.kind === "int" ? Math.round(v) : v;
}

// valueInForce reads the value a control shows out of a config.
function valueInForce(cfg, input) {
  const f = input.dataset.field;
  switch (f) {
    case "k":
      return cfg.k;
    case "speed_cap":
      return cfg.speed_cap || 0;
    case "seed":
      return cfg.seed;
    case "label_noise":
      return (cfg.data && cfg.data.label_noise) || 0;
    case "dataset":
      return cfg.data && cfg.data.name;
  }
  const a = (cfg.arms || [])[Number(input.dataset.arm || 0)];
  if (!a) return undefined;
  const sp = a.select || {};
  switch (f) {
    case "strategy":
    case "m":
      return sp[f];
    case "lr":
      return a.lr;
    case "exec":
      return a.exec || "twopass";
    case "focal_gamma":
      return a.focal_gamma || 0;
    default:
      return sp[f] || undefined;
  }
}

// writeControls copies a config into the inputs: all of them with force
// (a saved run on screen), else all but the one being edited.
export function writeControls(cfg, force) {
  if (!cfg) return;
  $$("#controls [data-field]:is(input,select)").forEach((input) => {
    if (!force && input === document.activeElement) return;
    const v = valueInForce(cfg, input);
    if (v === undefined || v === null) return;
    if (input.value !== String(v)) input.value = String(v);
  });
  (cfg.arms || []).forEach((a, i) => {
    const n = $('#controls fieldset[data-arm="' + i + '"] .arm-name');
    const name = a.name || (a.select && a.select.strategy) || "";
    if (n && n.textContent !== name) n.textContent = name;
    const fs = $('#controls fieldset[data-arm="' + i + '"]');
    if (fs) fs.dataset.strategy = (a.select && a.select.strategy) || "";
  });
  const note = $("#speed-note");
  if (note) {
    const cap = cfg.speed_cap || 0;
    note.hidden = !(cap > 0);
    const t = "Paced for a class: at most " + tick(cap) + " steps/s. Set 0 to train at full speed.";
    if (note.textContent !== t) note.textContent = t;
  }
  updateRatios();
}

export function updateRatios() {
  const k = Number(($("#ctl-k") || {}).value);
  $$("output.ratio").forEach((o) => {
    const m = Number(($('input[data-field="m"][data-arm="' + o.dataset.arm + '"]') || {}).value);
    o.textContent = k > 0 && m > 0 ? "= " + fmt(m / k) + " of K" : "";
  });
}

// ---- role and buttons ----

// lockControls disables (or enables) every control: the controls panel and
// the saved runs' rename and delete.
export function lockControls(locked) {
  $$("#controls input, #controls select, #controls button, #controls fieldset, #runs [data-run-action=rename], #runs [data-run-action=delete]").forEach((e) => {
    e.disabled = locked;
  });
  if (!locked) updateButtons();
}

export function applyRole() {
  const viewer = S.role !== "control";
  document.body.classList.toggle("role-viewer", viewer);
  document.body.classList.toggle("role-control", !viewer);
  document.body.dataset.role = viewer ? "viewer" : "control";
  const badge = $("#role");
  if (badge) badge.textContent = viewer ? "viewer" : "control";
  const ban = $("#viewer-banner");
  if (ban) ban.hidden = !viewer;
  lockControls(viewer || !!S.replay);
}

// updateButtons: Play only when not running, Pause only when running, Step
// only while paused.
export function updateButtons() {
  const st = S.state && S.state.status;
  const locked = S.role !== "control" || !!S.replay;
  const play = $("#btn-play"), pause = $("#btn-pause"), step = $("#btn-step");
  if (play) {
    play.disabled = locked || st === "running";
    play.classList.toggle("primary", st !== "running");
  }
  if (pause) pause.disabled = locked || st !== "running";
  if (step) {
    step.disabled = locked || st !== "paused";
    step.title = st === "paused" ? "Run one batch" : "Step runs one batch while paused: pause first";
  }
}

// ---- events ----

export function initControls(sendReset) {
  document.addEventListener("change", (ev) => {
    const input = ev.target;
    if (!input.dataset || !input.dataset.field || !input.closest("#controls")) return;
    if (S.replay || S.role !== "control") return;
    const field = input.dataset.field;
    const v = readValue(input);
    if (v === null) {
      revert(input);
      return;
    }
    const armIdx = input.dataset.arm !== undefined ? Number(input.dataset.arm) : undefined;
    if (input.dataset.reset) {
      sendReset((cfg) => {
        if (field === "dataset") {
          cfg.data = { name: v, label_noise: cfg.data.label_noise };
          cfg.model = {};
          // A 2-D set trains in milliseconds per step: start it at a pace a
          // class can follow (the speed cap field lifts it).
          cfg.speed_cap = /^mnist/.test(v) ? 0 : LECTURE_PACE;
        }
        if (field === "label_noise") cfg.data.label_noise = v;
        if (field === "seed") cfg.seed = v;
      }, field, input);
      return;
    }
    if (field === "speed_cap") {
      send({ type: "speed", steps_per_s: v }, field, undefined, input);
      return;
    }
    const msg = { type: "set", [field]: v };
    if (armIdx !== undefined) msg.arm = armIdx;
    send(msg, field, armIdx, input);
    if (field === "m" || field === "k") updateRatios();
  });
  document.addEventListener("input", (ev) => {
    const f = ev.target.dataset && ev.target.dataset.field;
    if (f === "m" || f === "k") updateRatios();
  });
  // Folded controls (viewers on small screens) open from their heading.
  document.addEventListener("click", (ev) => {
    const h = ev.target.closest && ev.target.closest("#controls > h2");
    if (h) h.parentElement.classList.toggle("unfolded");
  });
}

// LECTURE_PACE is the speed cap (steps/s) the 2-D presets start with.
export const LECTURE_PACE = 20;
