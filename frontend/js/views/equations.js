// Equations panel: the lecture's derivation for the selected example with the live numbers
// filled in, grouped by phase (forward, loss, backward, update), the current one highlighted.
// The DOM is built once per network shape and convention; every frame only rewrites cells.

import { el, fmt, header, waiting } from "./panel_common.js";
import { PHASES, derivation, isBinaryLogistic, operandMatrix, quantityMap, structureKey } from "./eq_derivation.js";
import { conventionBadge, liveMatrix, op, symbolNode } from "./eq_render.js";
import { whenVisible } from "./panel_visibility.js";

const TOGGLES = [
  {
    key: "sign",
    legend: "Sign convention",
    options: [
      ["loss", "J = NLL, descent"],
      ["loglik", "J = log P, ascent"],
    ],
  },
  {
    key: "layout",
    legend: "δ layout",
    options: [
      ["row", "row vector (slides)"],
      ["column", "column vector"],
    ],
  },
  {
    key: "bias",
    legend: "Bias",
    options: [
      ["separate", "separate b"],
      ["augmented", "in W (x with 1)"],
    ],
  },
];

const PLAYING_INTERVAL_MS = 100; // the least time between two rewrites while playing

const SECTION_TITLES = {
  forward: "Forward",
  loss: "Loss",
  backward: "Backward: δ flows from the output to the input",
  update: "Gradients and the update",
};

/** A segmented radio group bound to one key of the UI state. */
function toggleGroup(spec, ctx) {
  const name = `eq-${spec.key}`;
  const inputs = new Map();
  const fieldset = el("fieldset", { class: "seg" }, el("legend", { text: spec.legend }));
  for (const [value, text] of spec.options) {
    const input = el("input", { type: "radio", name, value });
    input.addEventListener("change", () => {
      if (input.checked) ctx.setState({ [spec.key]: value });
    });
    inputs.set(value, input);
    fieldset.append(el("label", { class: `seg-option seg-${spec.key}-${value}` }, input, el("span", { text })));
  }
  const sync = (state) => {
    const current = state?.[spec.key] ?? spec.options[0][0];
    for (const [value, input] of inputs) input.checked = value === current;
  };
  return { node: fieldset, sync };
}

function conventionOf(state) {
  return { sign: state?.sign ?? "loss", layout: state?.layout ?? "row", bias: state?.bias ?? "separate" };
}

function sameConvention(a, b) {
  return a.sign === b.sign && a.layout === b.layout && a.bias === b.bias;
}

