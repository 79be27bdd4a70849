// DOM pieces of the equations panel: symbols with super/subscripts, bracketed matrices whose
// cells are updated in place every frame, and formula rows. HTML, not MathML: it gives the
// bracket grids and the projector-sized type the same look in every browser and font.

import { el, fmt } from "./panel_common.js";

/**
 * A symbol written the lecture's way: "δ^(o)" → δ⁽ᵒ⁾, "W1" → W₁, "h^T" → hᵀ, "∂J/∂W1" → ∂J/∂W₁.
 * Accepts the engine's display strings and the front end's own.
 */
export function symbolNode(text) {
  const node = el("span", { class: "sym" });
  const pattern = /\^\(([^)]*)\)|\^\{([^}]*)\}|\^(\S)|_\{([^}]*)\}|_(\w+)|([A-Za-zα-ωΑ-Ω])(\d+)(?!\.)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) node.append(text.slice(last, match.index));
    const [, supParen, supBrace, supChar, subBrace, subWord, letter, digits] = match;
    if (supParen !== undefined) node.append(el("sup", { text: `(${supParen})` }));
    else if (supBrace !== undefined) node.append(el("sup", { text: supBrace }));
    else if (supChar !== undefined) node.append(el("sup", { text: supChar === "T" ? "T" : supChar }));
    else if (subBrace !== undefined) node.append(el("sub", { text: subBrace }));
    else if (subWord !== undefined) node.append(el("sub", { text: subWord }));
    else node.append(letter, el("sub", { text: digits }));
    last = match.index + match[0].length;
  }
  if (last < text.length) node.append(text.slice(last));
  return node;
}

/** The class that colours a number by its sign (the step card uses it too). */
export function signClass(value) {
  if (!Number.isFinite(value)) return "num bad";
  if (value > 0) return "num pos";
  if (value < 0) return "num neg";
  return "num zero";
}

/**
 * A bracketed matrix of live numbers. Returns {node, set(matrix) -> bool}; set() rewrites
 * the cells in place and answers false when the shape changed (the caller rebuilds).
 */
export function liveMatrix(label, matrix, { diagonal = false } = {}) {
  const rows = matrix.length;
  const cols = rows ? matrix[0].length : 0;
  const table = el("table", { class: diagonal ? "mat mat-diag" : "mat", "aria-label": label });
  const body = el("tbody");
  const cells = [];
  for (let i = 0; i < rows; i += 1) {
    const tr = el("tr");
    const row = [];
    for (let j = 0; j < cols; j += 1) {
      const td = el("td", { class: "num" });
      row.push(td);
      tr.append(td);
    }
    cells.push(row);
    body.append(tr);
  }
  table.append(body);
  const set = (next) => {
    if (next.length !== rows || (rows && next[0].length !== cols)) return false;
    for (let i = 0; i < rows; i += 1) {
      for (let j = 0; j < cols; j += 1) {
        const value = Number(next[i][j]);
        const td = cells[i][j];
        const text = fmt(value);
        if (td.textContent !== text) {
          td.textContent = text;
          td.className = signClass(value);
          td.title = String(value);
        }
      }
    }
    return true;
  };
  set(matrix);
  return { node: table, set };
}

/** A formula operator or word set in the formula's type: "=", "+", "−", "softmax(". */
export function op(text) {
  return el("span", { class: "op", text });
}

/** The convention note that sits beside every sign-dependent formula. */
export function conventionBadge(sign) {
  const loss = sign !== "loglik";
  return el("span", {
    class: loss ? "conv conv-loss" : "conv conv-loglik",
    title: loss
      ? "J is the negative log-likelihood (a loss); the step is gradient descent"
      : "J is the log-likelihood; the step is gradient ascent",
    text: loss ? "J = NLL · descent" : "J = log P · ascent",
  });
}
