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
const KEEP_PLACE_MS = 3000; // how long a scene's scroll position is kept while views load

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
    ownSwitch = true;
    try {
      ctx.showSession(state, state.view, path);
    } finally {
      ownSwitch = false;
    }
    shown = index;
    if (typeof state.caption === "string") lesson.scenes[index].caption = state.caption;
    asking.set(state.question ?? lesson.scenes[index].question ?? null);
    draw();
    bringIntoView(state.view?.tab);
  }

  /** A scene on the matrices or chain-rule tab is about that tab: it is scrolled to (it
   * sits below the stage); any other scene shows the stage, from the top. The views above
   * the tabs may still be growing (the equations and charts load after the first frame):
   * for a moment the place is kept as they do, unless the lecturer scrolls meanwhile. */
  let keepPlace = null;
  function bringIntoView(tab) {
    keepPlace?.();
    const below = tab === "matrices" || tab === "chain-rule";
    const place = () => {
      if (below) document.querySelector(".tabs")?.scrollIntoView({ block: "start" });
      else window.scrollTo({ top: 0 });
    };
    requestAnimationFrame(place);
    if (!below) return;
    const grown = new ResizeObserver(place);
    grown.observe(document.querySelector(".workspace") ?? document.body);
    const stop = () => {
      grown.disconnect();
      clearTimeout(timer);
      for (const type of ["wheel", "touchstart", "mousedown"]) window.removeEventListener(type, stop);
      keepPlace = null;
    };
    const timer = setTimeout(stop, KEEP_PLACE_MS);
    for (const type of ["wheel", "touchstart", "mousedown"]) window.addEventListener(type, stop, { passive: true });
    keepPlace = stop;
  }

  const asking = mountAsking(ctx, bar);

  // Another session shown on the page (an experiment opened, a branch, an imported model)
  // ends the lesson: its keys would otherwise replace that session with the next scene.
  let ownSwitch = false;
  const onSwitch = () => ownSwitch || leave();
  window.addEventListener("backprop-lab:session", onSwitch);

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
    window.removeEventListener("backprop-lab:session", onSwitch);
    keepPlace?.();
    asking.set(null);
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
    asking.set(start.question ?? lesson.scenes[0].question ?? null);
    draw();
    bringIntoView(start.view?.tab);
  }
  return { bar, leave };
}

const TALLY_MS = 1000;

/**
 * Predict, then reveal, on the lecturer's screen: a scene's question ({text, options,
 * answer, reveal}) is shown with its options while the numbers that answer it are veiled;
 * with a class open it is put to the followers, and their tally is shown as it comes in.
 * "Reveal" runs the phase that answers it: the page's own numbers then show the answer,
 * which is marked, and the followers see it with the tally.
 */
function mountAsking(ctx, bar) {
  const card = el("section", { id: "lesson-poll", class: "poll-card", "aria-live": "polite" });
  card.hidden = true;
  bar.append(card); // a row of the lesson bar: the stage makes room for it
  let question = null;
  let revealed = false;
  let tally = null; // {tally, answered} from the class, or null without one
  let asked = null; // the class's controls, if the question was put to it
  let timer = null;

  async function room() {
    const classRoom = await ctx.classRoom?.();
    return classRoom?.isOpen() ? classRoom : null;
  }

  async function refresh() {
    if (!asked || revealed) return;
    tally = await asked.tally().catch(() => tally);
    draw();
  }

  async function reveal() {
    if (!question || revealed) return;
    revealed = true;
    clearInterval(timer);
    delete document.body.dataset.veil;
    ctx.session.phase(question.reveal);
    if (asked) tally = await asked.reveal().catch(() => tally);
    draw();
  }

  function draw() {
    card.hidden = !question;
    if (question && !revealed) document.body.dataset.veil = question.reveal;
    else delete document.body.dataset.veil;
    if (!question) return card.replaceChildren();
    const counts = tally?.tally;
    const options = question.options.map((text, i) => {
      const item = el("li", { class: "poll-option", dataset: { option: String(i) } }, text);
      if (counts) item.append(el("span", { class: "poll-count" }, ` · ${counts[i] ?? 0}`));
      if (revealed && question.answer === i) item.classList.add("right");
      return item;
    });
    const button = el("button", { type: "button", class: "poll-reveal", title: `Run the ${question.reveal} pass and show the answer` },
      revealed ? "Revealed" : `Reveal: run ${question.reveal}`);
    button.disabled = revealed;
    button.addEventListener("click", reveal);
    const note = tally
      ? `${tally.answered} of the class answered${revealed ? "" : " so far"}`
      : "Ask the room; open a class to let students answer on their own screens.";
    card.replaceChildren(
      el("h2", {}, revealed ? "Revealed" : "Predict, then reveal"),
      el("p", { class: "poll-text" }, question.text),
      el("ol", { class: "poll-options" }, ...options),
      el("p", { class: "poll-note" }, note),
      button,
    );
  }

  return {
    /** The scene's question (null: none); the last one is withdrawn from the class. */
    async set(next) {
      clearInterval(timer);
      const before = asked;
      asked = null;
      if (before && question) before.withdraw().catch(() => {});
      question = next;
      revealed = false;
      tally = null;
      draw();
      if (!next) return;
      const classRoom = await room();
      if (!classRoom || question !== next) return;
      asked = classRoom;
      const first = await classRoom.ask(next).catch(() => null);
      if (question !== next) return; // another scene meanwhile: its own question is asked
      tally = first;
      clearInterval(timer);
      timer = setInterval(refresh, TALLY_MS);
      draw();
    },
  };
}
