// One training session on the server (docs/api.md): created over REST from the UI state,
// then driven over the WebSocket stream (play, pause, step, phase, config, select, …).
//
// Config changes travel on the stream: the server answers each with an `ack` (applied; the
// config now in force) or an `error` naming the field, in the order the commands were sent,
// so a promise per change settles with the server's own words.

import { fromConfig, toConfig } from "./state.js";

const CONVENTION = ["sign", "layout", "bias"];
/** UI state a class's followers mirror: its name in the stream's `view` command. */
export const VIEW_KEYS = {
  tab: "tab", selected: "selected", selectedSplit: "selected_split", edgeMode: "edge_mode",
  discretize: "discretize", showTest: "show_test", sign: "sign", layout: "layout", bias: "bias",
};

/** What a saved experiment or lesson scene is shown in (the API's SceneView): the view keys
 * above, presenting and its hidden control groups, and the phase shown (sceneViewOf). */
export const SCENE_KEYS = { ...VIEW_KEYS, presentation: "presentation", hide: "hide" };
/** The engine's phase under each phase the page shows: the page's "loss" is the engine after
 * its forward pass, its "update" the engine ready for the next step. */
const ENGINE_PHASE = { ready: "ready", forward: "forward", loss: "forward", backward: "backward", update: "ready" };

/** The SceneView of what the page shows: the UI state's view choices and `phase`. */
export function sceneViewOf(state, phase) {
  const view = Object.fromEntries(Object.entries(SCENE_KEYS).map(([k, name]) => [name, state[k]]));
  view.phase = phase in ENGINE_PHASE ? phase : "ready";
  return view;
}

export class CommandError extends Error {
  constructor(message, field = null) {
    super(message);
    this.name = "CommandError";
    this.field = field;
  }
}

