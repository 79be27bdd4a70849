// Chain-rule lab: the lecture's two Jacobian examples at a point the user picks (by typing x
// and y or clicking the plane), analytic against numerical, in numerator or denominator
// layout, and the chain-rule product ∂y/∂g · ∂g/∂x beside the direct Jacobian ∂y/∂x.
// It needs no session and no frame: everything comes from GET /api/chain-rule.

import { DIVERGING, baseLayout, el, header, nested, react } from "./panel_common.js";
import { sci } from "../format.js";
import { liveMatrix, op, symbolNode } from "./eq_render.js";

const AGREE = 1e-5; // numerical differentiation is good to ~1e-8 here; 1e-5 leaves room
const PLANE = { min: -3, max: 3, n: 61 };

/** "[[6yx, 3x²], [5y, 5x + 3y²]]  (J, numerator layout)" → {rows: [["6yx","3x²"],…], note}. */
export function parseSymbolic(formula) {
  const match = /^\s*\[\[(.*)\]\]\s*(.*)$/.exec(formula ?? "");
  if (!match) return null;
  const rows = match[1].split(/\]\s*,\s*\[/).map((row) => row.split(/,\s*/));
  return { rows, note: match[2].trim() };
}

function symbolicMatrix(label, rows) {
  const table = el("table", { class: "mat mat-symbolic", "aria-label": label });
  const body = el("tbody");
  for (const row of rows) body.append(el("tr", {}, row.map((cell) => el("td", {}, symbolNode(cell)))));
  table.append(body);
  return table;
}

function numbers(label, value) {
  return liveMatrix(label, asGrid(nested(value))).node;
}

function asGrid(v) {
  if (typeof v === "number") return [[v]];
  return Array.isArray(v[0]) ? v : v.map((x) => [x]);
}

function maxDifference(a, b) {
  const x = asGrid(nested(a)).flat();
  const y = asGrid(nested(b)).flat();
  return Math.max(...x.map((v, i) => Math.abs(v - y[i])));
}

function verdict(ok, yes, no) {
  return el("p", { class: `cr-verdict ${ok ? "cr-agree" : "cr-disagree"}`, text: ok ? `✓ ${yes}` : `✗ ${no}` });
}

/** The lecture's factors written out: ∂y/∂g = diag(1/g₁, cos g₂), ∂g/∂x = [2x, 3]ᵀ. */
function symbolicFactors(denominator) {
  const dyDg = [["1 / g₁", "0"], ["0", "cos(g₂)"]];
  const dgDx = [["2x"], ["3"]];
  return denominator
    ? [symbolicMatrix("(∂g/∂x)ᵀ symbolic", orient(dgDx, true)), symbolicMatrix("(∂y/∂g)ᵀ symbolic", dyDg)]
    : [symbolicMatrix("∂y/∂g symbolic", dyDg), symbolicMatrix("∂g/∂x symbolic", dgDx)];
}

function orient(rows, transposed) {
  return transposed ? rows[0].map((_, j) => rows.map((row) => row[j])) : rows;
}

function line(...children) {
  return el("div", { class: "cr-line" }, ...children);
}

/** f = 3x²y on the plane, the background a point is picked on. */
function planeTrace() {
  const xs = [];
  for (let i = 0; i < PLANE.n; i += 1) xs.push(PLANE.min + ((PLANE.max - PLANE.min) * i) / (PLANE.n - 1));
  const z = xs.map((y) => xs.map((x) => 3 * x * x * y));
  return {
    type: "heatmap", x: xs, y: xs, z, zmid: 0, zmin: -81, zmax: 81,
    colorscale: DIVERGING, // f is signed: the page's signed scale
    showscale: false, hovertemplate: "pick (x, y) = (%{x:.2f}, %{y:.2f})<br>f = 3x²y = %{z:.3~g}<extra></extra>",
  };
}

