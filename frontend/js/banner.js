// The banner under the top bar: divergence (with how to recover), health warnings (the loss
// growing, a layer of saturated or dead units: with how to recover) and a stream that cannot
// connect (with what to do).
//
// One message at a time, of one kind: "divergence", "health", "connection" or "problem". A
// kind's message leaves only by its own clear (or Dismiss), never by another kind's; a
// divergence message replaced by another is shown again by the next diverged frame. A health
// warning is the mildest: it shows only while no other message is on show (a divergence
// replaces it), and comes back with the next frame that still carries it once the banner is
// free again. Dismissing one hides it until the server stops reporting it.
//
// Its height is published as --banner-h on the page, so the sticky sidebar starts below it
// and still ends at the bottom of the window (its last control stays reachable).

export function mountBanner(root, ctx) {
  let divergenceShown = false;
  let kind = null; // the kind of message on show, or null
  let healthKey = null; // which health warning is on show (kind, layer and offered η)
  const dismissed = new Set(); // health warnings dismissed, while the server still reports them
  let recovering = false; // the health recovery was clicked: no warning until the reset frame
  // The learning rate in effect and the one before it: raising η until the loss diverges
  // is the classroom experiment, and the rate before the raise is the one known to train.
  let rate = null;
  let previousRate = null;

  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--banner-h", `${root.hidden ? 0 : root.offsetHeight}px`);
  }).observe(root);

  function show(newKind, html, actions = []) {
    if (kind === "divergence" && newKind !== "divergence") divergenceShown = false;
    healthKey = null;
    kind = newKind;
    root.replaceChildren();
    root.innerHTML = html;
    for (const [label, onClick] of actions) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", onClick);
      root.append(button);
    }
    root.hidden = false;
  }

  /** Take the message away: any, or only one of `only` kind. */
  function hide(only = null) {
    if (only !== null && kind !== only) return;
    if (kind === "divergence") divergenceShown = false;
    healthKey = null;
    kind = null;
    root.hidden = true;
    root.replaceChildren();
  }

  /** A problem that is nobody's control: say what happened and what to do. */
  function problem(message) {
    show("problem", `<span><strong>Problem:</strong> ${escapeHtml(message)}</span>`, [["Dismiss", () => hide()]]);
  }

  /** Divergence in two short sentences: what happened (at which step), and the way out. */
  function showDivergence(frame, smaller) {
    const { step, loss } = whatDiverged(frame);
    show(
      "divergence",
      `<span><strong>Training diverged${step === null ? "" : ` at step ${step}`}:</strong> `
        + `${escapeHtml(loss)}. Lower the learning rate to η = ${smaller}, then reset.</span>`,
      [
        [`Reset with η = ${smaller}`, async () => {
          try {
            await lowerAndReset(smaller);
          } catch (err) {
            problem(err.message);
          }
        }],
      ],
    );
  }

  /** The learning rate to offer: the one before the last raise, else a tenth of this one. */
  function smallerRate(lr) {
    return previousRate !== null && previousRate < lr
      ? previousRate
      : Number(Math.max(lr / 10, 1e-5).toPrecision(2));
  }

  /** Set η to `smaller`, then reset: the way out of a divergence or a stuck network. */
  async function lowerAndReset(smaller) {
    await ctx.session.configure({ learningRate: smaller });
    ctx.session.reset();
  }

  /**
   * A health warning (see docs/api.md) in `wording`: what happened, then the way out, with its
   * button. `key` names the warning and the η offered: while it stays, only the words change.
   */
  function showHealth(wording, key, warning, smaller) {
    if (key === healthKey) {
      root.querySelector("span").innerHTML = wording; // the numbers move; the buttons stay
      return;
    }
    show(
      "health",
      `<span>${wording}</span>`,
      [
        [`Reset with η = ${smaller}`, async () => {
          recovering = true;
          hide("health");
          try {
            await lowerAndReset(smaller);
          } catch (err) {
            recovering = false;
            problem(err.message);
          }
        }],
        ["Dismiss", () => {
          dismissed.add(warningKey(warning));
          hide("health");
        }],
      ],
    );
    healthKey = key;
  }

  /** Called with every frame: show, update or clear the health warning on show. */
  function updateHealth(frame, lr) {
    const warnings = frame.diverged ? [] : frame.health ?? [];
    const present = new Set(warnings.map(warningKey));
    for (const key of dismissed) if (!present.has(key)) dismissed.delete(key);
    if (recovering && frame.step === 0) recovering = false;
    const warning = recovering ? undefined : warnings.find((w) => !dismissed.has(warningKey(w)));
    if (warning === undefined) {
      hide("health");
      return;
    }
    if (kind !== null && kind !== "health") return; // a weightier message is on show
    const smaller = smallerRate(lr);
    // "now" is the loss the top bar shows for this frame (the warning's own is a median)
    const now = frame.metrics?.train_loss ?? warning.loss;
    const wording = `${healthWords({ ...warning, loss: now })}. Lower the learning rate to η = ${smaller}, then reset.`;
    showHealth(wording, `${warningKey(warning)}@${smaller}`, warning, smaller);
  }

  return {
    /** The stream cannot connect: what is wrong and what to do (see connection.js). */
    connectionProblem(message, retryNow) {
      show("connection", `<span><strong>No connection:</strong> ${escapeHtml(message)}</span>`, [["Retry now", retryNow]]);
    },
    /** Frames flow again: the connection message, and only it, goes. */
    connectionRestored() {
      hide("connection");
    },
    /** Called with every frame: show or clear the divergence message and health warnings. */
    update(frame) {
      const lr = ctx.getState().learningRate;
      if (lr !== rate) {
        previousRate = rate;
        rate = lr;
      }
      if (frame.diverged && !divergenceShown) {
        divergenceShown = true;
        showDivergence(frame, smallerRate(lr));
      } else if (!frame.diverged && divergenceShown) {
        hide("divergence");
      }
      updateHealth(frame, lr);
    },
    problem,
    hide,
  };
}

