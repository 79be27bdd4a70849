// The lecture's derivation as data: from a trace (the engine's quantities, already in the
// chosen convention) to rows grouped by phase and block. Pure functions, no DOM.
//
// A row is {symbol, label, formula, operands, result, signed, phase, block}:
//   formula   the symbolic right-hand side, as the engine writes it in the trace's convention
//             ("∂J/∂v = o − y"), which the panel sets in type;
//   operands  the same right-hand side with the numbers filled in, a list of
//             {ref, transpose, diagonal, dropBias} (a quantity's numbers, captioned with its
//             symbol), {text} (an operator) and {live(qmap) -> string} (a computed note);
//   result    how the row's own value is shown: "matrix" (default), "diagonal" or "none";
//   signed    the sign convention changes it (a badge then says which one is shown).

import { asMatrix, fmt, transpose } from "./panel_common.js";

export const PHASES = ["forward", "loss", "backward", "update"];

const KIND_PHASE = {
  forward: "forward", param: "forward", loss: "loss", delta: "backward", jacobian: "backward", grad: "update",
};

/** Index the trace's quantities by symbol. */
export function quantityMap(trace) {
  const map = new Map();
  for (const q of trace?.quantities ?? []) map.set(q.symbol, q);
  return map;
}

/** The numbers of a quantity as a matrix: vectors as columns (as on the slides), δ as the engine shaped it. */
export function valueOf(q) {
  if (!q) return [[NaN]];
  return asMatrix(q.value);
}

/** Binary logistic regression's trace: the slide's w and z = wᵀx + b, with no W and no v. */
export function isBinaryLogistic(trace) {
  const symbols = (trace?.quantities ?? []).map((q) => q.symbol);
  return symbols.includes("w") && !symbols.includes("v");
}

/** The matrix an operand shows: its quantity's numbers, without the bias column, diagonal only, transposed. */
export function operandMatrix(qmap, operand) {
  let m = valueOf(qmap.get(operand.ref));
  // A matrix's bias is its last column; a vector's (w = [w; b], a column) its last entry.
  if (operand.dropBias) m = m.length > 1 && m[0].length === 1 ? m.slice(0, -1) : m.map((row) => row.slice(0, -1));
  if (operand.diagonal) m = [m.map((row, i) => row[i])];
  if (operand.transpose) m = transpose(m);
  return m;
}

/** Which of the four phases a quantity belongs to (the panel highlights the current one). */
export function phaseOf(q) {
  if (q.symbol === "y" || q.symbol === "J") return "loss";
  if (q.kind && KIND_PHASE[q.kind]) return KIND_PHASE[q.kind];
  if (q.symbol.startsWith("dJ/d") && q.symbol !== "dJ/do" && q.symbol !== "dJ/dz") return "update";
  if (q.symbol.startsWith("delta") || /^d\w*\/d/.test(q.symbol)) return "backward";
  return "forward";
}

/**
 * "δ^(o) = ∂J/∂v = o − y" beside the label δ^(o) reads "= ∂J/∂v = o − y"; "k ∈ {1, …, K}"
 * beside k reads "k ∈ {1, …, K}", and a bare "K" adds nothing to the label K. A formula
 * about something else ("yᵢ = I(i = k)") is kept whole after a colon.
 */
export function rightHandSide(q) {
  const formula = (q.formula ?? "").trim();
  const names = [q.display, q.symbol].filter(Boolean);
  if (!formula || names.includes(formula)) return { sep: "", text: "" };
  const at = formula.indexOf(" = ");
  const lhs = at < 0 ? null : formula.slice(0, at).trim();
  if (lhs !== null && names.includes(lhs)) return { sep: "=", text: formula.slice(at + 3) };
  const relation = formula.match(/^(\S+) ([∈≤≥<>≠∼~]) /u);
  if (relation && names.includes(relation[1])) return { sep: relation[2], text: formula.slice(relation[0].length) };
  return { sep: ":", text: formula };
}

/** What a person reads from a quantity's formula: its activation, from "h = max(z, 0)". */
export function activationOf(qmap) {
  const h = qmap.get("h") ?? qmap.get("h1");
  const f = h?.formula ?? "";
  if (f.includes("max(")) return "relu";
  if (f.includes("tanh")) return "tanh";
  if (f.includes("σ")) return "sigmoid";
  return h ? "linear" : "relu";
}

/** The network's names, read from the trace's layer_names: ["W","U"], ["W1","W2","U"], ["W"]. */
export function networkNames(trace) {
  const qmap = quantityMap(trace);
  let names = trace?.layer_names?.length ? trace.layer_names : null;
  if (!names) {
    const numbered = [...qmap.keys()].filter((s) => /^W\d+$/.test(s)).length;
    names = numbered ? [...Array.from({ length: numbered }, (_, i) => `W${i + 1}`), "U"] : qmap.has("U") ? ["W", "U"] : ["W"];
  }
  const depth = names.length - 1;
  const sfx = (l) => (depth === 1 ? "" : String(l));
  const biases = depth === 0 ? ["b"] : [...names.slice(0, -1).map((_, i) => `b${sfx(i + 1)}`), "c"];
  const hidden = (l) => (l === 0 ? "x" : `h${sfx(l)}`);
  return { names, biases, depth, sfx, hidden };
}

