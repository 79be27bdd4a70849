// Helpers shared by the equations, matrices, curves and chain-rule panels: DOM building,
// number formatting, the colour-blind-safe palette and Plotly defaults.

import { decode as decodeSpec, isTyped } from "../typed.js";
import { sci } from "../format.js";

/** Create an element: el("div", {class: "x", text: "hi"}, child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The placeholder every panel shows until the first frame arrives. */
export function waiting(text = "Waiting for the first frame…") {
  return el("p", { class: "panel-waiting", role: "status", text });
}

/** A panel's heading row: the title, then whatever controls the panel puts beside it. */
export function header(title, ...controls) {
  return el("div", { class: "panel-header" }, el("h2", { class: "panel-title", text: title }), ...controls);
}

// ---------------------------------------------------------------------------------------
// Numbers

const MINUS = "\u2212";

/**
 * A number as a person reads it from the back of a hall: 3 significant digits, trailing
 * zeros dropped, a real minus sign, 1.2×10⁻⁵ when tiny or huge (format.js `sci`, the one
 * way the page writes numbers); a flag (boolean) as 1 or 0.
 */
export function fmt(value, digits = 3) {
  if (typeof value === "boolean") return value ? "1" : "0";
  return sci(value, digits);
}

const SUPERSCRIPT_DIGITS = { "⁻": "-", "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9" };

/** The inverse of fmt, for tests and copy-paste: "−1.2×10⁻³" → -0.0012. */
export function parseNumber(text) {
  const plain = String(text).replaceAll(MINUS, "-").replace("∞", "Infinity");
  const [mantissa, exponent] = plain.split("×10");
  if (exponent === undefined) return Number(plain);
  return Number(mantissa) * 10 ** Number(exponent.replace(/./g, (c) => SUPERSCRIPT_DIGITS[c] ?? c));
}

/**
 * A typed-array spec as {data, shape}, whether its bdata is base64 (JSON) or an ArrayBuffer
 * (binary stream frames). Quantised maps ({range: [low, high]}) stay bytes; see dequantize.
 */
export const decode = decodeSpec;

/** Real values of a spec: quantised u1 maps are mapped back through their range. */
export function values(spec) {
  const { data, shape } = decode(spec);
  if (!spec.range) return { data, shape };
  const [low, high] = spec.range;
  const scale = (high - low) / 255;
  return { data: Float32Array.from(data, (q) => low + scale * q), shape };
}

/** Anything the server sends for an array (typed spec, nested list, number) as nested JS arrays. */
export function nested(value) {
  if (value === null || value === undefined) return value;
  if (!isTyped(value)) return value;
  const { data, shape } = values(value);
  if (shape.length <= 1) return Array.from(data);
  const build = (offset, dims) => {
    if (dims.length === 1) return Array.from(data.subarray(offset, offset + dims[0]));
    const stride = dims.slice(1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[0] }, (_, i) => build(offset + i * stride, dims.slice(1)));
  };
  return build(0, shape);
}

/** A value as a 2-D array of rows (a scalar is 1×1, a vector a column unless asRow). */
export function asMatrix(value, asRow = false) {
  const v = nested(value);
  if (typeof v === "number" || typeof v === "boolean") return [[Number(v)]];
  if (!Array.isArray(v)) return [[NaN]];
  if (v.length === 0) return [[]];
  if (!Array.isArray(v[0])) return asRow ? [v.slice()] : v.map((x) => [x]);
  return v;
}

export function transpose(matrix) {
  if (!matrix.length) return matrix;
  return matrix[0].map((_, j) => matrix.map((row) => row[j]));
}

/** A 1-D spec (or list) as a plain array of numbers, null for NaN (a gap in a curve). */
export function series(value) {
  if (value === null || value === undefined) return [];
  const data = isTyped(value) ? values(value).data : value;
  return Array.from(data, (v) => (v === null || Number.isNaN(v) ? null : v));
}

// ---------------------------------------------------------------------------------------
// Colours. Lines and categories: Okabe–Ito. Signed values (heatmaps, δ maps): the page's
// one signed scale, colors.js's DIVERGING (purple −, light grey 0, olive +), which the
// network panel's legend explains.

export { DIVERGING } from "./colors.js";

export const OKABE_ITO = {
  orange: "#E69F00", sky: "#56B4E9", green: "#009E73", yellow: "#F0E442",
  blue: "#0072B2", vermillion: "#D55E00", purple: "#CC79A7", black: "#000000",
};

/** The largest |value| of a nested array or typed array, for a colour scale centred on 0. */
export function maxAbs(values) {
  let m = 0;
  const visit = (v) => {
    if (typeof v === "number") { if (Number.isFinite(v)) m = Math.max(m, Math.abs(v)); return; }
    if (v && typeof v.length === "number") for (let i = 0; i < v.length; i += 1) visit(v[i]);
  };
  visit(values);
  return m || 1;
}

// ---------------------------------------------------------------------------------------
// Plotly

export const FONT = { family: "system-ui, 'DejaVu Sans', sans-serif", size: 16, color: "#222" };

/** True in presentation mode (the shell puts the class on <body>): charts draw larger. */
export function presenting() {
  return document.body.classList.contains("presentation");
}

/** A layout with projector-sized text and a fixed uirevision, so zoom survives redraws. */
export function baseLayout(extra = {}) {
  return {
    font: { ...FONT, size: presenting() ? 20 : FONT.size },
    margin: { l: 60, r: 20, t: 40, b: 50 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#fff",
    uirevision: "keep",
    ...extra,
  };
}

export const PLOT_CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ["lasso2d", "select2d"],
  toImageButtonOptions: { format: "png", scale: 2 },
};

/** Plotly.react on a node, or nothing when Plotly is missing (so a panel never throws). */
export function react(node, data, layout, config = PLOT_CONFIG) {
  if (!window.Plotly) return;
  // A responsive chart with a fixed height: the box must hold that height itself, or a
  // window resize shrinks it under the drawing and the next chart overlaps this one.
  if (layout.height) node.style.height = `${layout.height}px`;
  window.Plotly.react(node, data, layout, config);
}

/** Sort layer names as the network runs them: W1, W2, …, W, U. */
export function layerOrder(a, b) {
  const rank = (name) => (name.startsWith("U") ? 1e6 : Number(name.replace(/\D/g, "") || 0));
  return rank(a) - rank(b);
}
