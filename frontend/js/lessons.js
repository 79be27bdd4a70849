// The Lesson dialog: pick a lesson (the built-in lecture first), make one, add the page's
// current view as a scene with a caption, reorder scenes, edit or delete them, delete the
// lesson, and Present it from its first scene or a chosen one (lesson_player.js).
//
// A scene owns a copy of the session's state at the moment it was added (docs/api.md), so
// a lesson shows the same thing every time it is presented, whatever happens to the
// session or to saved experiments later. The built-in lecture cannot be changed: the
// dialog offers to duplicate it instead.

import { sceneViewOf } from "./session.js";
import { shownPhase } from "./experiments.js";
import { describeModel, el, fmtInt, makeDialog } from "./dialogs.js";

const TAB_NAMES = { curves: "curves tab", matrices: "matrices tab", "chain-rule": "chain-rule tab" };

export function mountLessons(ctx) {
  const d = makeDialog("lesson-dialog", "Lessons");
  const select = el("select", { id: "lesson-select" });
  const status = el("p", { class: "field-error", role: "status", id: "lesson-status" });
  const builtinNote = el("p", { class: "hint lesson-note", hidden: true },
    "The built-in lecture cannot be changed: Duplicate it to make your own copy to edit.");
  const scenes = el("ol", { class: "scene-list", "aria-label": "Scenes" });
  const newTitle = el("input", { id: "lesson-new-title", maxlength: 80, required: true, autocomplete: "off", placeholder: "Week 3: backprop by hand" });
  const newForm = el("form", { class: "lesson-new", novalidate: true },
    el("label", { for: "lesson-new-title" }, "New lesson"), newTitle, el("button", { type: "submit" }, "Create"));
  const caption = el("textarea", { id: "scene-caption", rows: 2, maxlength: 400, placeholder: "What the room should look at in this scene" });
  const addButton = el("button", { type: "submit", class: "primary" }, "Add this view as a scene");
  // Predict, then reveal: an optional question about the scene's next phase.
  const qText = el("input", { id: "scene-question", maxlength: 200, autocomplete: "off", placeholder: "What sign will δ⁽ʰ⁾₁ have?" });
  const qOptions = el("textarea", { id: "scene-question-options", rows: 3, placeholder: "positive\nnegative\nzero" });
  const qAnswer = el("input", { id: "scene-question-answer", type: "number", min: 1, max: 6, step: 1, placeholder: "none" });
  const qReveal = el("select", { id: "scene-question-reveal" },
    ["backward", "forward", "update"].map((p) => el("option", { value: p }, p)));
  const question = el("details", { class: "scene-question" },
    el("summary", {}, "Ask the room first (predict, then reveal)"),
    el("label", { for: "scene-question" }, "Question"), qText,
    el("label", { for: "scene-question-options" }, "Options, one per line (2 to 6)"), qOptions,
    el("div", { class: "scene-question-row" },
      el("label", { for: "scene-question-answer" }, "Right option (its number; empty: none)"), qAnswer,
      el("label", { for: "scene-question-reveal" }, "Revealed by the phase"), qReveal));
  const addForm = el("form", { class: "scene-add", novalidate: true },
    el("label", { for: "scene-caption" }, "Caption of the new scene"), caption, addButton, question);

  /** The question the form describes (null without one); the server checks its bounds. */
  function questionOf() {
    const text = qText.value.trim();
    if (!text) return null;
    const options = qOptions.value.split("\n").map((o) => o.trim()).filter(Boolean);
    const answer = qAnswer.value === "" ? null : Number(qAnswer.value) - 1;
    return { text, options, answer, reveal: qReveal.value };
  }
  const present = el("button", { type: "button", class: "primary", onclick: () => startPresenting(0) }, "Present");
  const duplicateButton = el("button", { type: "button", onclick: duplicateLesson }, "Duplicate");
  const deleteButton = el("button", { type: "button", class: "danger", onclick: askDeleteLesson }, "Delete lesson");
  const confirmRow = el("div", { class: "exp-confirm", hidden: true });
  d.body.append(
    el("div", { class: "lesson-pick" }, el("label", { for: "lesson-select" }, "Lesson"), select),
    newForm, status, builtinNote, scenes, addForm, confirmRow,
    el("div", { class: "library-actions" }, deleteButton, duplicateButton,
      el("button", { type: "button", onclick: () => d.close() }, "Done"), present));

  let summaries = [];
  let lesson = null; // the chosen lesson, in full

  async function loadList(chosen = null) {
    summaries = (await ctx.api.getJSON("/api/lessons")).lessons;
    select.replaceChildren(...summaries.map((l) => el("option", { value: l.id }, `${l.title} (${l.scenes} scene${l.scenes === 1 ? "" : "s"})`)));
    const id = chosen ?? lesson?.id ?? summaries[0]?.id;
    if (id && summaries.some((l) => l.id === id)) select.value = id;
    await choose(select.value || null);
  }

  async function choose(id) {
    lesson = id ? await ctx.api.getJSON(`/api/lessons/${id}`) : null;
    render();
  }

  /** Keep the list's count in step after a change to the chosen lesson. */
  function take(updated, focus = null) {
    lesson = updated;
    const option = [...select.options].find((o) => o.value === updated.id);
    if (option) option.textContent = `${updated.title} (${updated.scenes.length} scene${updated.scenes.length === 1 ? "" : "s"})`;
    render(focus);
  }

  function render(focus = null) {
    const editable = Boolean(lesson && !lesson.builtin);
    builtinNote.hidden = !lesson?.builtin;
    addForm.hidden = !editable;
    deleteButton.hidden = !editable;
    duplicateButton.hidden = !lesson;
    present.disabled = !lesson?.scenes.length;
    confirmRow.hidden = true;
    scenes.replaceChildren(...(lesson?.scenes ?? []).map((scene, i) => sceneItem(scene, i, editable)));
    if (lesson && !lesson.scenes.length) {
      scenes.append(el("li", { class: "exp-empty" }, "No scenes yet: set the page up as the room should see it, write a caption, and add it."));
    }
    if (focus) scenes.querySelector(`[data-id="${focus.id}"] ${focus.selector}`)?.focus();
  }

  /** One scene: its number, thumbnail, what it shows, its caption, and its buttons. */
  function sceneItem(scene, i, editable) {
    const n = lesson.scenes.length;
    const captionId = `scene-caption-${scene.id}`;
    const li = el("li", { class: "scene-item", "data-id": scene.id });
    const shows = [`step ${fmtInt(scene.step)}`, TAB_NAMES[scene.view?.tab] ?? null,
      scene.view?.phase && scene.view.phase !== "ready" ? `${scene.view.phase} phase` : null,
      scene.view?.presentation ? "presenting" : null,
      scene.question ? `asks “${scene.question.text}”` : null].filter(Boolean).join(" · ");
    const text = editable
      ? el("textarea", { id: captionId, class: "scene-caption", rows: 2, maxlength: 400, "aria-label": `Caption of scene ${i + 1}` }, scene.caption)
      : el("p", { id: captionId, class: "scene-caption" }, scene.caption);
    if (editable) text.addEventListener("change", () => saveCaption(scene, text));
    const button = (label, fn, attrs = {}) => el("button", { type: "button", onclick: fn, ...attrs }, label);
    li.append(
      el("span", { class: "scene-number", "aria-hidden": "true" }, String(i + 1)),
      scene.thumbnail_url ? el("img", { class: "exp-thumb", src: scene.thumbnail_url, alt: "", width: 72, height: 72, loading: "lazy" }) : "",
      el("div", { class: "exp-main" },
        el("p", { class: "exp-meta" }, `${shows} · ${describeModel(scene.summary)}`), text,
        el("div", { class: "exp-actions" },
          button("Present from here", () => startPresenting(i), { "aria-label": `Present from scene ${i + 1}`, class: "scene-present" }),
          editable ? button("Up", () => move(scene, -1), { disabled: i === 0, "aria-label": `Move scene ${i + 1} up`, class: "scene-up" }) : "",
          editable ? button("Down", () => move(scene, +1), { disabled: i === n - 1, "aria-label": `Move scene ${i + 1} down`, class: "scene-down" }) : "",
          editable ? button("Delete", () => deleteScene(scene), { "aria-label": `Delete scene ${i + 1}`, class: "danger scene-delete" }) : "")));
    return li;
  }

  const failed = (what) => (err) => {
    status.textContent = `${what}: ${err.message}`;
  };

  async function saveCaption(scene, field) {
    status.textContent = "";
    await ctx.api.patchJSON(`/api/lessons/${lesson.id}/scenes/${scene.id}`, { caption: field.value })
      .then((updated) => { lesson = updated; }, failed("The caption was not saved"));
  }

  /** Up or down one place; the focus stays on the same button of the moved scene (or on
   * its other arrow at the end of the list), so the keyboard can keep moving it. */
  async function move(scene, by) {
    const order = lesson.scenes.map((s) => s.id);
    const i = order.indexOf(scene.id);
    [order[i], order[i + by]] = [order[i + by], order[i]];
    status.textContent = "";
    try {
      const updated = await ctx.api.patchJSON(`/api/lessons/${lesson.id}`, { order });
      const at = updated.scenes.findIndex((s) => s.id === scene.id);
      const edge = by < 0 ? at === 0 : at === updated.scenes.length - 1;
      take(updated, { id: scene.id, selector: (by < 0) !== edge ? ".scene-up" : ".scene-down" });
    } catch (err) {
      failed("The scenes were not reordered")(err);
    }
  }

  async function deleteScene(scene) {
    status.textContent = "";
    await ctx.api.deleteJSON(`/api/lessons/${lesson.id}/scenes/${scene.id}`).then((updated) => take(updated), failed("The scene was not deleted"));
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = ctx.sessionId();
    if (!id || !lesson) return;
    status.textContent = "";
    addButton.disabled = true;
    try {
      const view = sceneViewOf(ctx.getState(), shownPhase(ctx));
      const body = { session_id: id, caption: caption.value.trim(), view };
      const asked = questionOf();
      if (asked) body.question = asked;
      const updated = await ctx.api.postJSON(`/api/lessons/${lesson.id}/scenes`, body);
      caption.value = "";
      for (const field of [qText, qOptions, qAnswer]) field.value = "";
      question.open = false;
      take(updated);
      ctx.notify(`Scene ${updated.scenes.length} added to “${updated.title}”.`, 4000);
    } catch (err) {
      failed("The scene was not added")(err);
    } finally {
      addButton.disabled = false;
    }
  });

  newForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const title = newTitle.value.trim();
    if (!title) {
      status.textContent = "A title for the new lesson, please (1 to 80 characters).";
      return newTitle.focus();
    }
    status.textContent = "";
    try {
      const created = await ctx.api.postJSON("/api/lessons", { title });
      newTitle.value = "";
      await loadList(created.id);
      caption.focus();
    } catch (err) {
      failed("The lesson was not created")(err);
    }
  });

  async function duplicateLesson() {
    status.textContent = "";
    try {
      const copy = await ctx.api.postJSON(`/api/lessons/${lesson.id}/duplicate`);
      await loadList(copy.id);
    } catch (err) {
      failed("The lesson was not duplicated")(err);
    }
  }

  function askDeleteLesson() {
    const keep = el("button", { type: "button", onclick: () => { confirmRow.hidden = true; } }, "Keep it");
    const remove = el("button", { type: "button", class: "danger", onclick: deleteLesson }, "Delete for good");
    confirmRow.replaceChildren(el("span", {}, `Delete the lesson “${lesson.title}” and its ${lesson.scenes.length} scenes?`), remove, keep);
    confirmRow.hidden = false;
    keep.focus();
  }

  async function deleteLesson() {
    try {
      await ctx.api.deleteJSON(`/api/lessons/${lesson.id}`);
      lesson = null;
      await loadList();
    } catch (err) {
      failed("The lesson was not deleted")(err);
    }
  }

  async function startPresenting(index) {
    const chosen = lesson;
    d.close();
    const { presentLesson } = await import("./lesson_player.js");
    presentLesson(ctx, chosen, index);
  }

  select.addEventListener("change", () => choose(select.value).catch(failed("The lesson could not be read")));

  return {
    async open() {
      status.textContent = "";
      d.open();
      await loadList().catch(failed("The lessons could not be listed"));
    },
  };
}
