// Matrices panel: every weight matrix beside its gradient ∂J/∂W (diverging colours centred on
// 0), and the delta maps δ^(z)_j = ∂J/∂z_j of every hidden unit over the input plane.
// Charts are drawn with Plotly.react; while the tab is hidden only the newest frame is kept.

import {
  DIVERGING, FONT, baseLayout, decode, el, header, maxAbs, nested, presenting, react, values, waiting,
} from "./panel_common.js";
import { whenVisible } from "./panel_visibility.js";
import { symbolNode } from "./eq_render.js";
import { sci } from "../format.js";

const SUBSCRIPT = (n) => String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
const FEATURE_LABELS = {
  x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", sin_x1: "sin x₁", sin_x2: "sin x₂",
};

/** Column labels of a layer's W: the features for the first, h₁… (or h^(l)) for the others. */
function inputLabels(index, width, state, layers) {
  if (index === 0) {
    const features = state.features ?? [];
    return Array.from({ length: width }, (_, j) => FEATURE_LABELS[features[j]] ?? `x${SUBSCRIPT(j + 1)}`);
  }
  // One hidden layer: h₁ … h₈ as on the slides; deeper: h₂[3] is unit 3 of layer 2.
  const unit = layers.length > 2 ? (j) => `h${SUBSCRIPT(index)}[${j + 1}]` : (j) => `h${SUBSCRIPT(j + 1)}`;
  return Array.from({ length: width }, (_, j) => unit(j));
}

function outputLabels(layer, height, isLast, deep) {
  const base = isLast ? "v" : "z";
  const layerNo = layer.name.replace(/\D/g, "");
  const unit = deep && !isLast ? (i) => `z${SUBSCRIPT(layerNo)}[${i + 1}]` : (i) => `${base}${SUBSCRIPT(i + 1)}`;
  return Array.from({ length: height }, (_, i) => unit(i));
}

let measure = null;
/** The width in pixels of `text` in the charts' font at `size` px. */
function textWidth(text, size) {
  measure ??= document.createElement("canvas").getContext("2d");
  measure.font = `${size}px ${FONT.family}`;
  return measure.measureText(text).width;
}

/**
 * Each cell's number as a student reads it (3 significant figures, or 2 if that is what
 * fits; 1.2×10⁻⁵ for tiny ones: a coloured cell never reads "0.00"), or null when even
 * those do not fit in the cells.
 */
function cellTexts(z, cell, fontSize) {
  if (cell.height < fontSize * 1.15) return null;
  for (const digits of [3, 2]) {
    const texts = z.map((row) => row.map((v) => sci(v, digits)));
    const widest = Math.max(0, ...texts.flat().map((t) => textWidth(t, fontSize)));
    if (widest + 8 <= cell.width) return texts;
  }
  return null;
}

/**
 * Colour-bar ticks at round values (multiples of 1, 2 or 5 × 10ᵏ) on both sides of 0, at
 * least `perSide` of them each side within ±m (but fewer than 4 when more would crowd),
 * labelled as the cells are: "−5×10⁻⁶", not "−4.87×10⁻⁶" nor "−5μ".
 */
function barTicks(m, perSide) {
  const target = m / perSide;
  const decade = 10 ** Math.floor(Math.log10(target));
  const step = [5, 2, 1].map((f) => f * decade).find((s) => s <= target * (1 + 1e-9)) ?? decade;
  const n = Math.floor(m / step + 1e-9);
  if (n > 3 && perSide > 1) return barTicks(m, perSide - 1);
  const values = Array.from({ length: 2 * n + 1 }, (_, i) => (i - n) * step);
  return { tickmode: "array", tickvals: values, ticktext: values.map((v) => sci(v, 3)) };
}

