// A change that conflicts with the rest of the setup is completed into one that works, and
// the page says what else it changed. Choosing logistic regression removes the hidden
// layers; a two-class data set sets two classes. Refusing instead would leave a checked
// radio beside a red error for a choice the user had every right to make.
//
// What a resolution takes away is remembered and given back when the choice is undone:
// MLP after logistic regression brings the hidden layers back, the spiral after the circle
// its class count.

/** The data sets whose shape has exactly two classes (engine/bounds.py TWO_CLASS_DATASETS;
 * tests/browser/test_ux_resolve.py keeps the two lists equal). */
export const TWO_CLASS_DATASETS = ["circle", "xor", "gauss", "moons"];

/** Properties that constrain each other: a refusal of one is also caused by the others, and
 * an accepted change of any of them makes its error stale (classes 3 refused for the circle
 * is fixed by choosing the spiral). */
export const RELATED = {
  dataset: ["classes"],
  classes: ["dataset", "points"],
  points: ["classes"],
  model: ["hidden"],
  hidden: ["model"],
};

const DATASET_NAMES = { gauss: "two Gaussians" };

const layersText = (hidden) =>
  hidden.length === 1 ? `the hidden layer (${hidden[0]} units)` : `the hidden layers (${hidden.join(", ")} units)`;

/**
 * Complete `patch` (asked of the current `state`) into a consistent one.
 * @param {object} state   the UI state now in force
 * @param {object} patch   what the user asked for
 * @param {object} memory  kept across calls: what earlier resolutions removed
 * @returns {{patch: object, notes: Object<string, string>, remember: object}}
 *   the patch to send, a sentence per property changed besides those asked, and what to
 *   add to `memory` once the server has accepted the patch
 */
export function resolve(state, patch, memory) {
  const out = { ...patch };
  const notes = {};
  const remember = {};
  const asked = (name) => Object.hasOwn(patch, name);

  if (asked("model") && !asked("hidden")) {
    if (patch.model === "logistic" && state.hidden.length) {
      out.hidden = [];
      remember.hidden = state.hidden;
      notes.hidden = `Logistic regression has no hidden layer: ${layersText(state.hidden)} was removed. MLP brings it back.`;
    } else if (patch.model === "mlp" && state.model === "logistic" && !state.hidden.length && memory.hidden?.length) {
      out.hidden = memory.hidden;
      notes.hidden = `MLP: ${layersText(memory.hidden)} is back.`;
    }
  }
  if (asked("hidden") && !asked("model") && patch.hidden.length && state.model === "logistic") {
    out.model = "mlp";
    notes.model = "A hidden layer makes the model an MLP.";
  }
  if (asked("dataset") && !asked("classes")) {
    const name = DATASET_NAMES[patch.dataset] ?? patch.dataset;
    if (TWO_CLASS_DATASETS.includes(patch.dataset) && state.classes !== 2) {
      out.classes = 2;
      remember.classes = state.classes;
      notes.classes = `The ${name} data set has two classes: classes set to 2 (from ${state.classes}).`;
    } else if (!TWO_CLASS_DATASETS.includes(patch.dataset) && state.classes === 2 && memory.classes > 2) {
      out.classes = memory.classes;
      notes.classes = `Classes back to ${memory.classes} for the ${name} data set.`;
    }
  }
  return { patch: out, notes, remember };
}
