// The sidebar and top-bar controls: every `[data-prop]` input mirrors one UI state property.
//
// A change to a property the engine owns goes through `commit`, which asks the server
// first: if the server refuses, its message (naming the field and the range) appears next
// to the control, the input keeps what the user typed so it can be corrected, and the
// model keeps running with the previous value, which the message names. A change that only
// conflicts with another setting is completed instead (resolve.js), with a note saying what
// else changed; an error leaves as soon as a change of what caused it is accepted.

import { CONFIG_PROPERTIES, FEATURES, propertyOf } from "./state.js";
import { RELATED, resolve } from "./resolve.js";

const GROUP_NAMES = { data: "Data", model: "Model", training: "Training", display: "Display", export: "Export" };

/**
 * @param {HTMLElement} root   the page (document.body)
 * @param {object} ctx         the view context (getState, setState, onState)
 * @param {(patch: object) => Promise<{reinitialised?: boolean}>} commit
 *   applies a patch, server first (resolves to the server's ack); throws ApiError
 * @param {(text: string) => void} notify   a short message where everyone looks (notice.js)
 */
export function mountControls(root, ctx, commit, notify = () => {}) {
  const inputs = [...root.querySelectorAll("[data-prop]")];
  const layers = root.querySelector("#hidden-layers");
  const features = root.querySelector("#features");
  const hideGroups = root.querySelector("#hide-groups");

  buildFeatures(features);
  buildHideGroups(hideGroups);

  function errorSlot(name) {
    return root.querySelector(`[data-error-for="${name}"]`);
  }

  // An error shown by a control, and the properties whose accepted change removes it.
  const errorCauses = new Map();
  // What resolutions took away (hidden layers, a class count), to give back on undo.
  const memory = {};

  /** `causes`: the properties whose accepted change makes the message stale (default: its own). */
  function showError(name, message, causes = [name]) {
    const slot = errorSlot(name);
    if (slot) {
      slot.textContent = message;
      slot.classList.remove("field-note");
    }
    if (message) errorCauses.set(name, new Set(causes));
    else errorCauses.delete(name);
    for (const input of inputs) if (input.dataset.prop === name) input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function clearError(name) {
    showError(name, "");
  }

  /** Not an error: what a resolution changed besides what the user asked. */
  function showNote(name, text) {
    const slot = errorSlot(name);
    if (!slot) return;
    slot.textContent = text;
    slot.classList.add("field-note");
  }

  function clearNotes() {
    for (const slot of root.querySelectorAll(".field-note")) {
      slot.textContent = "";
      slot.classList.remove("field-note");
    }
  }

  /** Send `asked` (completed by resolve.js) for the control `name`. */
  async function apply(name, asked) {
    const state = ctx.getState();
    const stepBefore = ctx.lastFrame?.step ?? 0;
    const { patch, notes, remember } = resolve(state, asked, memory);
    clearNotes();
    let ack;
    try {
      ack = await commit(patch);
    } catch (err) {
      const causes = [name, ...(RELATED[name] ?? [])];
      // The server may blame another field (points against classes).
      const blamed = CONFIG_PROPERTIES.find((p) => p.config === err.field);
      if (blamed && blamed.name !== name) {
        causes.push(blamed.name);
        showError(blamed.name, err.message, causes);
      }
      showError(name, `${err.message} — still using ${describe(name, state[name])}.`, causes);
      // Re-render from the state, except the input the user typed in: keep their text.
      render(ctx.getState(), [], name);
      return;
    }
    Object.assign(memory, remember);
    const changed = Object.keys(patch);
    for (const [field, causes] of [...errorCauses]) {
      if (changed.some((c) => causes.has(c))) clearError(field);
    }
    render(ctx.getState(), []);
    for (const [field, text] of Object.entries(notes)) showNote(field, text);
    if (ack?.reinitialised && stepBefore > 0) {
      notify(`Training restarted from step 0: new ${LABELS[name] ?? name}, new weights.`);
    }
  }

  /** Apply one property: view choices directly, engine properties through the server. */
  async function change(name, value) {
    if (!propertyOf(name).config) {
      ctx.setState({ [name]: value });
      return;
    }
    await apply(name, { [name]: value });
  }

  function readInput(input) {
    const prop = propertyOf(input.dataset.prop);
    if (input.type === "checkbox") return input.checked;
    if (input.type === "radio") return prop.type === "bool" ? input.value === "true" : input.value;
    if (prop.type === "int" || prop.type === "number") return input.value.trim() === "" ? NaN : Number(input.value);
    return input.value;
  }

  for (const input of inputs) {
    const event = input.type === "range" ? "input" : "change";
    input.addEventListener(event, () => {
      if (input.type === "radio" && !input.checked) return;
      change(input.dataset.prop, readInput(input));
    });
  }

  root.querySelector("#regenerate").addEventListener("click", () => change("dataSeed", ctx.getState().dataSeed + 1));

  features.addEventListener("change", () => {
    const chosen = [...features.querySelectorAll("input:checked")].map((i) => i.value);
    change("features", chosen);
  });

  hideGroups.addEventListener("change", () => {
    ctx.setState({ hide: [...hideGroups.querySelectorAll("input:checked")].map((i) => i.value) });
  });

  layers.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const hidden = [...ctx.getState().hidden];
    const i = Number(button.dataset.layer);
    switch (button.dataset.action) {
      case "more": hidden[i] += 1; break;
      case "fewer": hidden[i] -= 1; break;
      case "add-layer": hidden.push(hidden.at(-1) ?? 4); break;
      case "remove-layer": hidden.pop(); break;
      default: return;
    }
    apply("hidden", { hidden });
  });

  /** Draw the state into the inputs; `keep` is an input whose typed text must survive. */
  function render(state, changed, keep = null) {
    for (const input of inputs) {
      const name = input.dataset.prop;
      if (name === keep || document.activeElement === input && changed.length && !changed.includes(name)) continue;
      const value = state[name];
      if (input.type === "checkbox") input.checked = Boolean(value);
      else if (input.type === "radio") input.checked = input.value === String(value);
      else if (String(input.value) !== String(value)) input.value = value;
    }
    for (const out of root.querySelectorAll("[data-show]")) out.textContent = state[out.dataset.show];
    renderLayers(layers, state);
    for (const box of features.querySelectorAll("input")) box.checked = state.features.includes(box.value);
    for (const box of hideGroups.querySelectorAll("input")) box.checked = state.hide.includes(box.value);
    for (const group of root.querySelectorAll("fieldset[data-group]")) {
      group.classList.toggle("presentation-hidden", state.hide.includes(group.dataset.group));
    }
    document.body.classList.toggle("sidebar-empty", Object.keys(GROUP_NAMES).every((g) => state.hide.includes(g)));
  }

  ctx.onState((state, changed) => {
    for (const name of changed) if (propertyOf(name).config) clearError(name);
    render(state, changed);
  });
  render(ctx.getState(), []);

  return { showError, clearError };
}

