// Time travel: a scrub bar under the stage that shows any past step of the run, exactly.
//
// Dragging sends `seek` commands on the stream; the server rebuilds the network as it was
// at that step (docs/api.md, Time travel) and every view draws it like any frame: the
// boundary, the network, the equations with their numbers, the matrices. The curves keep
// every step and mark the one shown. A seek is sent only once the previous one has been
// answered by a frame, so a fast drag never queues up stale steps: the newest position
// wins.
//
// A drag begun while training plays is a look back: letting go returns to the live network
// and it plays on. A drag begun while paused stays at the step let go of, so it can be
// replayed phase by phase and branched; the bar says so, and Play, the Live button or End
// return to live.
//
// Keys (not while typing in a field): ← one step back (from live too: it pauses there),
// → one step forward (the Step button's key: the server moves through the past, never
// beyond the live step), Shift+→ replays the next update phase by phase on the minibatch it
// used, Home the first step, End live. "Branch here" opens a small form (η, batch size,
// activation, as they are now): its submit continues from the step shown in a new run
// with those changes, in one request (POST …/branch {step, config}); the page follows the
// new run, the original is kept, and "Compare runs" opens them side by side at the newer
// run's current step.

const fmtInt = (n) => n.toLocaleString("en-US");

/** The form's fields: the page's state property, the config path the server names in a
 * refusal, and how the typed text becomes the config value. */
const BRANCH_FIELDS = [
  { prop: "learningRate", config: "train.learning_rate", label: "η", parse: Number },
  { prop: "batchSize", config: "train.batch_size", label: "batch size", parse: Number },
  { prop: "activation", config: "model.activation", label: "activation", parse: String },
];

/** The bar's own rules (the hint and the branch form) live in their own stylesheet. */
function loadStyles() {
  if (document.querySelector('link[href$="/css/timeline.css"]')) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "/static/css/timeline.css";
  document.head.append(link);
}

/**
 * @param {HTMLElement} root  the #timeline bar
 * @param {object} ctx  the page's context (send, session, showSession, getState, api…)
 * @param {(text: string, ms: number) => void} notify  a short message under the top bar
 * @param {() => void} pause  stops playing (the past holds still; Play returns to live)
 */
