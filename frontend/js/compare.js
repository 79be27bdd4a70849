// Two or three runs side by side: their learning curves overlaid on one chart, and their
// decision boundaries next to each other at the same step.
//
// The classic lesson is "same start, different η": branch a run at a step (the timeline's
// "Branch here"), change one thing, play, then open /compare?runs=A,B. Each run is named
// by what sets it apart (η = 0.1 against η = 1), so the legend says what the lesson is.
// The page is a link: /compare?runs=<id>,<id>[,<id>]&step=<t> reopens it as it was, while
// the server still holds the runs (sessions live in memory and expire when idle).

import * as api from "./api.js";
import { startPlotly } from "./plotly.js";
import { decode } from "./typed.js";
import { CLASS_COLORS, CLASS_SYMBOLS } from "./views/colors.js";

const RUN_LETTERS = ["A", "B", "C"];
// Runs differ by dash and by shade of ink: the class colours are the boundaries' (beside
// these charts), so a run drawn in orange would read as class 1.
const RUN_STYLES = [
  { color: "#000000", dash: "solid" },
  { color: "#4d5566", dash: "dash" },
  { color: "#8a93a3", dash: "dot" },
];
const GRID = 60; // boundary resolution: enough for a 380-pixel panel
const SYMBOLS = {
  "train.learning_rate": "η", "train.batch_size": "batch", "train.momentum": "μ", "train.l2": "λ",
  "train.seed": "sampling seed", "model.activation": "activation", "model.hidden": "hidden",
  "model.features": "features", "model.init_seed": "init seed",
};
const FONT = { family: "system-ui, sans-serif", size: 15, color: "#1d2330" };

const status = document.getElementById("compare-status");
const main = document.querySelector("main.compare");
const slider = document.getElementById("compare-step");
const sliderValue = document.getElementById("compare-step-value");
const boundaries = document.getElementById("compare-boundaries");

const params = new URLSearchParams(location.search);
const ids = (params.get("runs") ?? "").split(",").map((s) => s.trim()).filter(Boolean);

function say(text) {
  status.textContent = text;
}

/** Every config value by its dotted name: {"train.learning_rate": 0.1, …}. */
function flatten(config) {
  const out = {};
  for (const [section, values] of Object.entries(config)) {
    if (values && typeof values === "object" && !Array.isArray(values)) {
      for (const [key, value] of Object.entries(values)) out[`${section}.${key}`] = JSON.stringify(value);
    } else out[section] = JSON.stringify(values);
  }
  return out;
}

/** "A · η = 1" — each run named by the settings in which the runs differ. */
function runNames(states) {
  const flat = states.map((s) => flatten(s.config));
  const keys = Object.keys(flat[0]).filter((k) => flat.some((f) => f[k] !== flat[0][k]));
  return flat.map((f, i) => {
    const parts = keys.slice(0, 3).map((k) => `${SYMBOLS[k] ?? k} = ${JSON.parse(f[k] ?? "null")}`);
    return parts.length ? `${RUN_LETTERS[i]} · ${parts.join(", ")}` : RUN_LETTERS[i];
  });
}

const series = (spec) => Array.from(decode(spec).data);