export function mount(root, ctx) {
  root.classList.add("panel-chainrule");
  const xInput = el("input", { type: "number", step: "0.1", value: "1", name: "x", "aria-describedby": "cr-error" });
  const yInput = el("input", { type: "number", step: "0.1", value: "2", name: "y", "aria-describedby": "cr-error" });
  const layoutInputs = ["numerator", "denominator"].map((value) =>
    el("input", { type: "radio", name: "cr-layout", value, checked: value === "numerator" }),
  );
  const error = el("p", { class: "cr-error", id: "cr-error", role: "alert" });
  const plane = el("div", { class: "cr-plane", role: "img", "aria-label": "Click the plane to pick (x, y)" });
  const jacobianCard = el("article", { class: "cr-example", "aria-label": "Jacobian of f and g" });
  const chainCard = el("article", { class: "cr-example", "aria-label": "Vector chain rule" });
  root.replaceChildren(
    header("Chain-rule lab"),
    el("p", { class: "panel-note", text: "The lecture's Jacobian examples at a point you pick: type x and y, or click the plane. Analytic derivatives against central differences." }),
    el(
      "div",
      { class: "cr-top" },
      el(
        "div",
        { class: "cr-controls" },
        el(
          "div",
          { class: "cr-picker" },
          el("label", {}, "x", xInput),
          el("label", {}, "y", yInput),
        ),
        el(
          "fieldset",
          { class: "seg cr-layout" },
          el("legend", { text: "Jacobian layout" }),
          el("label", { class: "seg-option" }, layoutInputs[0], el("span", { text: "numerator (J)" })),
          el("label", { class: "seg-option" }, layoutInputs[1], el("span", { text: "denominator (Jᵀ)" })),
        ),
        error,
      ),
      plane,
    ),
    el("div", { class: "cr-examples" }, jacobianCard, chainCard),
  );

  let ticket = 0;
  let timer = null;
  let planeDrawn = false;

  const layout = () => layoutInputs.find((i) => i.checked)?.value ?? "numerator";

  function drawPlane(x, y) {
    if (!root.getClientRects().length) return;
    // A black ring in a white one: seen on the light middle and on the dark ends alike.
    const ring = (size, width, color) => ({
      type: "scatter", mode: "markers", x: [x], y: [y], hoverinfo: "skip",
      marker: { size, color, line: { width, color }, symbol: "circle-open" },
    });
    react(plane, [planeTrace(), ring(24, 3, "#fff"), ring(18, 3, "#000")], baseLayout({
      height: 300,
      margin: { l: 50, r: 10, t: 30, b: 45 },
      title: { text: "pick a point (f = 3x²y shaded)", font: { size: 15 } },
      xaxis: { title: { text: "x" }, range: [PLANE.min, PLANE.max], fixedrange: true, constrain: "domain" },
      yaxis: { title: { text: "y" }, range: [PLANE.min, PLANE.max], fixedrange: true, scaleanchor: "x" },
      showlegend: false,
    }), { displaylogo: false, responsive: true, displayModeBar: false });
    if (!planeDrawn && plane.on) {
      planeDrawn = true;
      plane.on("plotly_click", (event) => {
        const point = event.points?.[0];
        if (!point) return;
        xInput.value = Number(point.x).toFixed(2);
        yInput.value = Number(point.y).toFixed(2);
        load();
      });
    }
  }

  function showJacobian(data) {
    const j = data.jacobian;
    const symbolic = parseSymbolic(j.formula);
    const name = data.layout === "denominator" ? "Jᵀ" : "J";
    const diff = maxDifference(j.analytic, j.numeric);
    jacobianCard.replaceChildren(
      el("h3", {}, symbolNode(`${j.functions.f},  ${j.functions.g}`)),
      line(el("span", { text: `At (x, y) = (${sci(data.point.x)}, ${sci(data.point.y)}):  f = ${sci(j.values.f)},  g = ${sci(j.values.g)}` })),
      line(
        el("span", { class: "cr-sym" }, symbolNode(name)), op("="),
        symbolic ? symbolicMatrix(`${name} symbolic`, symbolic.rows) : symbolNode(j.formula),
        op("="), numbers("analytic Jacobian", j.analytic), el("span", { class: "panel-note", text: "analytic" }),
      ),
      line(
        el("span", { class: "cr-sym", text: "numerical" }), op("="), numbers("numerical Jacobian", j.numeric),
        el("span", { class: "panel-note", text: "central differences" }),
      ),
      el("p", { class: "panel-note", text: symbolic?.note ?? "" }),
      verdict(diff < AGREE, `analytic and numerical agree (largest difference ${sci(diff, 2)})`, `analytic and numerical differ by ${sci(diff, 2)}`),
    );
  }

  function showChain(data) {
    const c = data.vector_chain_rule;
    const denominator = data.layout === "denominator";
    const t = denominator ? "ᵀ" : "";
    const productDiff = maxDifference(c.product, c.analytic);
    const numericDiff = maxDifference(c.analytic, c.numeric);
    const factors = denominator
      ? [numbers(`(∂g/∂x)ᵀ`, c.dg_dx), numbers(`(∂y/∂g)ᵀ`, c.dy_dg)]
      : [numbers("∂y/∂g", c.dy_dg), numbers("∂g/∂x", c.dg_dx)];
    chainCard.replaceChildren(
      el("h3", {}, symbolNode(`${c.functions.y}  through  ${c.functions.g}`)),
      line(symbolNode(c.functions.y_of_g)),
      line(symbolNode("g"), op("="), numbers("value of g", c.g), el("span", { text: "  " }), symbolNode("y"), op("="), numbers("value of y", c.y)),
      line(
        el("span", { class: "cr-sym" }, symbolNode(denominator ? "(∂g/∂x)ᵀ (∂y/∂g)ᵀ" : "∂y/∂g · ∂g/∂x")), op("="),
        ...symbolicFactors(denominator), op("="),
        symbolicMatrix("product, symbolic", orient([["2x / g₁"], ["3 cos(g₂)"]], denominator)),
      ),
      line(op("="), ...factors, op("="), numbers("chain-rule product", c.product)),
      line(
        el("span", { class: "cr-sym" }, symbolNode(`direct (∂y/∂x)${t}`)), op("="), numbers("direct Jacobian", c.analytic),
        el("span", { class: "cr-sym", text: "numerical" }), op("="), numbers("numerical ∂y/∂x", c.numeric),
      ),
      el("p", { class: "panel-note" }, symbolNode(c.formula)),
      verdict(productDiff < 1e-9, `the chain-rule product equals the direct Jacobian (difference ${sci(productDiff, 2)})`, `the product and the direct Jacobian differ by ${sci(productDiff, 2)}`),
      verdict(numericDiff < AGREE, `analytic and numerical agree (largest difference ${sci(numericDiff, 2)})`, `analytic and numerical differ by ${sci(numericDiff, 2)}`),
    );
  }

  function markInvalid(field) {
    xInput.setAttribute("aria-invalid", String(field === "x"));
    yInput.setAttribute("aria-invalid", String(field === "y"));
  }

  async function load() {
    clearTimeout(timer);
    const x = xInput.value;
    const y = yInput.value;
    const mine = ++ticket;
    const params = new URLSearchParams({ x, y, layout: layout() });
    try {
      const data = await ctx.api.getJSON(`/api/chain-rule?${params}`);
      if (mine !== ticket) return;
      error.textContent = "";
      markInvalid(null);
      showJacobian(data);
      showChain(data);
      drawPlane(data.point.x, data.point.y);
    } catch (err) {
      if (mine !== ticket) return;
      error.textContent = err.message;
      // The message names the field ("x must be non-zero …") even when no field key is parsed.
      markInvalid(err.field ?? /^(x|y)\b/.exec(err.message)?.[1] ?? null);
    }
  }

  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  };
  xInput.addEventListener("input", later);
  yInput.addEventListener("input", later);
  xInput.addEventListener("change", load);
  yInput.addEventListener("change", load);
  for (const input of layoutInputs) input.addEventListener("change", load);

  // The lab does not depend on training, so it loads once when first shown.
  let loaded = false;
  const observer = new MutationObserver(() => {
    if (!loaded && root.getClientRects().length) {
      loaded = true;
      load();
    } else if (loaded && root.getClientRects().length && !plane.data) {
      drawPlane(Number(xInput.value), Number(yInput.value));
    }
  });
  observer.observe(root, { attributes: true, attributeFilter: ["hidden"] });
  if (root.getClientRects().length) {
    loaded = true;
    load();
  }

  return {
    update() {},
  };
}