export function mountTimeline(root, ctx, notify, pause) {
  loadStyles();
  const range = root.querySelector("#timeline-range");
  const readout = root.querySelector("#timeline-at");
  const liveButton = root.querySelector("#timeline-live");
  const branchButton = root.querySelector("#timeline-branch");
  const compareLink = root.querySelector("#timeline-compare");
  // The top bar's Play button says whether training plays (running.js keeps aria-pressed);
  // pressing it is how a look back returns to playing, exactly as a click would.
  const playButton = document.getElementById("play");
  const isPlaying = () => playButton?.getAttribute("aria-pressed") === "true";

  const hint = document.createElement("span");
  hint.id = "timeline-hint";
  hint.className = "timeline-hint";
  hint.setAttribute("role", "status");
  readout.after(hint);
  // In the page only while open: its fields share their names (η, activation…) with the
  // sidebar's, and a label should find one control, the one the user is looking at.
  const form = buildBranchForm();
  branchButton.setAttribute("aria-expanded", "false");
  branchButton.setAttribute("aria-controls", form.id);

  let shown = null; // the frame's timeline block: {first, now, at}
  let inFlight = false; // a seek sent, its frame not yet here
  let queued; // the newest wanted step while one is in flight (undefined: none)
  let dragging = false; // the thumb is held: frames do not move it under the pointer
  let lookBack = false; // the drag began while playing: letting go returns to live
  let runs = []; // session ids of this page's runs: the original, then its branches
  let branching = false; // a branch of ours is being shown (not another session's switch)

  /** Show step `step` (null or the live step: live). */
  function seek(step) {
    if (!shown) return;
    const target = step === null || step >= shown.now ? null : Math.max(shown.first ?? 0, step);
    if (target !== null) pause();
    if (inFlight) {
      queued = target;
      return;
    }
    inFlight = true;
    ctx.send({ type: "seek", step: target });
  }

  range.addEventListener("input", () => seek(Number(range.value)));
  range.addEventListener("pointerdown", () => {
    dragging = true;
    lookBack = isPlaying() && !ctx.readOnly?.();
    showHint();
  });
  function release() {
    if (!dragging) return;
    dragging = false;
    if (lookBack) {
      lookBack = false;
      queued = undefined; // a position still waiting to be sent is no longer wanted
      if (!isPlaying()) playButton.click(); // play is live (Slow mode too: running.js)
    }
    showHint();
  }
  window.addEventListener("pointerup", release);
  window.addEventListener("pointercancel", release);
  liveButton.addEventListener("click", () => seek(null));

  // Keys after the others' (a lesson's ← → PageUp PageDown are taken in the capture phase,
  // the tabs keep their arrows, → and Shift+→ are running.js's): a field keeps its own keys.
  document.addEventListener("keydown", (event) => {
    if (!shown || event.defaultPrevented) return;
    if (ctx.readOnly?.()) return; // a follower's page follows the lecturer's step
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (document.querySelector("dialog[open]")) return;
    const target = event.target;
    const field = target.closest?.("input, select, textarea, [contenteditable], [role=tab]");
    if (field && !(field.type === "checkbox" || field.type === "button")) return;
    const past = shown.at !== null;
    const first = shown.first ?? 0;
    const to = {
      ArrowLeft: () => (past ? shown.at - 1 : shown.now - 1),
      Home: () => first,
      End: () => null,
    }[event.key];
    if (!to) return;
    if (!past && (event.key === "End" || shown.now <= first)) return; // live already; no past
    if (past && event.key === "ArrowLeft" && shown.at <= first) return;
    event.preventDefault();
    seek(to());
  });

  // ---- Branch here with… ------------------------------------------------------------

  function buildBranchForm() {
    const el = document.createElement("form");
    el.id = "timeline-branch-form";
    el.className = "timeline-branch-form";
    el.hidden = true;
    el.noValidate = true; // the server's refusal names the field and its range
    el.setAttribute("aria-label", "Branch here with");
    const title = document.createElement("p");
    title.className = "timeline-branch-title";
    el.append(title);
    for (const f of BRANCH_FIELDS) {
      const label = document.createElement("label");
      label.append(`${f.label} `);
      let input;
      if (f.prop === "activation") {
        input = document.createElement("select");
        const choices = document.querySelectorAll('select[data-prop="activation"] option');
        for (const option of choices) input.append(option.cloneNode(true));
      } else {
        input = document.createElement("input");
        input.type = "number";
        input.step = f.prop === "batchSize" ? "1" : "any";
        input.inputMode = f.prop === "batchSize" ? "numeric" : "decimal";
      }
      input.name = f.prop;
      input.dataset.config = f.config;
      label.append(input);
      const error = document.createElement("span");
      error.className = "timeline-branch-error";
      error.dataset.errorFor = f.config;
      error.setAttribute("role", "status");
      el.append(label, error);
    }
    const general = document.createElement("p");
    general.className = "timeline-branch-error timeline-branch-general";
    general.dataset.errorFor = "";
    general.setAttribute("role", "status");
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = "Branch";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", () => closeForm());
    const actions = document.createElement("div");
    actions.className = "timeline-branch-actions";
    actions.append(submit, cancel);
    el.append(general, actions);
    // A field changed after a refusal: its sentence is about the old value.
    el.addEventListener("input", (event) => {
      const input = event.target.closest("[data-config]");
      if (!input?.hasAttribute("aria-invalid")) return;
      input.removeAttribute("aria-invalid");
      el.querySelector(`[data-error-for="${CSS.escape(input.dataset.config)}"]`).textContent = "";
    });
    el.addEventListener("submit", (event) => {
      event.preventDefault();
      branch();
    });
    el.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation(); // not presenting's Escape: the form only
      closeForm();
      branchButton.focus();
    });
    return el;
  }

  const formStep = () => (shown ? shown.at ?? shown.now : 0);

  function openForm() {
    if (!shown) return;
    pause(); // "here" is the step shown: it holds still while the form is open
    const state = ctx.getState();
    for (const f of BRANCH_FIELDS) form.elements[f.prop].value = String(state[f.prop]);
    clearErrors();
    titleForm();
    root.append(form);
    form.hidden = false;
    branchButton.setAttribute("aria-expanded", "true");
    form.elements.learningRate.focus();
    form.elements.learningRate.select?.();
  }

  function closeForm() {
    form.hidden = true;
    form.remove();
    branchButton.setAttribute("aria-expanded", "false");
  }

  function titleForm() {
    form.querySelector(".timeline-branch-title").textContent =
      `Branch at step ${fmtInt(formStep())}: a new run from that state, with`;
  }

  function clearErrors() {
    for (const slot of form.querySelectorAll(".timeline-branch-error")) slot.textContent = "";
    for (const input of form.querySelectorAll("input, select")) input.removeAttribute("aria-invalid");
  }

  /** Show `message` next to the field the path `field` names ("config.train.batch_size"
   * in a branch's refusal, "train.batch_size" here), or under them all. */
  function showError(field, message) {
    const path = field?.replace(/^config\./, "") ?? "";
    const slot = form.querySelector(`[data-error-for="${CSS.escape(path)}"]`)
      ?? form.querySelector('[data-error-for=""]');
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    const input = path ? form.querySelector(`[data-config="${CSS.escape(path)}"]`) : null;
    input?.setAttribute("aria-invalid", "true");
  }

  const focusFirstRefused = () => form.querySelector('[aria-invalid="true"]')?.focus();

  /** POST …/branch; a refusal (ApiError) carries every field's sentence as `errors`. */
  function postBranch(body) {
    const fetching = fetch(`${ctx.session.base}/branch`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const copy = fetching.then((response) => response.clone(), () => null); // before it is read
    return ctx.api.answerOf(fetching).catch(async (err) => {
      const payload = await copy.then((response) => response?.json()).catch(() => null);
      err.errors = Array.isArray(payload?.errors) ? payload.errors : [];
      throw err;
    });
  }

  /** The form's values that differ from the session's, as a partial config; null if a
   * field holds no number (said next to it). */
  function changes() {
    const state = ctx.getState();
    const config = {};
    for (const f of BRANCH_FIELDS) {
      const text = form.elements[f.prop].value.trim();
      const value = f.parse(text);
      if (f.parse === Number && (text === "" || !Number.isFinite(value))) {
        showError(f.config, `${f.label} needs a number`);
        focusFirstRefused();
        return null;
      }
      if (value === state[f.prop]) continue;
      const [section, key] = f.config.split(".");
      (config[section] ??= {})[key] = value;
    }
    return config;
  }

  async function branch() {
    if (!shown || !ctx.session.id) return;
    clearErrors();
    const config = changes();
    if (config === null) return;
    const step = formStep();
    const from = ctx.sessionId();
    const body = Object.keys(config).length ? { step, config } : { step };
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const state = await postBranch(body);
      closeForm();
      branching = true;
      try {
        ctx.showSession(state);
      } finally {
        branching = false;
      }
      if (!runs.includes(from)) runs.push(from);
      runs.push(ctx.sessionId());
      compareLink.hidden = false;
      linkCompare();
      const changed = describe(config);
      notify(`Branched at step ${fmtInt(step)}${changed ? ` with ${changed}` : ""}: a new run from exactly that state. Press Play; “Compare runs” shows it beside the original.`, 12000);
    } catch (err) {
      const errors = err.errors?.length ? err.errors : [{ field: err.field, message: err.message }];
      for (const { field, message } of errors) showError(field ?? null, message);
      focusFirstRefused();
    } finally {
      submit.disabled = false;
    }
  }

  /** "η = 1, activation = tanh": what a branch changed, for the notice. */
  function describe(config) {
    return BRANCH_FIELDS.flatMap((f) => {
      const [section, key] = f.config.split(".");
      const value = config[section]?.[key];
      return value === undefined ? [] : [`${f.label} = ${value}`];
    }).join(", ");
  }

  /** The comparison of this page's runs (the newest three), at the newest run's current
   * step: at the branch point they are identical by construction. */
  function linkCompare() {
    if (!runs.length) return;
    const newest = runs[runs.length - 1];
    const params = new URLSearchParams({ runs: runs.slice(-3).join(",") });
    if (shown && ctx.sessionId() === newest && ctx.frameSession?.() === newest) {
      params.set("step", String(shown.now));
    }
    compareLink.href = `/compare?${params.toString().replaceAll("%2C", ",")}`;
  }

  branchButton.addEventListener("click", () => (form.hidden ? openForm() : closeForm()));
  compareLink.addEventListener("click", linkCompare); // the newest step, as clicked
  // Another session shown on the page (an experiment opened, a lesson's scene): its runs
  // are not this page's branches any more.
  window.addEventListener("backprop-lab:session", () => {
    if (branching) return;
    runs = [];
    compareLink.hidden = true;
    closeForm();
  });

  function showHint() {
    const past = shown && shown.at !== null;
    hint.textContent = dragging && lookBack
      ? "Let go to return to live"
      : past && !dragging ? "Play or End returns to live" : "";
  }

  return {
    update(frame) {
      const timeline = frame.timeline;
      if (!timeline) return;
      if (inFlight) {
        inFlight = false;
        if (queued !== undefined) {
          const next = queued;
          queued = undefined;
          seek(next);
        }
      }
      shown = timeline;
      const past = timeline.at !== null;
      range.min = String(timeline.first ?? timeline.now);
      range.max = String(timeline.now);
      range.disabled = timeline.first === null || timeline.first === timeline.now;
      if (!dragging) range.value = String(past ? timeline.at : timeline.now);
      readout.textContent = past
        ? `step ${fmtInt(timeline.at)} of ${fmtInt(timeline.now)}`
        : `live · step ${fmtInt(timeline.now)}`;
      root.dataset.mode = past ? "past" : "live";
      document.body.dataset.timeline = past ? "past" : "live";
      liveButton.disabled = !past;
      showHint();
      if (!form.hidden) titleForm();
      if (!compareLink.hidden) linkCompare();
    },
  };
}