/** How a property reads in "still using …" and "new …". */
const LABELS = {
  dataset: "data set", classes: "class count", noise: "noise", points: "point count",
  trainRatio: "train ratio", dataSeed: "data seed", model: "model", hidden: "hidden layers",
  activation: "activation", features: "input features", initSeed: "init seed",
};

function describe(name, value) {
  if (name === "hidden") return value.length ? `${value.join(", ")} units` : "no hidden layer";
  if (Array.isArray(value)) return value.join(", ") || "none";
  return String(value);
}

function buildFeatures(container) {
  const label = { "x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin_x1": "sin x₁", "sin_x2": "sin x₂" };
  container.replaceChildren(
    ...FEATURES.map((f) => {
      const l = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = f;
      box.setAttribute("aria-label", `feature ${f}`);
      l.append(box, ` ${label[f]}`);
      return l;
    }),
  );
}

function buildHideGroups(container) {
  container.replaceChildren(
    ...Object.entries(GROUP_NAMES).map(([key, name]) => {
      const l = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = key;
      l.append(box, ` ${name}`);
      return l;
    }),
  );
}

function renderLayers(container, state) {
  const logistic = state.model === "logistic";
  const rows = state.hidden.map((units, i) => {
    const row = document.createElement("div");
    row.className = "layer";
    row.innerHTML = `<span class="name">Hidden ${i + 1}</span>
      <button type="button" data-action="fewer" data-layer="${i}" aria-label="fewer units in hidden layer ${i + 1}" ${units <= 1 ? "disabled" : ""}>−</button>
      <output aria-label="units in hidden layer ${i + 1}">${units}</output>
      <button type="button" data-action="more" data-layer="${i}" aria-label="more units in hidden layer ${i + 1}" ${units >= 64 ? "disabled" : ""}>+</button>`;
    return row;
  });
  const buttons = document.createElement("div");
  buttons.className = "layer-buttons";
  buttons.innerHTML = `<button type="button" data-action="add-layer" ${state.hidden.length >= 6 ? "disabled" : ""}>+ layer</button>
    <button type="button" data-action="remove-layer" ${state.hidden.length === 0 ? "disabled" : ""}>− layer</button>`;
  const note = document.createElement("p");
  note.className = "hint";
  note.textContent = logistic ? "Logistic regression: no hidden layer." : state.hidden.length ? "" : "No hidden layer: softmax regression.";
  container.replaceChildren(...rows, buttons, ...(note.textContent ? [note] : []));
}
