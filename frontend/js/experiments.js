// Saved experiments: the Save dialog (a name, then the share link) and the Open dialog (the
// list with thumbnails; open, duplicate, rename, delete, copy link, export; import a file).
//
// An experiment is a named copy of the session's complete state — weights, optimiser, RNG,
// history — and of what the page shows (a SceneView: tab, traced example, phase,
// convention, presenting). Opening one makes a new session at exactly that state
// (docs/api.md), shown with its view and paused: Play continues it live, and the saved
// experiment itself never changes.

import { sceneViewOf } from "./session.js";
import { absolute, describeModel, describeSaved, download, el, fmtInt, linkField, makeDialog } from "./dialogs.js";

/** The phase the page shows, as a SceneView phase ("ready" in the past: the live state is saved). */
export function shownPhase(ctx) {
  const frame = ctx.lastFrame;
  if (!frame || frame.timeline?.at != null) return "ready";
  return frame.phase ?? "ready";
}

/** The step Save keeps: the live one, even while the timeline shows the past. */
function liveStep(ctx) {
  const frame = ctx.lastFrame;
  return frame?.timeline?.now ?? frame?.step ?? 0;
}

/** "spiral · 8,8 tanh · step 1,240": what a lecturer would call it, ready to edit. */
function suggestedName(ctx) {
  const s = ctx.getState();
  const net = s.model === "logistic" || !s.hidden.length ? "logistic" : `${s.hidden.join(",")} ${s.activation}`;
  return `${s.dataset} · ${net} · step ${fmtInt(liveStep(ctx))}`;
}

