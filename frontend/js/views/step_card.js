// The current step, under the network: while a step is walked through phase by phase, the
// lecture's equations of the phase on screen with the traced example's numbers. A lecturer
// saying "δ⁽ʰ⁾ = δ⁽ᵒ⁾U" points at it without scrolling to the equations panel, which keeps
// the whole derivation (operands, Jacobians, matrices) below.
//
// Vectors are written out in a line; a matrix is named with its shape, its numbers being
// in the equations panel. Outside the four phases (fast play, a fresh page) the card is
// hidden and the network has its full height.

import { el, fmt } from "./panel_common.js";
import { derivation, operandMatrix, quantityMap } from "./eq_derivation.js";
import { conventionBadge, op, signClass, symbolNode } from "./eq_render.js";

const TITLES = {
  forward: "Forward: the example through the network",
  loss: "Loss of the example",
  backward: "Backward: δ flows from the output to the input",
  update: "Update: the gradients and the step",
};
/** A vector longer than this is named with its length, not written out. */
const MAX_INLINE = 16;
/** Rows the card leaves to the equations panel: the Jacobians (∂o/∂v, ∂h/∂z, …), ∂J/∂o
 * (δ⁽ᵒ⁾ states it in one line), the input x (on the input units already), the softmax's
 * sum Z, and the class index k ∈ {1, …, K} with K. */
const isJacobian = (symbol) => /^d\w*\/d/.test(symbol) && !symbol.startsWith("dJ/d");
const LEFT_OUT = new Set(["dJ/do", "x", "Z", "k", "K"]);

/**
 * The right-hand side as the lecture states it, short enough for one line: a trailing note
 * ("(1×n row, as on the slides)") goes, and of "∂J/∂h = δ⁽ᵒ⁾U" only the last step stays.
 */
export function shortFormula(row) {
  if (row.lhs) return row.formula; // the update rule: its "(descent, η = 0.1)" is the point
  if (row.sep !== "=") return ""; // "y: yᵢ = I(i = k)" is a definition, not a step
  const text = row.formula.replace(/\s+\([^()]*,[^()]*\)\s*$/, ""); // not max(z, 0)
  return lastStep(text);
}

/** The part after the last " = " outside parentheses: of "σ(z) = P(y = 1 | x)" the
 * probability P(y = 1 | x) whole, not "1 | x)". */
function lastStep(text) {
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "(" || c === "[") depth += 1;
    else if (c === ")" || c === "]") depth -= 1;
    else if (depth === 0 && text.startsWith(" = ", i)) from = i + 3;
  }
  return text.slice(from);
}

/** The value of a row as text nodes: a number, a bracketed vector, or "a 8×2 matrix". */
function valueNode(matrix) {
  const rows = matrix.length;
  const cols = rows ? matrix[0].length : 0;
  if (rows === 1 && cols === 1) return el("span", { class: signClass(matrix[0][0]), text: fmt(matrix[0][0]) });
  if ((rows === 1 || cols === 1) && rows * cols <= MAX_INLINE) {
    const entries = rows === 1 ? matrix[0] : matrix.map((r) => r[0]);
    const vector = el("span", { class: "sc-vector" }, "[");
    entries.forEach((v, i) => {
      if (i) vector.append(" ");
      vector.append(el("span", { class: signClass(v), text: fmt(v) }));
    });
    vector.append("]");
    // A column (x, z, h, o as on the slides) is written as a transposed row.
    if (cols === 1 && rows > 1) vector.append(el("sup", { text: "T" }));
    return vector;
  }
  return el("span", { class: "sc-shape", text: `a ${rows}×${cols} matrix (numbers in Equations)` });
}

export function mount(root, ctx) {
  root.classList.add("step-card");
  root.setAttribute("aria-live", "polite");
  root.hidden = true;

  function rowNode(row, qmap) {
    const line = el("div", { class: "sc-row", dataset: { symbol: row.symbol } });
    line.append(el("span", { class: "sc-lhs" }, symbolNode(row.lhs ?? row.label)));
    const sep = row.lhs ? "" : row.sep || "="; // "θ ←" is its own operator
    const formula = shortFormula(row);
    if (formula) line.append(sep ? op(sep) : "", el("span", { class: "sc-formula" }, symbolNode(formula)));
    const q = qmap.get(row.symbol);
    if (q && row.result !== "none") {
      const matrix = operandMatrix(qmap, { ref: row.symbol, transpose: Boolean(row.resultTranspose) });
      line.append(op("="), valueNode(matrix));
    }
    return line;
  }

  function draw(frame) {
    const phase = frame?.phase;
    const trace = frame?.trace;
    if (!TITLES[phase] || !trace?.quantities?.length) {
      root.hidden = true;
      root.replaceChildren();
      return;
    }
    const { rows, conv } = derivation(trace, { learningRate: ctx.getState?.()?.learningRate });
    const qmap = quantityMap(trace);
    const chosen = rows.filter((r) => r.phase === phase && !isJacobian(r.symbol) && !LEFT_OUT.has(r.symbol));
    // The sign convention, once: every signed row (J, δ, ∂J/∂θ) is in the same one.
    const badge = chosen.some((r) => r.signed) ? conventionBadge(conv.sign) : null;
    root.replaceChildren(
      el("h3", { class: "sc-title" }, TITLES[phase], badge),
      ...chosen.map((row) => rowNode(row, qmap)),
    );
    root.dataset.phase = phase;
    root.hidden = false;
  }

  return {
    update(frame) {
      draw(frame);
    },
  };
}