/** One heatmap trace of a small matrix on axes (xa, ya), numbers written in the cells. */
function matrixTrace(z, xLabels, yLabels, axes, colorbarX, title, cell) {
  const m = maxAbs(z);
  const fontSize = presenting() ? 18 : 15;
  const texts = cellTexts(z, cell, fontSize);
  return {
    type: "heatmap",
    z,
    x: xLabels,
    y: yLabels,
    xaxis: axes[0],
    yaxis: axes[1],
    colorscale: DIVERGING,
    zmin: -m,
    zmax: m,
    zmid: 0,
    xgap: 1,
    ygap: 1,
    text: texts ?? undefined,
    texttemplate: texts ? "%{text}" : "",
    textfont: { size: fontSize },
    customdata: z.map((row) => row.map((v) => sci(v, 4))),
    hovertemplate: `${title}[%{y}, %{x}] = %{customdata}<extra></extra>`,
    colorbar: {
      x: colorbarX, len: 0.9, thickness: 12, tickfont: { size: 14 }, ...barTicks(m, cell.height * z.length >= 150 ? 2 : 1),
    },
  };
}

/** The height of a layer's figure with `rows` rows. */
function pairHeight(rows) {
  return Math.max(200, Math.min(520, rows * 30 + 110));
}

/** The layout of one layer's figure: W on the left, ∂J/∂W on the right. */
function pairLayout(name, shape, signNote) {
  const [rows, cols] = shape;
  const axis = (domain) => ({ domain, tickfont: { size: 14 }, automargin: true, fixedrange: false });
  const dims = `${rows}×${cols}`;
  return baseLayout({
    height: pairHeight(rows),
    margin: { l: 60, r: 30, t: 44, b: 40 },
    xaxis: axis([0, 0.42]),
    yaxis: { ...axis([0, 1]), autorange: "reversed" },
    xaxis2: axis([0.55, 0.97]),
    yaxis2: { ...axis([0, 1]), autorange: "reversed", anchor: "x2" },
    annotations: [
      { text: `<b>${name}</b>  ${dims}`, x: 0.21, xref: "paper", y: 1.02, yref: "paper", yanchor: "bottom", showarrow: false, font: { size: 17 } },
      { text: `<b>∂J/∂${name}</b>  ${dims}  <span style="font-size:13px">${signNote}</span>`, x: 0.76, xref: "paper", y: 1.02, yref: "paper", yanchor: "bottom", showarrow: false, font: { size: 17 } },
    ],
  });
}

/**
 * A delta map as the chosen convention shows it. The server sends δ^(z) = ∂J/∂z with J the
 * NLL; under J = log P every δ is the opposite number, so the map is negated here (a
 * quantised map: byte q becomes 255 − q and the range [low, high] becomes [−high, −low]).
 * The colours and the colour bar then read the same way in both conventions: green and the
 * top of the bar are positive, violet and the bottom negative.
 */
function signedMap(spec, loglik) {
  if (!loglik || !spec) return spec;
  const { data, shape } = decode(spec);
  if (spec.range) {
    const flipped = Uint8Array.from(data, (q) => 255 - q);
    return { dtype: "u1", bdata: flipped.buffer, shape: shape.join(","), range: [-spec.range[1], -spec.range[0]] };
  }
  return { dtype: "f4", bdata: Float32Array.from(data, (v) => -v).buffer, shape: shape.join(",") };
}

