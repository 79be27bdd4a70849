// The whole UI state in one table of properties, serialised to and from the URL hash, so a
// shared link opens the exact setup: the model's config and every view choice alike.
//
// Each row says how one property is written in the hash (`type`), its default, and, for
// the properties the engine owns, its dotted path in the server's config (`config`).
// Everything else (view choices) lives only in the page and the hash.

const DATASETS = ["circle", "xor", "gauss", "spiral", "moons", "blobs"];
const ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"];
export const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"];

/** @type {{name: string, type: string, def: any, config?: string, choices?: string[], inHash?: boolean}[]} */
export const PROPERTIES = [
  // Data
  { name: "dataset", type: "enum", def: "circle", choices: DATASETS, config: "data.dataset" },
  { name: "classes", type: "int", def: 2, config: "data.classes" },
  { name: "noise", type: "number", def: 0.1, config: "data.noise" },
  { name: "points", type: "int", def: 400, config: "data.points" },
  { name: "trainRatio", type: "number", def: 0.8, config: "data.train_ratio" },
  { name: "dataSeed", type: "int", def: 0, config: "data.seed" },
  // Model
  { name: "model", type: "enum", def: "mlp", choices: ["mlp", "logistic"], config: "model.model" },
  { name: "hidden", type: "ints", def: [8], config: "model.hidden" },
  { name: "activation", type: "enum", def: "relu", choices: ACTIVATIONS, config: "model.activation" },
  { name: "features", type: "strings", def: ["x1", "x2"], choices: FEATURES, config: "model.features" },
  { name: "initSeed", type: "int", def: 0, config: "model.init_seed" },
  // Training (live: no reset)
  { name: "learningRate", type: "number", def: 0.1, config: "train.learning_rate" },
  { name: "batchSize", type: "int", def: 10, config: "train.batch_size" },
  { name: "l2", type: "number", def: 0, config: "train.l2" },
  { name: "momentum", type: "number", def: 0, config: "train.momentum" },
  { name: "trainSeed", type: "int", def: 0, config: "train.seed" },
  // Running
  { name: "speed", type: "int", def: 5 }, // SGD steps per frame in fast play
  { name: "fps", type: "int", def: 30 }, // frames per second asked of the server in fast play
  { name: "animate", type: "bool", def: false }, // play slowly, the four phases animated
  { name: "resolution", type: "int", def: 100 }, // grid R of the boundary and the unit maps
  // Views
  { name: "discretize", type: "bool", def: false },
  { name: "showTest", type: "bool", def: true },
  // The traced example: its index in the training set, or in the test set when
  // selectedSplit is "test". The link writes both as one value: "12" is training example
  // 12, "t12" test example 12 (selectedSplit has no key of its own).
  { name: "selected", type: "example", def: 0 },
  { name: "selectedSplit", type: "enum", def: "train", choices: ["train", "test"], inHash: false },
  { name: "edgeMode", type: "enum", def: "weight", choices: ["weight", "gradient"] },
  { name: "sign", type: "enum", def: "loss", choices: ["loss", "loglik"] },
  { name: "layout", type: "enum", def: "row", choices: ["row", "column"] },
  { name: "bias", type: "enum", def: "separate", choices: ["separate", "augmented"] },
  { name: "tab", type: "enum", def: "curves", choices: ["curves", "matrices", "chain-rule"] },
  { name: "presentation", type: "bool", def: false },
  { name: "hide", type: "strings", def: ["data", "model", "display", "export"] }, // control groups hidden when presenting
];

const BY_NAME = new Map(PROPERTIES.map((p) => [p.name, p]));

/** Properties that only change the engine's config (so the server must hear of them). */
export const CONFIG_PROPERTIES = PROPERTIES.filter((p) => p.config);

function defaults() {
  const state = {};
  for (const p of PROPERTIES) state[p.name] = structuredClone(p.def);
  return state;
}