const BLOCK = (depth, l) => (depth > 1 ? `Hidden layer ${l}` : "Hidden layer");

/** The rows of the derivation for an MLP of any depth or for logistic regression. */
export function derivation(trace, { learningRate = null } = {}) {
  const qmap = quantityMap(trace);
  const activation = activationOf(qmap);
  const conv = { sign: "loss", layout: "row", bias: "separate", ...(trace?.convention ?? {}) };
  const loss = conv.sign !== "loglik";
  const column = conv.layout === "column";
  const augmented = conv.bias === "augmented";
  const { names, biases, depth, sfx, hidden } = networkNames(trace);
  const rows = [];
  const shown = new Set();
  const ref = (s, extra = {}) => ({ ref: s, ...extra });
  const text = (t) => ({ text: t });
  const add = (symbol, block, extra = {}) => {
    const q = qmap.get(symbol);
    if (!q || shown.has(symbol)) return;
    shown.add(symbol);
    const phase = phaseOf(q);
    rows.push({
      symbol,
      label: q.display ?? symbol,
      ...splitFormula(q),
      operands: [],
      result: "matrix",
      signed: ["loss", "delta", "grad"].includes(q.kind),
      phase,
      block,
      ...extra,
    });
  };
  const bias = (b) => (augmented || !qmap.has(b) ? [] : [text("+"), ref(b)]);
  const activate = (z) => {
    if (activation === "relu") return [text("max("), ref(z), text(", 0)")];
    if (activation === "linear") return [ref(z)];
    return [text(activation === "sigmoid" ? "σ(" : "tanh("), ref(z), text(")")];
  };

  if (isBinaryLogistic(trace)) {
    binaryLogistic({ qmap, add, ref, text, shown, loss, column, augmented });
  } else {
    layered();
  }

  // Anything else the engine adds, in its order (per-example batch values excepted).
  for (const q of trace?.quantities ?? []) {
    if (shown.has(q.symbol) || q.symbol.endsWith("[n]") || q.kind === "grad_each" || q.kind === "loss_each") continue;
    add(q.symbol, "More");
  }

  const rule = trace?.update_rule ?? (loss ? "θ ← θ − η ∂J/∂θ" : "θ ← θ + η ∂J/∂θ");
  const eta = learningRate !== null && learningRate !== undefined ? `, η = ${learningRate}` : "";
  rows.push({
    symbol: "update", label: "update", phase: "update", block: "Update", signed: true, result: "none",
    formula: `${rule.replace(/^θ ← /, "")}  (${loss ? "descent" : "ascent"}${eta})`, sep: "", operands: [], lhs: "θ ←",
  });
  return { rows, conv };

  /** The MLP and multi-class logistic regression: z = Wh + b per layer, v, o = softmax(v). */
  function layered() {
    // Forward: x, then each layer's z = W h + b and h = f(z), then v, o.
    add("x", "Input");
    for (let l = 1; l <= depth; l += 1) {
      const s = sfx(l);
      add(`z${s}`, BLOCK(depth, l), { operands: [ref(names[l - 1]), ref(hidden(l - 1)), ...bias(biases[l - 1])] });
      add(`h${s}`, BLOCK(depth, l), { operands: activate(`z${s}`) });
    }
    // Parameters are shown as captioned operands of z and v, not as rows of their own.
    for (const p of [...names, ...biases]) shown.add(p);
    const output = depth === 0 ? "Output (logistic regression)" : "Output layer";
    add("v", output, { operands: [ref(names[depth]), ref(hidden(depth)), ...bias(biases[depth])] });
    add("z", output);
    add("Z", output, { operands: [{ live: (m) => sumExp(m) }] });
    const sigmoid = qmap.get("o") && valueOf(qmap.get("o")).length === 1 && !qmap.has("Z");
    add("o", output, { operands: [text(sigmoid ? "σ(" : "softmax("), ref("v"), text(")")] });

    // Loss
    add("y", "Target");
    add("J", "Target", { operands: [{ live: (m) => jNote(m, loss, sigmoid) }] });

    // Backward: output error, then each hidden layer from the top, then the input.
    add("dJ/do", "Output layer");
    add("do/dv", "Output layer", { note: sigmoid ? "" : "the softmax Jacobian" });
    const asRow = (s) => ref(s, { transpose: !column }); // o, y are columns; δ rows in row layout
    add("delta_o", "Output layer", {
      operands: loss ? [asRow("o"), text("−"), asRow("y")] : [asRow("y"), text("−"), asRow("o")],
    });
    add("dJ/dz", "Output layer");
    let upperDelta = "delta_o";
    let upperOut = "v";
    for (let l = depth; l >= 1; l -= 1) {
      const s = sfx(l);
      const block = BLOCK(depth, l);
      const Wup = names[l];
      const weight = ref(Wup, { dropBias: augmented, transpose: column });
      add(`d${upperOut}/dh${s}`, block, { result: "none" }); // = the weights, shown in the forward pass
      add(`delta_h${s}`, block, { operands: column ? [weight, ref(upperDelta)] : [ref(upperDelta), weight] });
      const diag = [text("diag("), ref(`dh${s}/dz${s}`, { diagonal: true }), text(")")];
      add(`dh${s}/dz${s}`, block, { operands: diag, result: "none" });
      add(`delta_z${s}`, block, { operands: column ? [...diag, ref(`delta_h${s}`)] : [ref(`delta_h${s}`), ...diag] });
      upperDelta = `delta_z${s}`;
      upperOut = `z${s}`;
    }
    {
      add(`d${upperOut}/dx`, "Input", { result: "none" });
      const W1 = ref(names[0], { dropBias: augmented, transpose: column });
      add("delta_x", "Input", { operands: column ? [W1, ref(upperDelta)] : [ref(upperDelta), W1] });
    }

    // Gradients of every weight matrix and bias, from the output down: ∂J/∂W = δᵀ inputᵀ.
    for (let i = depth; i >= 0; i -= 1) {
      const delta = i === depth ? "delta_o" : `delta_z${sfx(i + 1)}`;
      const deltaCol = ref(delta, { transpose: !column });
      const block = i === depth ? output : BLOCK(depth, i + 1);
      add(`dJ/d${names[i]}`, block, { operands: [deltaCol, ref(hidden(i), { transpose: true })] });
      add(`dJ/d${biases[i]}`, block, { operands: [deltaCol] });
    }
  }
}

