// Equations panel (first version: shows a waiting state until the first frame arrives).
import { el, waiting } from "./panel_common.js";

export function mount(root, ctx) {
  root.classList.add("panel");
  const status = waiting();
  root.replaceChildren(el("h2", { class: "panel-title", text: "Equations" }), status);
  return {
    update(frame) {
      if (frame && status.isConnected) status.textContent = `Step ${frame.step ?? ""}`;
    },
  };
}
