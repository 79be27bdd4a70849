// Curves panel: train and test loss and accuracy over the steps, the gradient norm of each
// layer, and the numerical gradient check (on a button: analytic against central
// differences, per parameter, pass below a relative error of 1e-6).

import {
  OKABE_ITO, baseLayout, el, header, layerOrder, react, series, waiting,
} from "./panel_common.js";
import { power10, sci } from "../format.js";
import { LiveChart } from "./live_chart.js";
import { whenVisible } from "./panel_visibility.js";

const TOLERANCE = 1e-6;
const LAYER_COLOURS = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.orange, OKABE_ITO.sky, OKABE_ITO.black];

/** The learning curves received so far, one array per series, appended frame by frame. */
class Curves {
  constructor() {
    this.clear();
  }

  clear() {
    this.step = [];
    this.trainLoss = [];
    this.testLoss = [];
    this.trainAccuracy = [];
    this.testAccuracy = [];
    this.gradNorm = {};
    this.revision = (this.revision ?? 0) + 1;
  }

  /** Append a history block ({rows, step, train_loss, …, grad_norm: {W, U}}); false if nothing new. */
  append(history) {
    if (!history || !history.rows) return false;
    const steps = series(history.step);
    const last = this.step.length ? this.step[this.step.length - 1] : -Infinity;
    // Steps going back to one never seen means a reset the frame did not announce.
    if (steps.length && steps[0] < last && !this.step.includes(steps[0])) this.clear();
    const columns = {
      trainLoss: series(history.train_loss), testLoss: series(history.test_loss),
      trainAccuracy: series(history.train_accuracy), testAccuracy: series(history.test_accuracy),
    };
    const norms = Object.fromEntries(Object.entries(history.grad_norm ?? {}).map(([k, v]) => [k, series(v)]));
    let added = false;
    steps.forEach((s, i) => {
      const end = this.step.length ? this.step[this.step.length - 1] : -Infinity;
      if (s <= end) return; // a row already drawn (REST and stream may both report it)
      this.step.push(s);
      for (const [key, column] of Object.entries(columns)) this[key].push(column[i] ?? null);
      for (const [name, column] of Object.entries(norms)) {
        this.gradNorm[name] ??= new Array(this.step.length - 1).fill(null);
        this.gradNorm[name].push(column[i] ?? null);
      }
      added = true;
    });
    if (added) this.revision += 1;
    return added;
  }
}

