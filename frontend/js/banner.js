// The banner under the top bar: divergence (with how to recover) and lost connections.

export function mountBanner(root, ctx) {
  let divergenceShown = false;
  // The learning rate in effect and the one before it: raising η until the loss diverges
  // is the classroom experiment, and the rate before the raise is the one known to train.
  let rate = null;
  let previousRate = null;

  function show(html, actions = []) {
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

  function hide() {
    root.hidden = true;
    root.replaceChildren();
  }

  /** A problem that is nobody's control: say what happened and what to do. */
  function problem(message) {
    show(`<strong>Problem:</strong> <span>${escapeHtml(message)}</span>`, [["Dismiss", hide]]);
  }

  return {
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
        const text = escapeHtml(frame.divergence || "The loss became NaN or infinite.");
        show(
          `<strong>Training diverged.</strong> <span>${capitalise(text.replace(/^Training diverged:?\s*/i, ""))}</span>`,
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
      } else if (!frame.diverged && divergenceShown) {
        divergenceShown = false;
        hide();
      }
    },
    problem,
    hide,
  };
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}