function parseValue(prop, text) {
  switch (prop.type) {
    case "int": {
      const n = Number(text);
      return Number.isInteger(n) ? n : undefined;
    }
    case "example": {
      const match = /^(t?)(\d+)$/.exec(text);
      return match ? { index: Number(match[2]), split: match[1] ? "test" : "train" } : undefined;
    }
    case "number": {
      const n = Number(text);
      return text !== "" && Number.isFinite(n) ? n : undefined;
    }
    case "bool":
      return text === "true" || text === "1";
    case "enum":
      return prop.choices.includes(text) ? text : undefined;
    case "ints": {
      if (text === "") return [];
      const list = text.split(",").map(Number);
      return list.every(Number.isInteger) ? list : undefined;
    }
    case "strings":
      return text === "" ? [] : text.split(",").filter((s) => !prop.choices || prop.choices.includes(s));
    default:
      return undefined;
  }
}

function formatValue(prop, value, state) {
  if (prop.type === "ints" || prop.type === "strings") return value.join(",");
  if (prop.type === "example") return `${state.selectedSplit === "test" ? "t" : ""}${value}`;
  return String(value);
}

/**
 * Read a hash such as `#dataset=spiral&classes=3&hidden=8,8`; unknown or bad keys keep
 * defaults. With `page` (the state of a page already open), a view choice the hash leaves
 * out keeps the page's value, while the engine's config is always the link's in full: a
 * demo opened while presenting stays presented, and still gets exactly its model.
 */
export function parseHash(hash, page = null) {
  const state = defaults();
  if (page) for (const p of PROPERTIES) if (!p.config) state[p.name] = structuredClone(page[p.name]);
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  for (const [key, text] of params) {
    const prop = BY_NAME.get(key);
    if (!prop || prop.inHash === false) continue;
    const value = parseValue(prop, text);
    if (value === undefined) continue;
    if (prop.type === "example") {
      state[key] = value.index;
      state.selectedSplit = value.split;
    } else state[key] = value;
  }
  return state;
}

/** Every property, defaults included, so a link means the same thing in a later version. */
export function toHash(state) {
  const params = new URLSearchParams();
  for (const p of PROPERTIES) if (p.inHash !== false) params.set(p.name, formatValue(p, state[p.name], state));
  // Keep commas and carets readable in a shared link.
  return "#" + params.toString().replaceAll("%2C", ",").replaceAll("%5E", "^");
}

/** The nested config the server expects ({data: {...}, model: {...}, train: {...}}). */
export function toConfig(state, names = CONFIG_PROPERTIES.map((p) => p.name)) {
  const config = {};
  for (const name of names) {
    const prop = BY_NAME.get(name);
    if (!prop?.config) continue;
    const [section, key] = prop.config.split(".");
    config[section] ??= {};
    config[section][key] = structuredClone(state[name]);
  }
  return config;
}

/** The state's properties that a server config dict fills in (the inverse of toConfig). */
export function fromConfig(config) {
  const patch = {};
  for (const p of CONFIG_PROPERTIES) {
    const [section, key] = p.config.split(".");
    const value = config?.[section]?.[key];
    if (value !== undefined && value !== null) patch[p.name] = Array.isArray(value) ? [...value] : value;
  }
  return patch;
}

export function propertyOf(name) {
  return BY_NAME.get(name);
}

/**
 * The store: one state object, listeners told of every change with the names that changed,
 * and the URL hash kept in step (replaceState, so Back does not walk through every slider move).
 */
export function createStore(initial = parseHash(location.hash)) {
  let state = initial;
  const listeners = new Set();

  function set(patch, { fromHash = false } = {}) {
    const changed = [];
    const next = { ...state };
    for (const [key, value] of Object.entries(patch)) {
      if (!BY_NAME.has(key)) throw new Error(`unknown UI state property ${key}`);
      if (JSON.stringify(next[key]) === JSON.stringify(value)) continue;
      next[key] = value;
      changed.push(key);
    }
    if (!changed.length) return changed;
    state = next;
    if (!fromHash) history.replaceState(null, "", toHash(state));
    for (const fn of listeners) fn(state, changed);
    return changed;
  }

  // Someone pasted a link into the address bar of an open page, or chose a demo: apply it
  // (main.js then sends its config to the server).
  window.addEventListener("hashchange", () => set(parseHash(location.hash, state), { fromHash: true }));
  history.replaceState(null, "", toHash(state));

  return {
    get: () => state,
    set,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