export function mountSave(ctx) {
  const d = makeDialog("save-dialog", "Save this experiment");
  const name = el("input", { id: "save-name", name: "name", maxlength: 80, required: true, autocomplete: "off", "aria-describedby": "save-what save-error" });
  const what = el("p", { id: "save-what", class: "hint" });
  const error = el("p", { id: "save-error", class: "field-error", role: "status" });
  const submit = el("button", { type: "submit", class: "primary" }, "Save");
  const form = el("form", { class: "save-form", novalidate: true },
    el("label", { for: "save-name" }, "Name"), name, what, error,
    el("div", { class: "library-actions" }, el("button", { type: "button", onclick: () => d.close() }, "Cancel"), submit));
  const link = linkField("Share link of the saved experiment");
  const savedText = el("p", { id: "saved-text" });
  const saved = el("section", { class: "saved", hidden: true }, savedText, link.node,
    el("p", { class: "hint" }, "The link opens it on this server, exactly as saved; Open lists every saved experiment."),
    el("div", { class: "library-actions" }, el("button", { type: "button", class: "primary", onclick: () => d.close() }, "Done")));
  d.body.append(form, saved);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const title = name.value.trim();
    if (!title) {
      error.textContent = "A name, please (1 to 80 characters).";
      name.setAttribute("aria-invalid", "true");
      return name.focus();
    }
    const id = ctx.sessionId();
    if (!id) {
      error.textContent = "There is no session to save yet: wait until the network is drawn.";
      return;
    }
    submit.disabled = true;
    try {
      const view = sceneViewOf(ctx.getState(), shownPhase(ctx));
      const experiment = await ctx.api.postJSON(`/api/sessions/${id}/experiments`, { name: title, view });
      savedText.textContent = `Saved “${experiment.name}” at step ${fmtInt(experiment.step)}.`;
      link.set(absolute(experiment.share_url));
      form.hidden = true;
      saved.hidden = false;
      saved.querySelector("button").focus();
    } catch (err) {
      error.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
  name.addEventListener("input", () => {
    error.textContent = "";
    name.removeAttribute("aria-invalid");
  });

  return {
    open() {
      const frame = ctx.lastFrame;
      const past = frame?.timeline?.at != null;
      what.textContent = past
        ? `The timeline shows step ${fmtInt(frame.timeline.at)}; Save keeps the live network, step ${fmtInt(liveStep(ctx))}. (To keep step ${fmtInt(frame.timeline.at)}, Branch here first.)`
        : `Keeps step ${fmtInt(liveStep(ctx))} — weights, optimiser, history — and this view: tab, traced example, phase, convention, presenting.`;
      name.value = suggestedName(ctx);
      error.textContent = "";
      form.hidden = false;
      saved.hidden = true;
      d.open();
      name.select();
    },
  };
}

export function mountOpen(ctx) {
  const d = makeDialog("open-dialog", "Saved experiments");
  const list = el("ul", { class: "exp-list", "aria-labelledby": "open-dialog-title" });
  const status = el("p", { class: "field-error", role: "status" });
  const upload = el("input", { type: "file", accept: "application/json,.json", id: "import-experiment" });
  const importer = el("label", { class: "file-button import-button" }, "Import file", upload);
  d.body.append(status, list, el("div", { class: "library-actions" }, importer,
    el("button", { type: "button", class: "primary", onclick: () => d.close() }, "Done")));
  let experiments = [];

  async function refresh() {
    try {
      experiments = (await ctx.api.getJSON("/api/experiments")).experiments;
    } catch (err) {
      status.textContent = `The saved experiments could not be listed: ${err.message}`;
      return;
    }
    render();
  }

  function render(focus = null) {
    list.replaceChildren(...experiments.map(item));
    if (!experiments.length) {
      list.append(el("li", { class: "exp-empty" }, "Nothing saved yet. Save keeps the network as it is now, with its view, under a name."));
    }
    if (focus) list.querySelector(`[data-id="${focus.id}"] ${focus.selector}`)?.focus();
  }

  /** One saved experiment: thumbnail, name, step, loss, date, and what can be done with it. */
  function item(exp) {
    const li = el("li", { class: "exp-item", "data-id": exp.id });
    const nameId = `exp-name-${exp.id}`;
    const title = el("h3", { id: nameId, class: "exp-name" }, exp.name);
    const act = (label, fn, extra = {}) => el("button", { type: "button", "aria-describedby": nameId, onclick: fn, ...extra }, label);
    const confirmRow = el("div", { class: "exp-confirm", hidden: true });
    const actions = el("div", { class: "exp-actions" },
      act("Open", () => openExperiment(exp), { class: "primary exp-open" }),
      act("Duplicate", () => duplicate(exp)),
      act("Rename", () => rename(li, exp, title), { class: "exp-rename" }),
      copyLinkButton(exp, nameId),
      act("Export", () => download(exp.export_url)),
      act("Delete", () => askDelete(exp, confirmRow), { class: "exp-delete" }));
    li.append(
      el("img", { class: "exp-thumb", src: exp.thumbnail_url, alt: `Decision boundary of ${exp.name}`, width: 96, height: 96, loading: "lazy" }),
      el("div", { class: "exp-main" }, title,
        el("p", { class: "exp-meta" }, describeSaved(exp)),
        el("p", { class: "exp-summary" }, describeModel(exp.summary)),
        actions, confirmRow));
    return li;
  }

  function copyLinkButton(exp, nameId) {
    const button = el("button", { type: "button", "aria-describedby": nameId }, "Copy link");
    button.addEventListener("click", async () => {
      const url = absolute(exp.share_url);
      try {
        await navigator.clipboard.writeText(url);
        button.textContent = "Copied";
      } catch {
        status.textContent = `The link: ${url}`; // no clipboard here: readable and selectable
      }
      setTimeout(() => (button.textContent = "Copy link"), 2000);
    });
    return button;
  }

  async function openExperiment(exp) {
    status.textContent = "";
    try {
      const state = await ctx.api.postJSON(`/api/experiments/${exp.id}/open`);
      d.close();
      ctx.showSession(state, state.view, new URL(absolute(exp.share_url)).pathname);
      ctx.notify(`Opened “${exp.name}” at step ${fmtInt(state.step ?? exp.step)}, paused: Play continues it.`, 6000);
    } catch (err) {
      status.textContent = `“${exp.name}” could not be opened: ${err.message}`;
    }
  }

  async function duplicate(exp) {
    try {
      const copy = await ctx.api.postJSON(`/api/experiments/${exp.id}/duplicate`, {});
      await refresh();
      list.querySelector(`[data-id="${copy.id}"] .exp-rename`)?.focus();
    } catch (err) {
      status.textContent = `“${exp.name}” could not be duplicated: ${err.message}`;
    }
  }

  /** Rename in place: the name becomes a field; Enter keeps it, Escape leaves it as it was. */
  function rename(li, exp, title) {
    const input = el("input", { class: "exp-name-input", value: exp.name, maxlength: 80, "aria-label": `New name for ${exp.name}` });
    title.replaceChildren(input);
    input.select();
    let done = false;
    const finish = async (keep) => {
      if (done) return;
      done = true;
      const name = input.value.trim();
      if (!keep || !name || name === exp.name) return render({ id: exp.id, selector: ".exp-rename" });
      try {
        Object.assign(exp, await ctx.api.patchJSON(`/api/experiments/${exp.id}`, { name }));
      } catch (err) {
        status.textContent = `Not renamed: ${err.message}`;
      }
      render({ id: exp.id, selector: ".exp-rename" });
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        finish(true);
      } else if (event.key === "Escape") {
        event.preventDefault(); // the rename only, not the dialog
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(true));
  }

  function askDelete(exp, row) {
    const keep = el("button", { type: "button", onclick: () => { row.hidden = true; row.replaceChildren(); } }, "Keep it");
    const remove = el("button", { type: "button", class: "danger", onclick: () => reallyDelete(exp) }, "Delete for good");
    row.replaceChildren(el("span", {}, `Delete “${exp.name}”? Its share link will stop working.`), remove, keep);
    row.hidden = false;
    keep.focus();
  }

  async function reallyDelete(exp) {
    try {
      await ctx.api.deleteJSON(`/api/experiments/${exp.id}`);
    } catch (err) {
      status.textContent = `“${exp.name}” could not be deleted: ${err.message}`;
    }
    await refresh();
  }

  upload.addEventListener("change", async () => {
    const file = upload.files[0];
    upload.value = ""; // the same file can be chosen again
    if (!file) return;
    status.textContent = "";
    let exported;
    try {
      exported = JSON.parse(await file.text());
    } catch (err) {
      status.textContent = `${file.name} is not JSON (${err.message}): choose a file saved with Export or “Download model JSON”.`;
      return;
    }
    try {
      const exp = await ctx.api.postJSON("/api/experiments/import", exported);
      await refresh();
      list.querySelector(`[data-id="${exp.id}"] .exp-open`)?.focus();
    } catch (err) {
      status.textContent = `${file.name}: ${err.message}`;
    }
  });

  return {
    async open() {
      status.textContent = "";
      d.open();
      await refresh();
    },
  };
}
