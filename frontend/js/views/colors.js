// Colours shared by the boundary and the network: the Okabe–Ito palette (safe for the
// common colour-vision deficiencies), one colour and one marker shape per class, and a
// diverging blue (+) / orange (−) scale for signed values.

import { decode } from "../typed.js";

/** Class k's colour; 6 classes at most, ordered so that the first two contrast most. */
export const CLASS_COLORS = ["#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"];
/** A second cue beside colour, so no one has to tell classes apart by hue alone. */
export const CLASS_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"];

export const POSITIVE = "#0072B2";
export const NEGATIVE = "#E69F00";

export function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const POS_RGB = rgb(POSITIVE);
const NEG_RGB = rgb(NEGATIVE);

/** t in [−1, 1] → [r, g, b]: white at 0, blue towards +1, orange towards −1. */
export function diverging(t) {
  const a = Math.min(1, Math.abs(t));
  const c = t >= 0 ? POS_RGB : NEG_RGB;
  return [255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a];
}

export function cssDiverging(t) {
  const [r, g, b] = diverging(Math.round(t * 32) / 32); // 65 shades: enough for a ring
  return `rgb(${r | 0},${g | 0},${b | 0})`;
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
