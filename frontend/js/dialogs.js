// What the library's dialogs share (experiments.js, lessons.js): a modal <dialog> built on
// first use (the first page load carries none of it), a link with a copy button, and the
// wording of a saved state's step, loss and date.

import { el } from "./views/panel_common.js";
import { fmt } from "./format.js";

export { el };

/** A modal dialog titled `title`, appended to the page once; `body` is where it is filled. */
export function makeDialog(id, title) {
  const heading = el("h2", { id: `${id}-title` }, title);
  const body = el("div", { class: "library-body" });
  const dialog = el("dialog", { id, class: "library-dialog", "aria-labelledby": heading.id }, heading, body);
  document.body.append(dialog);
  return {
    dialog,
    heading,
    body,
    open() {
      if (!dialog.open) dialog.showModal();
    },
    close: () => dialog.close(),
  };
}

/** A read-only field holding `url` and a button that copies it (or selects it to copy by
 * hand where the clipboard is refused). */
export function linkField(label) {
  const input = el("input", { type: "text", readonly: true, "aria-label": label, class: "link-field" });
  const button = el("button", { type: "button" }, "Copy link");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch {
      input.select();
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => (button.textContent = "Copy link"), 2000);
  });
  return { node: el("div", { class: "link-row" }, input, button), set: (url) => (input.value = url) };
}

/** A path of the server's (share_url, thumbnail_url) as a link anyone on the network can open. */
export const absolute = (path) => new URL(path, location.origin).href;

export const fmtInt = (n) => Number(n).toLocaleString("en-US");

/** "step 1,240 · loss 0.123 · 3 May 2025, 14:05" */
export function describeSaved(item) {
  const parts = [`step ${fmtInt(item.step)}`];
  if (item.loss !== null && item.loss !== undefined) parts.push(`loss ${fmt(item.loss)}`);
  if (item.accuracy !== null && item.accuracy !== undefined) parts.push(`test acc ${(100 * item.accuracy).toFixed(1)}%`);
  const date = item.updated_at ?? item.created_at;
  if (date) parts.push(new Date(date).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
  return parts.join(" · ");
}

/** "spiral, 3 classes · 8,8 tanh" (a saved state's summary). */
export function describeModel(summary) {
  if (!summary) return "";
  const net = summary.model === "logistic" || !summary.hidden?.length ? "logistic regression" : `${summary.hidden.join(",")} ${summary.activation}`;
  return `${summary.dataset}, ${summary.classes} classes · ${net}`;
}

/** Download a file the server names (Content-Disposition) by an anchor's click. */
export function download(path) {
  const a = el("a", { href: path, download: "" });
  document.body.append(a);
  a.click();
  a.remove();
}