function drawCurves(histories, names) {
  const layout = (title, yTitle, extra = {}) => ({
    title: { text: title, x: 0.02, font: { size: 18 } }, font: FONT,
    margin: { l: 70, r: 20, t: 50, b: 55 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
    xaxis: { title: { text: "step" }, exponentformat: "none", zeroline: false },
    yaxis: { title: { text: yTitle }, exponentformat: "power", zeroline: false, ...extra },
    legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom" }, // above the lines
  });
  const lines = (key) => histories.map((h, i) => ({
    type: "scatter", mode: "lines", name: names[i], x: series(h.step), y: series(h[key]),
    line: { ...RUN_STYLES[i], width: 3 },
  }));
  const config = { displaylogo: false, responsive: true };
  window.Plotly.react("compare-loss", lines("train_loss"), layout("Training loss J", "loss"), config);
  window.Plotly.react("compare-accuracy", lines("test_accuracy"), layout("Test accuracy", "share correct", { range: [0, 1.02] }), config);
}

/** The boundary of one run at `step`: P(class) as colour under the training points. */
async function drawBoundary(panel, id, name, step) {
  const base = `/api/sessions/${id}`;
  const [state, grid] = await Promise.all([
    api.getJSON(`${base}?step=${step}`),
    api.getJSON(`${base}/boundary?step=${step}&resolution=${GRID}`),
  ]);
  const K = state.dataset.classes;
  const probabilities = grid.probabilities.map((spec) => decode(spec));
  const side = grid.resolution;
  const x1 = series(grid.x1);
  const x2 = series(grid.x2);
  // Each grid point in the colour of its likeliest class, paler the less sure the network is.
  const predicted = Array.from(decode(grid.predicted).data);
  const confidence = predicted.map((k, i) => probabilities[k].data[i]);
  const z = [];
  for (let r = 0; r < side; r += 1) z.push(predicted.slice(r * side, (r + 1) * side).map((k, c) => k + 0.999 * confidence[r * side + c])); // p = 1 stays in its band
  // z = k + 0.999p on [0, K]: class k's band runs from white (p ≤ 1/K, a coin toss) to its
  // colour (p = 1, sure); a boundary is where two bands meet.
  const colorscale = [];
  for (let k = 0; k < K; k += 1) {
    const end = k === K - 1 ? 1 : (k + 1) / K - 1e-6;
    colorscale.push([k / K, "#ffffff"], [(k + 1 / K) / K, "#ffffff"], [end, pale(CLASS_COLORS[k])]);
  }
  const xy = decode(state.dataset.x_train);
  const labels = Array.from(decode(state.dataset.y_train).data);
  const points = Array.from({ length: K }, (_, k) => {
    const rows = labels.flatMap((y, i) => (y === k ? [i] : []));
    return {
      type: "scatter", mode: "markers", name: `class ${k + 1}`, hoverinfo: "skip",
      x: rows.map((i) => xy.data[2 * i]), y: rows.map((i) => xy.data[2 * i + 1]),
      marker: { color: CLASS_COLORS[k], symbol: CLASS_SYMBOLS[k], size: 7, line: { color: "#fff", width: 1 } },
    };
  });
  const heat = { type: "heatmap", x: x1, y: x2, z, zmin: 0, zmax: K, colorscale, showscale: false, hoverinfo: "skip" };
  const accuracy = state.metrics.test_accuracy;
  panel.querySelector("h2").textContent = `${name} — step ${step.toLocaleString("en-US")}, test accuracy ${accuracy == null ? "–" : `${(100 * accuracy).toFixed(1)} %`}`;
  const [a, b, c, d] = grid.extent;
  await window.Plotly.react(panel.querySelector(".compare-plot"), [heat, ...points], {
    font: FONT, margin: { l: 50, r: 10, t: 10, b: 45 }, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
    xaxis: { title: { text: "x₁" }, range: [a, b], zeroline: false, constrain: "domain" },
    yaxis: { title: { text: "x₂" }, range: [c, d], zeroline: false, scaleanchor: "x", constrain: "domain" },
  }, { displaylogo: false, responsive: true });
  panel.dataset.step = String(step);
}

function pale(hex) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (v) => Math.round(255 + (v - 255) * 0.55);
  return `rgb(${mix((n >> 16) & 255)},${mix((n >> 8) & 255)},${mix(n & 255)})`;
}

async function start() {
  if (ids.length < 2 || ids.length > 3) {
    say("Give two or three runs to compare: /compare?runs=<session id>,<session id>. “Branch here” on the lab's timeline makes a second run and links here.");
    return;
  }
  let states;
  try {
    states = await Promise.all(ids.map((id, i) => api.getJSON(`/api/sessions/${id}`).catch((err) => {
      throw new Error(`Run ${RUN_LETTERS[i]}: ${err.message}`);
    })));
  } catch (err) {
    say(err.message);
    return;
  }
  // The runs are named at once; their curves come with their histories and Plotly.js.
  const names = runNames(states);
  document.getElementById("compare-runs").replaceChildren(...names.map((name, i) => {
    const span = document.createElement("span");
    span.className = "compare-run"; // not app.css's .run (the top bar's group)
    span.textContent = `${name} (step ${states[i].step.toLocaleString("en-US")})`;
    span.style.color = RUN_STYLES[i].color;
    return span;
  }));
  const [histories] = await Promise.all([
    Promise.all(ids.map((id) => api.getJSON(`/api/sessions/${id}/history`))),
    startPlotly(),
  ]);
  drawCurves(histories, names);

  const first = Math.max(...states.map((s) => s.timeline.first ?? s.step));
  const last = Math.min(...states.map((s) => s.step));
  slider.min = String(first);
  slider.max = String(last);
  const wanted = Number(params.get("step"));
  slider.value = String(Number.isFinite(wanted) && params.has("step") ? Math.min(last, Math.max(first, wanted)) : last);
  const panels = names.map((name) => {
    const panel = document.createElement("div");
    panel.className = "compare-boundary";
    panel.innerHTML = '<h2></h2><div class="compare-plot" role="img"></div>';
    panel.querySelector(".compare-plot").setAttribute("aria-label", `Decision boundary of run ${name}`);
    boundaries.append(panel);
    return panel;
  });

  let drawing = null;
  let again = false;
  async function showStep() {
    if (drawing) {
      again = true;
      return;
    }
    const step = Number(slider.value);
    sliderValue.textContent = step.toLocaleString("en-US");
    params.set("step", String(step));
    history.replaceState(null, "", `?${String(params).replaceAll("%2C", ",")}`); // a link to read
    drawing = Promise.all(panels.map((panel, i) => drawBoundary(panel, ids[i], names[i], step)))
      .then(() => say(""), (err) => say(err.message));
    await drawing;
    drawing = null;
    main.setAttribute("aria-busy", "false");
    if (again) {
      again = false;
      showStep();
    }
  }
  slider.addEventListener("input", showStep);
  await showStep();
}

start();