/** The block of binary logistic regression's output rows. */
export const BINARY_BLOCK = "Output: binary logistic regression";

/**
 * Binary logistic regression as its slide writes it: z = wᵀx + b, o = σ(z) = P(y = 1 | x),
 * J = y log o + (1 − y) log(1 − o), δ^(o) = ∂J/∂z, ∂J/∂w = δ^(o) xᵀ. w is a vector (a column,
 * as x is), so z's numbers are wᵀ times x; in the augmented convention b is w's last entry
 * and x ends in 1.
 */
function binaryLogistic({ qmap, add, ref, text, shown, loss, column, augmented }) {
  const block = BINARY_BLOCK;
  shown.add("w"); // w and b are captioned operands of z, not rows of their own
  shown.add("b");
  add("x", "Input");
  const bias = augmented || !qmap.has("b") ? [] : [text("+"), ref("b")];
  add("z", block, { operands: [ref("w", { transpose: true }), ref("x"), ...bias] });
  add("o", block, { operands: [text("σ("), ref("z"), text(")")] });

  add("y", "Target");
  add("J", "Target", { operands: [{ live: (m) => jNote(m, loss, true) }] });

  add("dJ/do", block);
  add("do/dz", block);
  add("delta_o", block, { operands: loss ? [ref("o"), text("−"), ref("y")] : [ref("y"), text("−"), ref("o")] });
  add("dz/dx", "Input", { result: "none" }); // = wᵀ, shown in the forward pass
  const w = ref("w", { dropBias: augmented, transpose: !column });
  add("delta_x", "Input", { operands: column ? [w, ref("delta_o")] : [ref("delta_o"), w] });

  // ∂J/∂w has w's shape; in the row layout it is the row δ^(o) xᵀ, as on the slide.
  const gradient = column ? [ref("x"), ref("delta_o")] : [ref("delta_o"), ref("x", { transpose: true })];
  add("dJ/dw", block, { operands: gradient, resultTranspose: !column });
  add("dJ/db", block, { operands: [ref("delta_o")] });
}

function splitFormula(q) {
  const { sep, text } = rightHandSide(q);
  return { formula: text, sep };
}

function sumExp(qmap) {
  const v = qmap.get("v");
  if (!v) return "";
  const values = asMatrix(v.value).flat();
  return `Σ exp(vᵢ) over ${values.length} classes`;
}

function jNote(qmap, loss, sigmoid) {
  const o = qmap.get("o");
  const y = qmap.get("y");
  if (!o || !y) return "";
  const ov = asMatrix(o.value).flat();
  const yv = asMatrix(y.value).flat();
  const sign = loss ? "−" : "";
  if (sigmoid) {
    const p = yv[0] === 1 ? ov[0] : 1 - ov[0];
    return `${sign}log ${yv[0] === 1 ? "o" : "(1 − o)"} = ${sign}log ${fmt(p)}`;
  }
  const k = yv.indexOf(Math.max(...yv));
  const sub = String(k + 1).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
  return `${sign}log o${sub} = ${sign}log ${fmt(ov[k])}`;
}

/** A short key that changes exactly when the panel must be rebuilt (names, shapes, convention). */
export function structureKey(trace, extra = "") {
  const conv = trace?.convention ?? {};
  const shapes = (trace?.quantities ?? []).map((q) => `${q.symbol}:${shapeOf(q.value)}`);
  return [conv.sign, conv.layout, conv.bias, extra, trace?.kind, ...shapes].join("|");
}

function shapeOf(value) {
  if (value && typeof value === "object" && "bdata" in value) return String(value.shape);
  const dims = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  return dims.join(",");
}
