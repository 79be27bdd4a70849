// The banner under the top bar: divergence (with how to recover) and lost connections.

export function mountBanner(root, ctx) {
  let divergenceShown = false;

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

  return {
    /** Called with every frame: show or clear the divergence message. */
    update(frame) {
      if (frame.diverged && !divergenceShown) {
        divergenceShown = true;
        const lr = ctx.getState().learningRate;
        const text = escapeHtml(frame.divergence || "The loss became NaN or infinite.");
        show(
          `<strong>Training diverged.</strong> <span>${text}</span>
           <span>To recover: lower the learning rate η (now ${lr}) and press Reset.</span>`,
          [
            [`Reset with η = ${Math.max(lr / 10, 1e-5)}`, async () => {
              await ctx.session.configure({ learningRate: Math.max(lr / 10, 1e-5) }).catch(() => {});
              await ctx.session.reset();
            }],
          ],
        );
      } else if (!frame.diverged && divergenceShown) {
        divergenceShown = false;
        hide();
      }
    },
    /** A problem that is nobody's control: say what happened and what to do. */
    problem(message) {
      show(`<strong>Problem:</strong> <span>${escapeHtml(message)}</span>`, [["Dismiss", hide]]);
    },
    hide,
  };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}