export class Session {
  constructor(api, store) {
    this.api = api;
    this.store = store;
    this.id = null;
    this.dataset = null; // the points, from the last session state (frames do not carry them)
    this.dataVersion = null; // which points those are (timeline.data; see #followData)
    this.fetchingData = null; // the step whose points are being fetched
    this.following = null; // a class's join code while following it (read-only)
    this.configVersion = null; // the followed session's config_version, from its state
    this.adopted = 0; // session states taken: an answer asked for before the newest is stale
    this.viewPhase = null; // the phase the followed lecturer's page shows
    this.layerNames = [];
    this.send = () => {};
    this.onFrame = () => {};
    this.onError = () => {};
    this.lastFrame = null;
    this.pendingConfig = []; // {resolve, reject} per config command, oldest first
    this.pendingPhase = null; // the phase asked for, shown on the frame that answers it
    this.heldPhase = null; // a saved view's phase, shown until the session moves (see show)
    this.sentPhase = null; // the phase the page last told the class it shows (sendView)
    store.subscribe((state, changed) => this.#stateChanged(state, changed));
  }

  /** The REST prefix of what this page shows: its own session, or the class it follows. */
  get base() {
    return this.following ? `/api/classes/${this.following}` : `/api/sessions/${this.id}`;
  }

  streamUrl() {
    return this.following ? this.api.classStreamUrl(this.following) : this.api.streamUrl(this.id);
  }

  /** Follow the class `code`: its session's state (config, convention, points) becomes
   * the page's, unless `still()` says, once it arrives, that the page has gone on meanwhile.
   * Asked again whenever the class says its session or its configuration changed. */
  async follow(code, still = () => true) {
    const state = await this.api.getJSON(`/api/classes/${code}`);
    if (!still()) return false;
    this.following = code;
    this.#adopt(state);
    this.id = null; // the state has no id: the join code is all a follower holds
    this.configVersion = state.config_version ?? null;
    return true;
  }

  /** "Make it mine": a private copy of the followed session, continuing from where it is
   * (its SessionState, for the page to show). */
  forkFollowed() {
    return this.api.postJSON(`/api/classes/${this.following}/fork`);
  }

  /** What the lecturer's page shows besides the frame, relayed to a class's followers. */
  sendView(view) {
    if (this.following || !this.id) return;
    if (view.phase) this.sentPhase = view.phase;
    this.send({ type: "view", ...view });
  }

  /** Create the session from the URL hash's config, or take the answer of a request
   * already sent (`pending`, see boot.js). */
  async start(pending = null) {
    const created = await (pending ?? this.api.postJSON("/api/sessions", toConfig(this.store.get())));
    // An opened experiment or lesson scene (boot.js) comes with its view; otherwise the
    // link's sign, layout and bias win: the stream is told them as soon as it opens.
    if (created.view) this.show(created, created.view);
    else this.#adopt(created, { keepConvention: true });
  }

  /** The session vanished (server restart, expiry): make a new one from the same link. */
  async recover() {
    this.#rejectPending(new CommandError("The session expired; a new one was started from the link."));
    await this.start();
  }

  /** Load an exported model: a new session continuing exactly where the export left off
   * (its SessionState, for the page to show). */
  importState(exported) {
    return this.api.postJSON("/api/sessions/import", exported);
  }

  /** A new run continuing from step `step` of this one (POST …/branch): its SessionState. */
  branch(step) {
    return this.api.postJSON(`${this.base}/branch`, { step });
  }

  /**
   * Make `state` (a session the server just made: a branch, a student's fork, an imported
   * model, an opened experiment or lesson scene) this page's own session: its config and
   * convention, then `view` (a SceneView) applied to the UI state. The view's phase is held
   * on the frames until the session moves: a scene saved at "loss" opens at "loss". The
   * caller reconnects the stream (main.js showSession does both).
   */
  show(state, view = null) {
    this.following = null;
    this.viewPhase = null;
    this.pendingPhase = null;
    this.#adopt(state);
    this.heldPhase = null;
    if (!view) return;
    const patch = {};
    for (const [key, name] of Object.entries(SCENE_KEYS)) {
      if (view[name] !== undefined && view[name] !== null) patch[key] = view[name];
    }
    // A scene saved on a training example keeps "train" when the view leaves the split out.
    if ("selected" in patch && !("selectedSplit" in patch)) patch.selectedSplit = "train";
    this.store.set(patch);
    if (view.phase === "loss" || view.phase === "update") this.heldPhase = view.phase;
  }

  /** Take the server's session as ours; an imported model also brings its convention. */
  #adopt(state, { keepConvention = false } = {}) {
    this.adopted += 1;
    this.sentPhase = null; // another session: its class (if any) is told afresh
    this.id = state.id;
    this.#takeData(state);
    this.layerNames = state.layer_names;
    const patch = fromConfig(state.config);
    if (!keepConvention) {
      for (const k of CONVENTION) if (state.convention?.[k]) patch[k] = state.convention[k];
    }
    this.store.set(patch);
  }

  /** Sent on every (re)connect: what this page wants to see in its frames. */
  streamOpened() {
    if (this.following) return; // a follower watches: it asks for nothing
    const send = this.send;
    this.pendingPhase = null;
    const state = this.store.get();
    this.#sendResolution(state);
    send({ type: "convention", ...Object.fromEntries(CONVENTION.map((k) => [k, state[k]])) });
    send(selectCommand(state));
    // A class open on this session: the class takes its frames from the stream that last
    // sent a view, so a reconnected stream claims it at once instead of leaving the
    // followers on the old, maybe half-open, socket until the server lets that one go.
    this.classView?.();
  }