/** Small multiples: one map per hidden unit, cols per row, sharing one symmetric colour range. */
function deltaFigure(layerMaps, boundary, layerLabel, loglik) {
  const maps = (layerMaps.deltas ?? []).map((spec) => signedMap(spec, loglik));
  const units = maps.length;
  const cols = Math.min(units, 6);
  const rows = Math.ceil(units / cols);
  const quantised = maps.some((m) => m && m.range);
  let zmin;
  let zmax;
  let real; // colour-bar position (z) → the value it stands for
  if (quantised) {
    [zmin, zmax] = [0, 255];
    const [low, high] = maps[0].range;
    real = (z) => low + ((high - low) * z) / 255;
  } else {
    const m = Math.max(...maps.map((spec) => maxAbs(values(spec).data)));
    [zmin, zmax] = [-m, m];
    real = (z) => z;
  }
  const mid = (zmin + zmax) / 2;
  const scale = Math.max(Math.abs(real(zmin)), Math.abs(real(zmax))); // below 10⁻⁹ of it reads 0
  const traces = [];
  const layout = baseLayout({
    height: rows * 170 + 50,
    margin: { l: 10, r: 90, t: 30, b: 10 },
    annotations: [],
    showlegend: false,
  });
  const gap = 0.012;
  for (let k = 0; k < units; k += 1) {
    const row = Math.floor(k / cols);
    const col = k % cols;
    const id = k === 0 ? "" : String(k + 1);
    layout[`xaxis${id}`] = {
      domain: [col / cols + gap, (col + 1) / cols - gap], showticklabels: false, ticks: "", showgrid: false, zeroline: false,
    };
    layout[`yaxis${id}`] = {
      domain: [1 - (row + 1) / rows + gap * 3, 1 - row / rows - gap * 3],
      showticklabels: false, ticks: "", showgrid: false, zeroline: false, anchor: `x${id}`, scaleanchor: `x${id}`,
    };
    traces.push({
      type: "heatmap",
      z: maps[k],
      x: boundary.x1,
      y: boundary.x2,
      xaxis: `x${id}`,
      yaxis: `y${id}`,
      colorscale: DIVERGING,
      zmin,
      zmax,
      zmid: mid,
      showscale: k === 0,
      colorbar: {
        thickness: 12,
        len: Math.min(0.9, 1.6 / rows),
        y: 1,
        yanchor: "top",
        title: { text: `∂J/∂z<br>${loglik ? "J = log P" : "J = NLL"}`, side: "top", font: { size: 13 } },
        tickfont: { size: 13 },
        tickvals: [zmin, mid, zmax],
        ticktext: [zmin, mid, zmax].map((z) => (Math.abs(real(z)) <= 1e-9 * scale ? "0" : sci(real(z), 3))),
      },
      hovertemplate: `unit ${k + 1}: x₁=%{x:.2f}, x₂=%{y:.2f}<extra></extra>`,
    });
    layout.annotations.push({
      text: `δ<sup>(${layerLabel})</sup><sub>${k + 1}</sub>`,
      xref: `x${id} domain`, yref: `y${id} domain`, x: 0.5, y: 1, yanchor: "bottom",
      showarrow: false, font: { size: 15 },
    });
  }
  return { traces, layout };
}