/**
 * The step whose update blew up and what the loss became, from the server's message
 * ("… the minibatch loss became NaN after update 37. …"); failing that, the step after the
 * frame's (the parameters shown are the last good ones, from before the bad update).
 */
function whatDiverged(frame) {
  const match = /loss became (\S+) after update (\d+)/.exec(frame.divergence ?? "");
  const step = match ? Number(match[2]) : Number.isInteger(frame.step) ? frame.step + 1 : null;
  const raw = match?.[1] ?? "NaN";
  let loss = `the loss became ${raw === "infinite" ? "infinite" : "NaN"}`;
  const value = Number(raw);
  if (Number.isFinite(value)) {
    const shown = Math.abs(value) < 1e5 ? String(Number(value.toPrecision(2))) : value.toExponential(1).replace("e+", "e");
    loss = `the loss blew up to ${shown}`;
  }
  return { step, loss };
}

/** One health warning per kind and layer: its numbers change from frame to frame. */
function warningKey(warning) {
  return `${warning.kind}:${warning.layer ?? ""}`;
}

/** What a health warning says happened, in plain words (as HTML, without the way out). */
function healthWords(warning) {
  const n = (v) => escapeHtml(readable(v));
  if (warning.kind === "diverging") {
    return `<strong>The loss is growing:</strong> ${n(warning.loss)} now, best ${n(warning.best)} `
      + `at step ${n(warning.best_step)}`;
  }
  const units = `${n(warning.units)} of ${n(warning.of)}`;
  const layer = `Hidden layer ${n(warning.layer)}`;
  if (warning.kind === "dead") {
    return `<strong>${layer}: ${units} ReLU units are dead</strong> (h = 0 for every input): `
      + "no gradient passes through them";
  }
  const near = warning.activation === "sigmoid" ? "h < 0.01 or h > 0.99" : "|h| > 0.99";
  return `<strong>${layer}: ${units} ${escapeHtml(warning.activation ?? "")} units are saturated</strong> `
    + `(${near} for most inputs): gradients through them vanish`;
}

/** A number in 3 significant figures (10.4, 0.0123), or ×10ⁿ when it is very large or small. */
function readable(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude === 0 || (magnitude >= 1e-3 && magnitude < 1e5)) return String(Number(value.toPrecision(3)));
  const [mantissa, exponent] = value.toExponential(2).split("e");
  const superscript = String(Number(exponent)).replace(/[-0-9]/g, (c) => "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"["-0123456789".indexOf(c)]);
  return `${Number(mantissa)}×10${superscript}`;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}
