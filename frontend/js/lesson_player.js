// Presenting a lesson: each scene opens exactly as it was saved (a new session at the
// scene's state, its view applied, paused; Play then runs it live), with its caption in a
// bar along the bottom, large enough to read from the back of a hall.
//
// The keys are a presentation clicker's: PageDown or → for the next scene, PageUp or ← for
// the previous one, Escape to leave the lesson (Space still plays). They are taken in the
// capture phase at the window and stopped there, so the same press never also steps the
// network (running.js), moves the timeline (timeline.js) or switches a tab (tabs.js).
// Shift+→ is left alone: it walks the scene's step phase by phase, as everywhere.

import { el } from "./views/panel_common.js";

let current = null; // the lesson being presented: one at a time
const LONG_CAPTION = 110; // characters: about two lines of the large type at 1280 px

/**
 * Present `lesson` ({id, title, scenes}) from scene `start`: an index to open, or the
 * SessionState of its first scene when the page has opened it already (a /lesson/<id> link).
 */
export function presentLesson(ctx, lesson, start = 0) {
  current?.leave({ keepPath: true });
  current = mountPlayer(ctx, lesson, start);
}

function mountPlayer(ctx, lesson, start) {
  const n = lesson.scenes.length;
  const path = `/lesson/${encodeURIComponent(lesson.id)}`;
  const prev = el("button", { type: "button", class: "lesson-prev", "aria-keyshortcuts": "PageUp ArrowLeft", title: "Previous scene (PageUp, ←)" }, "‹ Previous");
  const next = el("button", { type: "button", class: "lesson-next", "aria-keyshortcuts": "PageDown ArrowRight", title: "Next scene (PageDown, →)" }, "Next ›");
  const exit = el("button", { type: "button", class: "lesson-exit", "aria-keyshortcuts": "Escape", title: "Leave the lesson (Escape)" }, "End lesson");
  const caption = el("p", { id: "lesson-caption", class: "lesson-caption", "aria-live": "polite" });
  const counter = el("p", { id: "lesson-counter", class: "lesson-counter" });
  const bar = el("section", { id: "lesson-bar", class: "lesson-bar", "aria-label": `Lesson: ${lesson.title}` },
    el("div", { class: "lesson-nav" }, prev, counter, next),
    caption,
    el("div", { class: "lesson-side" }, el("p", { class: "lesson-title" }, lesson.title), exit));
  document.body.append(bar);
  document.body.classList.add("lesson");

  // The stage makes room for the bar (app.css, --lesson-h): nothing hides under it.
  const sized = new ResizeObserver(() => {
    document.documentElement.style.setProperty("--lesson-h", `${bar.offsetHeight}px`);
    window.dispatchEvent(new Event("resize")); // the charts measure their new height
  });
  sized.observe(bar);

  let shown = -1; // the scene on screen
  let wanted = -1; // the scene asked for (a clicker pressed twice moves two scenes)
  let opening = false;

  function draw() {
    const scene = lesson.scenes[shown];
    caption.textContent = scene?.caption || "";
    // a long caption in smaller type, so the stage keeps most of a 720-line projector
    bar.classList.toggle("long", caption.textContent.length > LONG_CAPTION);
    counter.textContent = `scene ${shown + 1} of ${n}`;
    bar.dataset.scene = String(shown + 1);
    prev.disabled = wanted <= 0;
    next.disabled = wanted >= n - 1;
  }

  /** Open scene `index`, then any scene asked for meanwhile. */
  async function go(index) {
    wanted = Math.max(0, Math.min(n - 1, index));
    draw();
    if (opening) return;
    opening = true;
    try {
      while (wanted !== shown) {
        const target = wanted;
        const scene = lesson.scenes[target];
        bar.setAttribute("aria-busy", "true");
        const state = await ctx.api.postJSON(`/api/lessons/${lesson.id}/scenes/${scene.id}/open`);
        if (current?.bar !== bar) return; // left meanwhile
        show(state, target);
      }
    } catch (err) {
      ctx.notify(`Scene ${wanted + 1} could not be opened: ${err.message}`, 8000);
      wanted = shown;
      draw();
    } finally {
      opening = false;
      bar.removeAttribute("aria-busy");
    }
  }

  function show(state, index) {
    ctx.showSession(state, state.view, path);
    shown = index;
    if (typeof state.caption === "string") lesson.scenes[index].caption = state.caption;
    draw();
  }

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return; // a dialog's own keys
    if (event.target.closest?.("input, select, textarea, [contenteditable]")) return; // typing
    const forward = event.key === "PageDown" || (event.key === "ArrowRight" && !event.shiftKey);
    const back = event.key === "PageUp" || (event.key === "ArrowLeft" && !event.shiftKey);
    const leaving = event.key === "Escape" && !document.body.classList.contains("sidebar-open");
    if (!forward && !back && !leaving) return;
    event.preventDefault();
    event.stopPropagation();
    if (leaving) leave();
    else go(wanted + (forward ? 1 : -1));
  }
  window.addEventListener("keydown", onKey, { capture: true });

  prev.addEventListener("click", () => go(wanted - 1));
  next.addEventListener("click", () => go(wanted + 1));
  exit.addEventListener("click", () => leave());

  /** Leave the lesson: the scene's session stays on the page, as an ordinary one. */
  function leave({ keepPath = false } = {}) {
    window.removeEventListener("keydown", onKey, { capture: true });
    sized.disconnect();
    bar.remove();
    document.body.classList.remove("lesson");
    document.documentElement.style.removeProperty("--lesson-h");
    window.dispatchEvent(new Event("resize"));
    if (!keepPath && location.pathname === path) history.replaceState(null, "", "/" + location.hash);
    if (current?.bar === bar) current = null;
  }

  if (typeof start === "number") {
    go(start);
  } else {
    // the page opened scene 1 from the link already, and shows it
    wanted = shown = 0;
    if (typeof start.caption === "string") lesson.scenes[0].caption = start.caption;
    draw();
  }
  return { bar, leave };
}