export function mount(root, ctx) {
  root.classList.add("panel", "panel-equations");
  const toggles = TOGGLES.map((spec) => toggleGroup(spec, ctx));
  const caption = el("p", { class: "eq-caption", "aria-live": "polite" });
  const phaseStrip = el(
    "ol",
    { class: "eq-phases", "aria-label": "Phase of the step" },
    PHASES.map((p) => el("li", { dataset: { phase: p }, text: p })),
  );
  const body = el("div", { class: "eq-body" }, waiting());
  const operandsBox = el("input", { type: "checkbox", checked: true });
  operandsBox.addEventListener("change", () => root.classList.toggle("eq-results-only", !operandsBox.checked));
  root.replaceChildren(
    header("Equations", phaseStrip),
    el(
      "div",
      { class: "eq-toggles" },
      toggles.map((t) => t.node),
      el("label", { class: "eq-check" }, operandsBox, " show the operands"),
    ),
    caption,
    body,
  );

  let key = null;
  let live = []; // {phase, set | span+fn}: everything a frame rewrites
  let sections = new Map();
  // Only the sections on screen are rewritten: with a 16-16 net a frame has a few hundred
  // cells to format, lay out and paint, so one scrolled away is left stale until it comes
  // back into view (refreshed then from the newest trace).
  const onScreen = new Set();
  const stale = new Set();
  const watcher = "IntersectionObserver" in window
    ? new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const phase = entry.target.dataset.phase;
        if (!entry.isIntersecting) {
          onScreen.delete(phase);
          continue;
        }
        onScreen.add(phase);
        if (stale.has(phase) && lastTrace && !refresh(lastTrace, phase)) {
          key = null;
          show(lastTrace, lastFrame);
        }
      }
    }, { rootMargin: "200px 0px" })
    : null;
  let lastFrame = null;
  let lastTrace = null;
  let fetching = 0;

  function build(trace) {
    const state = ctx.getState?.() ?? {};
    const { rows, conv } = derivation(trace, { learningRate: state.learningRate });
    const qmap = quantityMap(trace);
    live = [];
    sections = new Map();
    watcher?.disconnect();
    onScreen.clear();
    stale.clear();
    const content = [];
    for (const phase of PHASES) {
      const phaseRows = rows.filter((r) => r.phase === phase);
      if (!phaseRows.length) continue;
      const section = el(
        "section",
        { class: "eq-section", dataset: { phase }, "aria-label": SECTION_TITLES[phase] },
        el("h3", { text: SECTION_TITLES[phase] }),
      );
      const blocks = el("div", { class: "eq-blocks" });
      section.append(blocks);
      let block = null;
      let blockName = null;
      const first = live.length;
      for (const row of phaseRows) {
        if (row.block !== blockName) {
          blockName = row.block;
          block = el("div", { class: "eq-block" }, el("h4", { text: blockName }));
          blocks.append(block);
        }
        block.append(buildRow(row, qmap, conv));
      }
      for (const item of live.slice(first)) item.phase = phase;
      sections.set(phase, section);
      if (watcher) watcher.observe(section);
      else onScreen.add(phase);
      content.push(section);
    }
    body.replaceChildren(...content);
  }

  /** One equation: the symbol, its formula (with the convention badge), then the numbers. */
  function buildRow(row, qmap, conv) {
    const formula = el("div", { class: "eq-formula" }, row.sep ? op(row.sep) : null, symbolNode(row.formula));
    if (row.note) formula.append(el("span", { class: "eq-note", text: row.note }));
    if (row.signed) formula.append(conventionBadge(conv.sign));
    const node = el(
      "div",
      { class: "eq-row", role: "group", "aria-label": row.label, dataset: { symbol: row.symbol, phase: row.phase } },
      el("div", { class: "eq-lhs" }, symbolNode(row.lhs ?? row.label)),
      el("div", { class: "eq-rhs" }, formula),
    );
    const q = qmap.get(row.symbol);
    if (!q || (row.result === "none" && !row.operands.length)) return node;
    const numbers = el("div", { class: "eq-numbers" }, op("="));
    if (row.operands.length) {
      // The right-hand side with its numbers filled in; hidden when only results are wanted
      // (unless it is the result, as diag(…) is for ∂h/∂z).
      const substitution = el("span", { class: row.result === "none" ? "eq-as-result" : "eq-substitution" });
      for (const operand of row.operands) substitution.append(operandNode(operand, qmap));
      if (row.result !== "none") substitution.append(op("="));
      numbers.append(substitution);
    }
    if (row.result !== "none") {
      const own = { ref: row.symbol, transpose: Boolean(row.resultTranspose) };
      const result = liveMatrix(`value of ${row.label}`, operandMatrix(qmap, own));
      result.node.classList.add("mat-result");
      live.push({ operand: own, set: result.set });
      numbers.append(result.node);
    }
    node.querySelector(".eq-rhs").append(numbers);
    return node;
  }

  /** An operator, a computed note, or a quantity's numbers captioned with its symbol. */
  function operandNode(operand, qmap) {
    if (operand.text !== undefined) return op(operand.text);
    if (operand.live) {
      const span = el("span", { class: "eq-live", text: operand.live(qmap) });
      live.push({ span, fn: operand.live });
      return span;
    }
    const q = qmap.get(operand.ref);
    if (!q) return symbolNode(operand.ref);
    let name = q.display ?? operand.ref;
    if (operand.dropBias) name = `${name} (no bias column)`;
    if (operand.transpose) name = `${name}ᵀ`;
    const matrix = liveMatrix(name, operandMatrix(qmap, operand), { diagonal: operand.diagonal });
    live.push({ operand, set: matrix.set });
    const caption = operand.diagonal ? `diagonal of ${q.display}` : name;
    return el("span", { class: "operand", dataset: { symbol: operand.ref } }, matrix.node, el("span", { class: "operand-name" }, symbolNode(caption)));
  }

  /**
   * Rewrite the numbers in place, of one phase's section or of every section on screen (the
   * others are marked stale); false when a shape changed and the panel must be rebuilt.
   */
  function refresh(trace, only = null) {
    const qmap = quantityMap(trace);
    if (!only) for (const phase of sections.keys()) if (!onScreen.has(phase)) markStale(phase, true);
    for (const item of live) {
      if (only ? item.phase !== only : !onScreen.has(item.phase)) continue;
      if (item.span) item.span.textContent = item.fn(qmap);
      else if (!item.set(operandMatrix(qmap, item.operand))) return false;
    }
    for (const phase of only ? [only] : onScreen) markStale(phase, false);
    return true;
  }

  /** A stale section says so (data-stale), so a reader can wait for it to catch up. */
  function markStale(phase, isStale) {
    if (isStale) stale.add(phase);
    else stale.delete(phase);
    sections.get(phase)?.toggleAttribute("data-stale", isStale);
  }

  function highlight(phase) {
    const current = phase === "ready" ? null : phase;
    for (const li of phaseStrip.children) li.classList.toggle("current", li.dataset.phase === current);
    for (const [p, section] of sections) section.classList.toggle("current", p === current);
  }

  function describe(trace) {
    const state = ctx.getState?.() ?? {};
    const target = trace.target ?? null;
    const raw = Array.isArray(trace.x_raw) ? trace.x_raw : null;
    const where = raw ? ` at (x₁, x₂) = (${raw.map((v) => fmt(Number(v))).join(", ")})` : "";
    const which = trace.index ?? state.selected;
    const split = trace.split ?? state.selectedSplit;
    const kind = split === "test" ? "Test example" : "Training example";
    const who = which !== undefined && which !== null ? `${kind} #${which}` : "Example";
    // Classes are numbered from 1, as k is in the lecture (the API counts from 0). Binary
    // logistic regression's slide has no k: its label is y ∈ {0, 1}, the API's own number,
    // with y = 1 the second class (o = P(y = 1 | x)), which the caption says.
    let label = "";
    if (target !== null && isBinaryLogistic(trace)) label = `, y = ${Number(target)} (y = 1: class 2, y = 0: class 1)`;
    else if (target !== null) label = `, class k = ${Number(target) + 1}`;
    caption.textContent = `${who}${label}${where}`;
  }

  function show(trace, frame) {
    if (!trace?.quantities?.length) return;
    lastTrace = trace;
    const nextKey = structureKey(trace, `η=${ctx.getState?.()?.learningRate}`);
    if (nextKey !== key || !refresh(trace)) {
      key = nextKey;
      build(trace);
    }
    describe(trace);
    highlight(frame?.phase ?? null);
  }

  /** Ask the server for the selected example's trace in the convention the toggles show. */
  async function fetchTrace() {
    const id = ctx.sessionId?.();
    if (!id || !ctx.api) return;
    const state = ctx.getState?.() ?? {};
    const params = new URLSearchParams(conventionOf(state));
    if (state.selected !== undefined && state.selected !== null) {
      params.set("index", state.selected);
      if (state.selectedSplit === "test") params.set("split", "test");
    }
    const ticket = ++fetching;
    try {
      const trace = await ctx.api.getJSON(`/api/sessions/${id}/trace?${params}`);
      if (ticket === fetching) show(trace.trace ?? trace, lastFrame);
    } catch (err) {
      if (ticket === fetching) caption.textContent = `The trace could not be loaded: ${err.message}`;
    }
  }

  const sync = (state) => toggles.forEach((t) => t.sync(state));
  sync(ctx.getState?.());
  let previous = conventionOf(ctx.getState?.());
  const selectionOf = (state) => `${state?.selectedSplit ?? "train"}:${state?.selected}`;
  let previousSelected = selectionOf(ctx.getState?.());
  ctx.onState?.((state) => {
    sync(state);
    const next = conventionOf(state);
    if (!sameConvention(next, previous) || selectionOf(state) !== previousSelected) {
      previous = next;
      previousSelected = selectionOf(state);
      fetchTrace();
    }
  });

  // While training plays, the numbers are rewritten at most PLAYING_INTERVAL_MS apart:
  // nobody reads a matrix that changes 30 times a second, and with a 16-16 net these
  // hundreds of cells are the page's largest layout. A step, a phase or a pause is shown at
  // once, and the newest frame is always the one shown.
  const visible = whenVisible(root, draw, {
    interval: (frame) => (frame?.stream?.playing ? PLAYING_INTERVAL_MS : 0),
  });

  function draw(frame) {
    const trace = frame?.trace;
    const wanted = conventionOf(ctx.getState?.());
    // A frame made before the last toggle reached the server keeps the other convention:
    // keep what is shown rather than flicker back.
    if (trace?.convention && !sameConvention({ ...wanted, ...trace.convention }, wanted)) {
      highlight(frame.phase);
      return;
    }
    if (trace) show(trace, frame);
    else highlight(frame?.phase);
  }

  return {
    update(frame) {
      lastFrame = frame;
      visible.offer(frame);
    },
    /** The trace on screen (for the other views and for debugging in the console). */
    get trace() {
      return lastTrace;
    },
  };
}
