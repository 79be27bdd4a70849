// One training session on the server: created from the UI state, changed through the REST
// API (so every refusal comes back with the server's message naming the field), and driven
// through the WebSocket (play, pause, step, phase).

import { fromConfig, toConfig } from "./state.js";

const CONVENTION = ["sign", "layout", "bias"];

export class Session {
  constructor(api, store) {
    this.api = api;
    this.store = store;
    this.id = null;
    this.state = null; // the last SessionState from the server
    this.stream = null;
    this.onFrame = () => {};
    this.onError = () => {};
    this.lastFrame = null;
    store.subscribe((state, changed) => this.#viewChanged(state, changed));
  }

  get base() {
    return `/api/sessions/${this.id}`;
  }

  streamUrl() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}${this.base}/stream`;
  }

  /** Create the session from the URL hash's config. */
  async start() {
    const spec = await this.api.getJSON("/openapi.json");
    if (!spec.paths?.["/api/sessions"]) return; // server without sessions: shell only
    const state = this.store.get();
    this.state = await this.api.postJSON("/api/sessions", {
      config: toConfig(state),
      convention: Object.fromEntries(CONVENTION.map((k) => [k, state[k]])),
    });
    this.id = this.state.id;
  }

  async recover() {
    this.id = null;
    await this.start();
  }

  streamOpened(send) {
    this.send = send;
  }

  handleMessage(msg) {
    if (msg.type === "error") this.onError(msg.detail ?? msg.message ?? "The server refused a command.");
  }

  /** Apply a patch of engine properties; the server validates first, then the state changes. */
  async configure(patch) {
    const merged = { ...this.store.get(), ...patch };
    const config = toConfig(merged, Object.keys(patch));
    const answer = await this.api.patchJSON(`${this.base}/config`, config);
    this.store.set({ ...patch, ...fromConfig(answer.config) });
    return answer;
  }

  play(speed) {
    this.send?.({ type: "play", steps_per_frame: speed });
  }

  pause() {
    this.send?.({ type: "pause" });
  }

  step(steps = 1) {
    this.send?.({ type: "step", steps });
  }

  async phase(name) {
    this.send?.({ type: "phase", phase: name });
  }

  showLocalPhase(name) {
    if (this.lastFrame) this.onFrame({ ...this.lastFrame, phase: name });
  }

  async reset() {
    await this.api.postJSON(`${this.base}/reset`);
  }

  #viewChanged(state, changed) {
    if (!this.id) return;
    const convention = changed.filter((k) => CONVENTION.includes(k));
    if (convention.length) {
      this.api
        .patchJSON(`${this.base}/config`, { convention: Object.fromEntries(convention.map((k) => [k, state[k]])) })
        .catch((err) => this.onError(err.message));
    }
  }
}