  handleMessage(msg) {
    if (msg.type === "ack" && msg.command === "config") {
      this.pendingConfig.shift()?.resolve(msg);
    } else if (msg.type === "error") {
      const err = new CommandError(msg.detail, msg.field);
      if (msg.command === "config" && this.pendingConfig.length) this.pendingConfig.shift().reject(err);
      else if (msg.command === "phase") {
        this.pendingPhase = null;
        this.onError(msg.detail, msg.command);
      } else if (msg.command === "select") {
        // The traced example no longer exists (the data changed): trace the first one.
        const state = this.store.get();
        if (state.selected !== 0 || state.selectedSplit !== "train") this.store.set({ selected: 0, selectedSplit: "train" });
      } else this.onError(msg.detail, msg.command);
    }
  }

  /** Every frame passes here: the points and the phase shown are attached for the views. */
  frame(frame) {
    this.#followData(frame);
    frame.enginePhase ??= frame.phase; // before the page names it "loss" or "update"
    if (this.following) this.#lecturersPhase(frame);
    frame.dataset = this.dataset;
    if (this.heldPhase) {
      // still the engine's state under the saved phase: show it as saved
      if (frame.phase === ENGINE_PHASE[this.heldPhase] && frame.timeline?.at == null) frame.phase = this.heldPhase;
      else this.heldPhase = null;
    }
    if (this.pendingPhase) {
      // The engine calls the state after an update "ready"; the page shows "update".
      frame.phase = this.pendingPhase;
      frame.fromPhaseCommand = true;
      this.pendingPhase = null;
    }
    // A frame no phase command asked for (a refresh after a config change, a points edit)
    // is shown as the engine's phase: a class is told, or its followers would keep showing
    // the "loss" or "update" of the frame before.
    // (Only once the page has said a phase: before that, nobody was told anything else.)
    if (!this.following && this.sentPhase !== null && frame.phase !== this.sentPhase) this.sendView({ phase: frame.phase });
    this.lastFrame = frame;
    return frame;
  }

  /**
   * Apply a patch of engine properties. The server validates it; on success the UI state
   * takes the config now in force, on refusal the promise rejects with the server's message.
   */
  configure(patch) {
    const merged = { ...this.store.get(), ...patch };
    const config = toConfig(merged, Object.keys(patch));
    return new Promise((resolve, reject) => {
      this.pendingConfig.push({ resolve, reject });
      this.send({ type: "config", config });
    }).then(async (ack) => {
      this.store.set(fromConfig(ack.config));
      if (ack.reinitialised) await this.refreshState();
      return ack;
    });
  }

  /** Reload the points (after a change of data or model) and ask for a fresh frame. */
  async refreshState() {
    const state = await this.api.getJSON(this.base);
    this.#takeData(state);
    this.layerNames = state.layer_names;
    this.send({ type: "refresh" });
  }

  play(stepsPerFrame) {
    this.heldPhase = null;
    this.send({ type: "play", steps_per_frame: stepsPerFrame, fps: this.store.get().fps });
    this.sendView({ phase: "ready" });
  }

  pause() {
    this.send({ type: "pause" });
  }

  step(steps = 1) {
    this.heldPhase = null;
    this.send({ type: "step", steps });
    this.sendView({ phase: "ready" });
  }

  /** One engine phase (forward, backward, update); its frame is shown as that phase. */
  phase(name) {
    this.heldPhase = null;
    this.pendingPhase = name;
    this.sendView({ phase: name });
    this.send({ type: "phase", phase: name });
  }

  /** A phase with no server work (the loss is computed by the forward pass): redraw only. */
  showLocalPhase(name) {
    this.heldPhase = null;
    this.sendView({ phase: name });
    if (this.lastFrame) this.onFrame({ ...this.lastFrame, phase: name, fromPhaseCommand: true, history: { rows: 0 }, history_reset: false });
  }

  reset() {
    this.heldPhase = null;
    this.send({ type: "reset" });
  }

  async addPoints(points, split = "train") {
    const state = await this.api.postJSON(`${this.base}/points`, { points, split });
    this.#takeData(state);
    this.send({ type: "refresh" });
  }

  async removePoints(disc) {
    const state = await this.api.deleteJSON(`${this.base}/points`, disc);
    this.#takeData(state);
    this.send({ type: "refresh" });
  }

