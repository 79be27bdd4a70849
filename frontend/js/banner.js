// The banner under the top bar: divergence (with how to recover) and a stream that cannot
// connect (with what to do).
//
// One message at a time, of one kind: "divergence", "connection" or "problem". A kind's
// message leaves only by its own clear (or Dismiss), never by another kind's; a divergence
// message replaced by another is shown again by the next diverged frame.
//
// Its height is published as --banner-h on the page, so the sticky sidebar starts below it
// and still ends at the bottom of the window (its last control stays reachable).

export function mountBanner(root, ctx) {
  let divergenceShown = false;
  let kind = null; // the kind of message on show, or null
  // The learning rate in effect and the one before it: raising η until the loss diverges
  // is the classroom experiment, and the rate before the raise is the one known to train.
  let rate = null;
  let previousRate = null;

  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--banner-h", `${root.hidden ? 0 : root.offsetHeight}px`);
  }).observe(root);

  function show(newKind, html, actions = []) {
    if (kind === "divergence" && newKind !== "divergence") divergenceShown = false;
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
            await ctx.session.configure({ learningRate: smaller });
            ctx.session.reset();
          } catch (err) {
            problem(err.message);
          }
        }],
      ],
    );
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
    /** Called with every frame: show or clear the divergence message. */
    update(frame) {
      const lr = ctx.getState().learningRate;
      if (lr !== rate) {
        previousRate = rate;
        rate = lr;
      }
      if (frame.diverged && !divergenceShown) {
        divergenceShown = true;
        const smaller = previousRate !== null && previousRate < lr
          ? previousRate
          : Number(Math.max(lr / 10, 1e-5).toPrecision(2));
        showDivergence(frame, smaller);
      } else if (!frame.diverged && divergenceShown) {
        hide("divergence");
      }
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

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}
