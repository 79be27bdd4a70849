// The sidebar and top-bar controls: every `[data-prop]` input mirrors one UI state property.
//
// A change to a property the engine owns goes through `commit`, which asks the server
// first: if the server refuses, its message (naming the field and the range) appears next
// to the control, the input keeps what the user typed so it can be corrected, and the
// model keeps running with the previous value, which the message names.

import { CONFIG_PROPERTIES, FEATURES, propertyOf } from "./state.js";

const GROUP_NAMES = { data: "Data", model: "Model", training: "Training", display: "Display", export: "Export" };

/**
 * @param {HTMLElement} root   the page (document.body)
 * @param {object} ctx         the view context (getState, setState, onState)
 * @param {(patch: object) => Promise<void>} commit   applies a patch, server first; throws ApiError
 */
export function mountControls(root, ctx, commit) {
  const inputs = [...root.querySelectorAll("[data-prop]")];
  const layers = root.querySelector("#hidden-layers");
  const features = root.querySelector("#features");
  const hideGroups = root.querySelector("#hide-groups");

  buildFeatures(features);
  buildHideGroups(hideGroups);

  function errorSlot(name) {
    return root.querySelector(`[data-error-for="${name}"]`);
  }

  function showError(name, message) {
    const slot = errorSlot(name);
    if (slot) slot.textContent = message;
    for (const input of inputs) if (input.dataset.prop === name) input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function clearError(name) {
    showError(name, "");
  }

  /** Apply one property: view choices directly, engine properties through the server. */
  async function change(name, value) {
    const prop = propertyOf(name);
    if (!prop.config) {
      ctx.setState({ [name]: value });
      return;
    }
    const previous = ctx.getState()[name];
    try {
      await commit({ [name]: value });
      clearError(name);
    } catch (err) {
      const kept = Array.isArray(previous) ? previous.join(", ") : previous;
      showError(name, `${err.message} — still using ${kept}.`);
      // The server may blame another field (dataset "circle" with 3 classes: data.classes).
      const blamed = CONFIG_PROPERTIES.find((p) => p.config === err.field);
      if (blamed && blamed.name !== name) showError(blamed.name, err.message);
      // Re-render from the state, except the input the user typed in: keep their text.
      render(ctx.getState(), [], name);
    }
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
    const patch = { hidden };
    if (hidden.length && ctx.getState().model === "logistic") patch.model = "mlp";
    commit(patch).then(() => clearError("hidden"), (err) => showError("hidden", `${err.message} — still using ${ctx.getState().hidden.join(", ") || "no hidden layer"}.`));
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