  /** Commands in flight when the socket dropped will never be answered. */
  connectionLost() {
    this.#rejectPending(new CommandError("The connection dropped before the server answered; try again."));
  }

  /** A follower shows the lecturer's phase: the engine's state after a forward pass is
   * the lecturer's "loss" when they said so, its "ready" after an update their "update";
   * a change of phase animates as on the lecturer's page. */
  #lecturersPhase(frame) {
    const engine = frame.phase;
    if (this.viewPhase === "loss" && engine === "forward") frame.phase = "loss";
    else if (this.viewPhase === "update" && engine === "ready") frame.phase = "update";
    if (frame.phase !== this.lastFrame?.phase && frame.phase !== "ready") frame.fromPhaseCommand = true;
  }

  #takeData(state) {
    this.dataset = state.dataset;
    this.dataVersion = state.timeline?.data ?? null;
  }

  /** A frame of a step trained on other points than the ones held (time travel to before
   * a points edit, or back): fetch that step's points once, then draw again. */
  #followData(frame) {
    const timeline = frame.timeline;
    if (!timeline || this.dataVersion === null || timeline.data === this.dataVersion) return;
    const step = timeline.at;
    if (this.fetchingData !== null && this.fetchingData === (step ?? "live")) return;
    this.fetchingData = step ?? "live";
    const url = step === null ? this.base : `${this.base}?step=${step}`;
    const adopted = this.adopted;
    this.api.getJSON(url).then((state) => {
      if (adopted !== this.adopted) return; // another session (or class move) since
      this.#takeData(state);
      if (!this.following) this.send({ type: "refresh" });
      // a follower asks for no frame: the newest one is drawn again on the new points
      else if (this.lastFrame) this.onFrame(this.frame({ ...this.lastFrame, history: { rows: 0 }, history_reset: false }));
    }, (err) => this.onError(err.message)).finally(() => {
      this.fetchingData = null;
    });
  }

  #sendResolution(state) {
    const command = resolutionCommand(state);
    this.sentDeltas = command.deltas;
    this.send(command);
  }

  #rejectPending(err) {
    for (const p of this.pendingConfig.splice(0)) p.reject(err);
  }

  #stateChanged(state, changed) {
    if (!this.id) return;
    const viewed = changed.filter((k) => k in VIEW_KEYS);
    if (viewed.length) this.sendView(Object.fromEntries(viewed.map((k) => [VIEW_KEYS[k], state[k]])));
    const convention = changed.filter((k) => CONVENTION.includes(k));
    if (convention.length) this.send({ type: "convention", ...Object.fromEntries(convention.map((k) => [k, state[k]])) });
    if (changed.includes("selected") || changed.includes("selectedSplit")) this.send(selectCommand(state));
    // A tab change matters to the server only when it shows or hides the δ maps.
    const deltasFlip = changed.includes("tab") && resolutionCommand(state).deltas !== this.sentDeltas;
    if (changed.includes("resolution") || deltasFlip) this.#sendResolution(state);
  }
}

/**
 * The maps the frames should carry: R×R, and the δ^(z) maps only while the matrices tab
 * (their one view) is open; they are half of a frame's maps, so the server skips them. The
 * hidden units' h maps are drawn only in the network's nodes, a few dozen pixels wide:
 * they come sampled down to about THUMBNAIL_SIDE (a quarter of their bytes at R = 100).
 */
const THUMBNAIL_SIDE = 50;
function resolutionCommand(state) {
  return {
    type: "resolution", resolution: state.resolution, deltas: state.tab === "matrices", thumbnails: THUMBNAIL_SIDE,
  };
}

/** The stream command that traces the state's example: a training or a test index. */
function selectCommand(state) {
  const command = { type: "select", index: state.selected };
  if (state.selectedSplit === "test") command.split = "test";
  return command;
}