export function mount(root, ctx) {
  root.classList.add("panel-matrices");
  const status = waiting();
  const weights = el("div", { class: "mx-weights", "aria-label": "Weight matrices and their gradients" });
  const deltaNote = el("p", { class: "panel-note" });
  const deltas = el("div", { class: "mx-deltas", "aria-label": "Delta maps" });
  root.replaceChildren(
    header("Weights W and gradients ∂J/∂W"),
    el("p", { class: "panel-note", text: "Green is positive, violet negative, light grey zero (the legend beside the network's title); each matrix has its own scale, centred on 0. Rows are the units a matrix feeds, columns its inputs." }),
    status,
    weights,
    el("h3", { class: "mx-subtitle" }, "Delta maps: ", symbolNode("δ^(z)_j = ∂J/∂z_j"), " of every hidden unit over the input plane"),
    deltaNote,
    deltas,
  );

  const layerDivs = new Map();
  const deltaDivs = new Map();

  function divFor(map, parent, key, className) {
    let div = map.get(key);
    if (!div) {
      div = el("div", { class: className, role: "img", "aria-label": key });
      map.set(key, div);
      parent.append(div);
    }
    return div;
  }

  function prune(map, keep) {
    for (const [key, div] of map) {
      if (!keep.has(key)) {
        window.Plotly?.purge(div);
        div.remove();
        map.delete(key);
      }
    }
  }

  function drawWeights(frame) {
    const state = ctx.getState?.() ?? {};
    const loglik = state.sign === "loglik";
    const layers = frame.layers ?? [];
    const keep = new Set();
    layers.forEach((layer, index) => {
      const W = nested(layer.W);
      const rows = W.length;
      const cols = W[0]?.length ?? 0;
      const key = `${layer.name} and ∂J/∂${layer.name}`;
      keep.add(key);
      const xs = inputLabels(index, cols, state, layers);
      // Binary logistic regression: the slides' z = wᵀx + b, so the one row is wᵀ and its
      // output z (as the diagram and the equations write it), not W and v₁.
      const binary = layers.length === 1 && rows === 1;
      const name = binary ? "wᵀ" : layer.name;
      const ys = binary ? ["z"] : outputLabels(layer, rows, index === layers.length - 1, layers.length > 2);
      // A cell's size on screen: the figure's plot area (less its margins and colour bars)
      // split between the two matrices, and its height (see pairLayout) between the rows.
      const cell = {
        width: (weights.clientWidth * 0.42 - 60) / Math.max(cols, 1),
        height: (pairHeight(rows) - 84) / Math.max(rows, 1),
      };
      const traces = [matrixTrace(W, xs, ys, ["x", "y"], 0.43, name, cell)];
      let note = loglik ? "(J = log P)" : "(J = NLL)";
      if (layer.dW) {
        let dW = nested(layer.dW);
        if (loglik) dW = dW.map((row) => row.map((v) => -v));
        traces.push(matrixTrace(dW, xs, ys, ["x2", "y2"], 0.99, `∂J/∂${name}`, cell));
      } else {
        note = "(none yet: run a backward pass)";
      }
      react(divFor(layerDivs, weights, key, "plot mx-pair"), traces, pairLayout(name, [rows, cols], note));
    });
    prune(layerDivs, keep);
  }

  function drawDeltas(frame) {
    const boundary = frame.boundary;
    if (!boundary) {
      if (!deltaDivs.size) deltaNote.textContent = "The delta maps arrive with the next frame that carries the maps.";
      return;
    }
    const layers = boundary.layers ?? [];
    // The stream leaves the δ maps out while this tab is closed (null); the first frames
    // after it opens may still lack them. The maps drawn before are then out of date (maybe
    // of another network): faded, and said so, until the next frame brings new ones.
    if (layers.some((maps) => !maps.deltas)) {
      deltas.classList.add("mx-stale");
      if (deltaDivs.size) deltaNote.textContent = "Updating the delta maps to the current step…";
      return;
    }
    deltas.classList.remove("mx-stale");
    const depth = layers.length;
    const target = boundary.target;
    const loglik = (ctx.getState?.() ?? {}).sign === "loglik";
    // Classes are numbered as in the lecture, 1 … K (the API counts from 0).
    deltaNote.textContent = !depth
      ? "Logistic regression has no hidden units, so there are no delta maps."
      : `For each point of the plane, the error signal ∂J/∂zⱼ a unit would receive for ${
        target === null || target === undefined ? "the class the network predicts there" : `class ${target + 1}`
      }, with ${loglik ? "J = log P (ascent)" : "J = NLL (descent)"}: green (positive) means raising zⱼ raises J, violet lowers it.`;
    const keep = new Set();
    for (const maps of layers) {
      const label = depth > 1 ? `z${SUBSCRIPT(maps.layer)}` : "z";
      const key = `Delta maps of hidden layer ${maps.layer}`;
      keep.add(key);
      const { traces, layout } = deltaFigure(maps, boundary, label, loglik);
      react(divFor(deltaDivs, deltas, key, "plot mx-delta"), traces, layout);
    }
    prune(deltaDivs, keep);
  }

  function draw(frame) {
    status.remove();
    drawWeights(frame);
    drawDeltas(frame);
  }

  const visible = whenVisible(root, draw, { interval: 400 });
  let last = null;
  // The sign of ∂J/∂W, the size of the type and the feature names are view choices: redraw.
  ctx.onState?.((state, changed = []) => {
    if (last && ["sign", "presentation", "features"].some((k) => changed.includes(k))) visible.offer(last);
  });
  return {
    update(frame) {
      if (!frame) return;
      last = frame;
      visible.offer(frame);
    },
  };
}