export function mount(root, ctx) {
  root.classList.add("panel-curves");
  const status = waiting();
  const lossDiv = el("div", { class: "plot", role: "img", "aria-label": "Loss over the steps" });
  const accuracyDiv = el("div", { class: "plot", role: "img", "aria-label": "Accuracy over the steps" });
  const normDiv = el("div", { class: "plot", role: "img", "aria-label": "Gradient norm of each layer" });
  const checkButton = el("button", { type: "button", class: "gc-run", text: "Run the gradient check" });
  const checkStatus = el("p", { class: "gc-status", role: "status" });
  const checkResult = el("div", { class: "gc-result" });
  const checkChart = el("div", { class: "plot gc-chart", role: "img", "aria-label": "Relative error of each gradient", hidden: true });
  root.replaceChildren(
    header("Learning curves"),
    status,
    el("div", { class: "plots-grid" }, lossDiv, accuracyDiv, normDiv),
    el(
      "section",
      { class: "gc", "aria-label": "Numerical gradient check" },
      el("h3", { text: "Numerical gradient check" }),
      el("p", {
        class: "panel-note",
        text: `Every ∂J/∂θ from backpropagation against central differences (J(θ + ε) − J(θ − ε)) / 2ε on the current minibatch. Relative error |analytic − numeric| / max(|analytic|, |numeric|); below ${power10(-6)} it passes.`,
      }),
      el("div", { class: "panel-toolbar" }, checkButton, checkStatus),
      el("div", { class: "gc-grid" }, checkResult, checkChart),
    ),
  );

  const curves = new Curves();
  const lossChart = new LiveChart(lossDiv, {
    title: "Loss J (mean NLL)", yTitle: "loss", format: (v) => sci(v, 4), filename: "loss",
  });
  const accuracyChart = new LiveChart(accuracyDiv, {
    title: "Accuracy", yTitle: "share correct", y: { range: [0, 1.02] }, format: (v) => sci(v, 3), filename: "accuracy",
  });
  const normChart = new LiveChart(normDiv, {
    title: "Gradient norm per layer", yTitle: "‖∂J/∂W‖ (log)", y: { type: "log" }, format: (v) => sci(v, 3), filename: "gradient-norms",
  });
  const trainTest = (train, test) => [
    { key: train, name: "train", color: OKABE_ITO.blue },
    { key: test, name: "test", color: OKABE_ITO.vermillion, dash: true },
  ];
  let drawnRevision = -1;
  /** The seq of the newest frame whose rows are on screen (read by the render benchmark). */
  let drawnSeq = null;

  function draw(frame) {
    if (typeof frame?.seq === "number") drawnSeq = frame.seq;
    if (drawnRevision === curves.revision) return;
    drawnRevision = curves.revision;
    status.remove();
    const x = curves.step;
    lossChart.draw(x, trainTest("trainLoss", "testLoss"), curves);
    accuracyChart.draw(x, trainTest("trainAccuracy", "testAccuracy"), curves);
    const names = Object.keys(curves.gradNorm).sort(layerOrder);
    normChart.draw(
      x,
      names.map((name, i) => ({ key: name, name: `‖∂J/∂${name}‖`, color: LAYER_COLOURS[i % LAYER_COLOURS.length] })),
      curves.gradNorm,
    );
  }

  const visible = whenVisible(root, draw);

  // The stream draws only the newest frame when frames come faster than the page paints, and
  // each frame carries only its own history rows: a skipped frame leaves a gap. A gap in
  // `seq` therefore re-reads the whole history (at most one request at a time, ≥ 1 s apart),
  // then re-applies the rows that arrived meanwhile.
  let lastSeq = null;
  let fetching = null;
  let fetchAgain = false;
  let lastFetch = 0;
  let arrivedMeanwhile = [];
  let resets = 0; // history resets seen: a fetch begun before the last one is out of date

  function backfill() {
    const id = ctx.restBase?.(); // a session's, or a followed class's
    if (!id) return;
    if (fetching) {
      fetchAgain = true;
      return;
    }
    const wait = Math.max(0, lastFetch + 1000 - performance.now());
    arrivedMeanwhile = [];
    const generation = resets;
    fetching = new Promise((resolve) => setTimeout(resolve, wait))
      .then(() => ctx.api.getJSON(`${id}/history`))
      .then((history) => {
        // A reset (or another session) since the request: this history is of the old run.
        if (generation !== resets || id !== ctx.restBase?.()) return;
        curves.clear();
        curves.append(history);
        for (const block of arrivedMeanwhile) curves.append(block);
        visible.offer(true);
      })
      .catch(() => {
        // The stream keeps the curves going; a failed backfill leaves only a gap.
      })
      .finally(() => {
        lastFetch = performance.now();
        fetching = null;
        arrivedMeanwhile = [];
        if (fetchAgain) {
          fetchAgain = false;
          backfill();
        }
      });
  }

  async function runCheck() {
    const id = ctx.sessionId?.();
    if (!id) {
      checkStatus.textContent = "No session yet.";
      return;
    }
    checkButton.disabled = true;
    checkStatus.textContent = "Checking every gradient numerically…";
    try {
      const check = await ctx.api.getJSON(`/api/sessions/${id}/gradcheck`);
      showCheck(check);
    } catch (err) {
      checkStatus.textContent = `The gradient check failed: ${err.message}`;
      checkStatus.className = "gc-status panel-error";
    } finally {
      checkButton.disabled = false;
    }
  }

  function showCheck(check) {
    const layers = check.layers ?? [];
    const worst = Math.max(...layers.map((l) => l.relative_error ?? Infinity));
    const passed = check.passed ?? worst < TOLERANCE;
    checkStatus.className = `gc-status ${passed ? "gc-pass" : "gc-fail"}`;
    checkStatus.textContent = passed
      ? `✓ All ${layers.length} gradients agree with the numerical ones (worst relative error ${sci(worst, 2)} < ${power10(-6)}).`
      : `✗ Some gradients disagree with the numerical ones (worst relative error ${sci(worst, 2)} ≥ ${power10(-6)}).`;
    const rows = layers.map((l) => {
      const ok = (l.relative_error ?? Infinity) < TOLERANCE;
      return el(
        "tr",
        {},
        el("th", { scope: "row", text: `∂J/∂${l.name}` }),
        el("td", { text: sci(l.relative_error, 2) }),
        el("td", { text: sci(l.max_abs_error, 2) }),
        el("td", { class: ok ? "gc-pass" : "gc-fail", text: ok ? "✓ pass" : "✗ fail" }),
      );
    });
    checkResult.replaceChildren(
      el(
        "table",
        { class: "gc-table", "aria-label": "Gradient check per parameter" },
        el("caption", { text: `ε = ${sci(check.eps ?? 1e-5)}` }),
        el("thead", {}, el("tr", {}, ...["parameter", "relative error", "max |abs| error", `< ${power10(-6)}`].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, rows),
      ),
    );
    checkChart.hidden = false;
    const errors = layers.map((l) => Math.max(l.relative_error ?? 1, 1e-18));
    const labels = layers.map((l) => `∂J/∂${l.name}`);
    // Whole decades around the errors and the tolerance, labelled in powers of ten only
    // (no 2 and 5 between them), at most about 7 along the axis.
    const decades = [...errors, TOLERANCE].map(Math.log10);
    const range = [Math.floor(Math.min(...decades)) - 1, Math.ceil(Math.max(...decades) + 0.5)];
    const dtick = Math.max(1, Math.ceil((range[1] - range[0]) / 7));
    react(
      checkChart,
      [{
        type: "bar", orientation: "h", x: errors, y: labels,
        marker: { color: errors.map((e) => (e < TOLERANCE ? OKABE_ITO.green : OKABE_ITO.vermillion)) },
        customdata: errors.map((e) => sci(e, 3)),
        hovertemplate: "%{y}: %{customdata}<extra></extra>",
      }],
      baseLayout({
        height: Math.max(220, 44 * layers.length + 100),
        margin: { l: 80, r: 20, t: 30, b: 56 },
        xaxis: { type: "log", title: { text: "relative error (log scale)", font: { size: 15 } }, tickfont: { size: 14 }, exponentformat: "power", range, dtick },
        yaxis: { autorange: "reversed", tickfont: { size: 15 } },
        shapes: [{ type: "line", x0: TOLERANCE, x1: TOLERANCE, yref: "paper", y0: 0, y1: 1, line: { color: OKABE_ITO.black, dash: "dash", width: 2 } }],
        annotations: [{ x: Math.log10(TOLERANCE), y: 1, yref: "paper", yanchor: "bottom", text: `${power10(-6)} tolerance`, showarrow: false, font: { size: 14 } }],
      }),
    );
  }

  checkButton.addEventListener("click", runCheck);
  ctx.onState?.((state, changed = []) => {
    if (changed.includes("presentation")) {
      curves.revision += 1;
      visible.offer(true);
    }
  });

  return {
    get drawnSeq() {
      return drawnSeq;
    },
    update(frame) {
      if (!frame) return;
      // Frames were skipped if seq jumped, or if the first frame drawn is not the stream's
      // first. A reset frame carries the whole history, unless it stands in for a skipped
      // one (history_partial): then its rows are only its own.
      const seq = typeof frame.seq === "number" ? frame.seq : null;
      // (A frame drawn again, as the loss phase does with the newest, is no gap.)
      const skipped = seq !== null && (lastSeq === null ? seq > 0 : seq !== lastSeq + 1 && seq !== lastSeq);
      lastSeq = seq;
      if (frame.history_reset) {
        resets += 1;
        arrivedMeanwhile = [];
        curves.clear();
      }
      curves.append(frame.history);
      // Time travel: the curves keep every step and mark the one the page shows.
      const at = frame.timeline?.at ?? null;
      for (const chart of [lossChart, accuracyChart, normChart]) chart.mark(at);
      if (fetching && frame.history) arrivedMeanwhile.push(frame.history);
      if (skipped && (!frame.history_reset || frame.history_partial)) backfill();
      visible.offer(frame);
    },
  };
}
