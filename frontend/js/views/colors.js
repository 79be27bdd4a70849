// Colours shared by the boundary, the network and the panels.
//
// Classes: the Okabe–Ito palette (safe for the common colour-vision deficiencies), one
// colour and one marker shape per class. Signed values (weights, gradients ∂J/∂W, δ, a
// unit's value): a violet (−) / green (+) diverging scale, light grey at 0 and darker as
// |value| grows, that shares no colour with the classes, so "orange" only ever means class
// 1. Nothing else on the page uses these hues: "current" marks are ink (panels.css).
//
// What is measured (tests/notebook/test_palette.py parses this file and fails if these
// figures stop being the true minima). Each colour is compared as normal, protanope,
// deuteranope and tritanope viewers see it (Machado et al. 2009 simulation, severity 1,
// linear RGB) with CIEDE2000, for every |t| ≥ 0.25 (t = value / scale, sampled along the
// RGB interpolation diverging() and Plotly use):
//   ΔE00 ≥ 5.8 from every class colour (all six),
//   ΔE00 ≥ 20.7 between −t and +t.
// The first is small because no scale can do much better: a ramp from the light grey to a
// dark end crosses the lightness of the classes (L* 46–72), and at L* 60–65 no sRGB colour
// is more than about 10.5 from every class for every viewer. A numerical search placed the
// stops to maximise both minima: violet on the blue side and green on the yellow side of
// the one hue axis protanopes and deuteranopes keep, each arm's lightness falling evenly
// with |t|; the violet end was then moved by hand from navy towards indigo, so that no one
// calls it blue. The ends are dark (violet L* 23, green L* 23; contrast with white ≥ 7,
// so a thin edge stays visible on a projector); weak values stay coloured, not grey.

import { decode } from "../typed.js";

/** Class k's colour; 6 classes at most, ordered so that the first two contrast most. */
export const CLASS_COLORS = ["#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"];
/** A second cue beside colour, so no one has to tell classes apart by hue alone. */
export const CLASS_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"];

/** The signed scale's ends and its zero. */
export const NEGATIVE = "#4400A0";
export const ZERO = "#F7F7F7";
export const POSITIVE = "#0A4100";

/** The signed scale as a Plotly colorscale (heatmaps with zmid 0); diverging() below
 * interpolates the same stops linearly in RGB, as Plotly does, so a ring, a thumbnail and
 * a heatmap cell of the same value have the same colour. */
export const DIVERGING = [
  [0, NEGATIVE], [0.125, "#6E37FF"], [0.25, "#936BD7"], [0.375, "#B1AEBA"],
  [0.5, ZERO],
  [0.625, "#87DC69"], [0.75, "#6F8F53"], [0.875, "#3C692D"], [1, POSITIVE],
];

export function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const STOPS = DIVERGING.map(([at, hex]) => [at, rgb(hex)]);

/** t in [−1, 1] → [r, g, b]: light grey at 0, green towards +1, violet towards −1. */
export function diverging(t) {
  const u = (Math.max(-1, Math.min(1, t || 0)) + 1) / 2;
  let k = 1;
  while (k < STOPS.length - 1 && u > STOPS[k][0]) k += 1;
  const [a, from] = STOPS[k - 1];
  const [b, to] = STOPS[k];
  const f = (u - a) / (b - a);
  return [from[0] + (to[0] - from[0]) * f, from[1] + (to[1] - from[1]) * f, from[2] + (to[2] - from[2]) * f];
}

export function cssDiverging(t) {
  const [r, g, b] = diverging(Math.round(t * 32) / 32); // 65 shades: enough for a ring
  return `rgb(${r | 0},${g | 0},${b | 0})`;
}

/**
 * The one legend of the signed colours: a − 0 + strip and what it colours. The network
 * panel shows it in its heading, next to the edges and rings it explains; the heatmaps and
 * δ maps use the same scale and refer to it.
 */
export function signLegend() {
  const legend = document.createElement("div");
  legend.className = "sign-legend";
  legend.setAttribute("role", "img");
  legend.setAttribute("aria-label", "Colours of signed values (weights, gradients, δ): violet negative, grey zero, green positive");
  legend.title = "Weights, gradients ∂J/∂W and δ: violet negative, light grey 0, green positive (darker = larger |value|)";
  const strip = document.createElement("span");
  strip.className = "sign-strip";
  strip.style.background = `linear-gradient(to right, ${DIVERGING.map(([at, hex]) => `${hex} ${at * 100}%`).join(", ")})`;
  for (const [sign, text] of [["neg", "−"], ["zero", "0"], ["pos", "+"]]) {
    const mark = document.createElement("span");
    mark.className = `sign-mark sign-${sign}`;
    mark.textContent = text;
    strip.append(mark);
  }
  const words = document.createElement("span");
  words.className = "sign-words";
  words.textContent = "weights, gradients, δ";
  legend.append(strip, words);
  return legend;
}

/**
 * A map from the server (float typed array, or u1 quantised with a `range`) as a function
 * of its flat index, without copying: value(i) = offset + scale · data[i].
 */
export function readMap(spec) {
  let map = decoded.get(spec);
  if (!map) {
    const { data, shape } = decode(spec);
    const [low, high] = spec.range ?? [0, 255];
    map = spec.range ? { data, shape, offset: low, scale: (high - low) / 255 } : { data, shape, offset: 0, scale: 1 };
    decoded.set(spec, map);
  }
  return map;
}

/** Each spec is decoded once per frame however many views read it (the boundary and the
 * network's output thumbnails share the probability maps). */
const decoded = new WeakMap();

/** Largest |value| of a map read by readMap (0 if the map is all zero). */
export function maxAbs(map) {
  let m = 0;
  const { data, offset, scale } = map;
  for (let i = 0; i < data.length; i += 1) {
    const v = Math.abs(offset + scale * data[i]);
    if (v > m) m = v;
  }
  return m;
}
