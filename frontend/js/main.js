// Wires the page together: the UI state, the session, the stream, the controls and the views.
// Nothing is drawn here; each module does one job and this file only connects them.

import * as api from "./api.js";
import { CONFIG_PROPERTIES, createStore, parseHash } from "./state.js";
import { mountControls } from "./controls.js";
import { mountRunning } from "./running.js";
import { mountBanner } from "./banner.js";
import { mountExport } from "./export.js";
import { mountTabs } from "./tabs.js";
import { mountPresentation } from "./presentation.js";
import { Session } from "./session.js";
import { openStream } from "./stream.js";
import { parseBinaryFrame } from "./typed.js";
import { mount as mountBoundary } from "./views/boundary.js";
import { mount as mountNetwork } from "./views/network.js";
import { mount as mountEquations } from "./views/equations.js";
import { mount as mountMatrices } from "./views/matrices.js";
import { mount as mountCurves } from "./views/curves.js";
import { mount as mountChainRule } from "./views/chainrule.js";

const store = createStore();
const session = new Session(api, store);
let stream = null;

const ctx = {
  getState: store.get,
  setState: (patch) => store.set(patch),
  onState: (fn) => store.subscribe(fn),
  sessionId: () => session.id,
  send: (command) => stream?.send(command),
  /** Follow the session to a new id (after a model upload). */
  reconnect: () => stream?.reconnect(),
  api,
  session,
  /** The newest frame drawn, for modules that act on a click (export, tracing). */
  lastFrame: null,
};

// A view that throws is reported on the console (the browser tests fail on it) and the
// others still draw. They draw in this order on every frame: the Plotly charts first,
// while the page's layout is still clean from the last paint (Plotly measures text, which
// forces a layout), then the views that only write to the DOM. The other order costs a
// full layout per chart.
const views = [
  ["curves", mountCurves],
  ["matrices", mountMatrices],
  ["chain-rule", mountChainRule],
  ["boundary", mountBoundary],
  ["network", mountNetwork],
  ["equations", mountEquations],
].map(([id, mount]) => ({ id, view: safeMount(id, mount) }));

function safeMount(id, mount) {
  const root = document.getElementById(id);
  try {
    return mount(root, ctx);
  } catch (err) {
    root.textContent = `This view failed to start: ${err.message}`;
    console.error(`view ${id} failed to mount`, err);
    return { update() {} };
  }
}

/** The views a full update redraws: each tells the seq of the newest frame it shows. */
const FULL_UPDATE = ["boundary", "network", "curves"];

/** Frames drawn, those drawn in full (every view of FULL_UPDATE showing them) and the time
 * spent drawing them, and a way to draw a frame given as the server's binary message (with
 * the option to start the curves afresh from it): read by benchmarks/bench_render.py. */
const stats = { frames: 0, full: 0, drawMs: 0, views: {} };
window.backpropLab = {
  stats,
  drawBinary: (buffer, { resetHistory = false } = {}) => {
    const frame = parseBinaryFrame(buffer);
    if (resetHistory) frame.history_reset = true;
    drawFrame(session.frame(frame));
  },
};

function drawFrame(frame) {
  const t0 = performance.now();
  ctx.lastFrame = frame;
  for (const { id, view } of views) {
    const t = performance.now();
    try {
      view.update(frame);
    } catch (err) {
      console.error(`view ${id} failed to draw a frame`, err);
    }
    stats.views[id] = (stats.views[id] ?? 0) + performance.now() - t;
  }
  running.update(frame);
  banner.update(frame);
  stats.frames += 1;
  if (FULL_UPDATE.every((id) => views.find((v) => v.id === id).view.drawnSeq === frame.seq)) stats.full += 1;
  stats.drawMs += performance.now() - t0;
}

const banner = mountBanner(document.getElementById("banner"), ctx);
const controls = mountControls(document.body, ctx, (patch) => session.configure(patch));
const running = mountRunning(document.body, ctx);
mountExport(document.body, ctx, controls);
mountTabs(document.querySelector(".tabs"), ctx);
mountPresentation(document.getElementById("present"), ctx);

session.onFrame = drawFrame;
session.send = ctx.send;
session.onError = (message, command) => {
  if (command === "resolution") controls.showError("resolution", message);
  else banner.problem(message);
};

function connectionChanged(status) {
  const badge = document.getElementById("connection");
  badge.dataset.status = status;
  badge.textContent = status === "open" ? "live" : status;
  badge.title = status === "open" ? "Connected to the server" : `Connection: ${status}`;
  if (status === "open") {
    session.streamOpened();
    if (running.isPlaying()) running.resume();
  } else {
    session.connectionLost();
  }
  if (status === "gone") {
    session.recover().then(() => stream.reconnect(), (err) => banner.problem(err.message));
  }
}

async function start() {
  try {
    await session.start();
  } catch (err) {
    banner.problem(`${err.message} — the link's settings were not accepted; opening the defaults instead.`);
    store.set(defaultsOfConfig());
    try {
      await session.start();
    } catch (again) {
      banner.problem(again.message);
      return;
    }
  }
  stream = openStream(() => session.streamUrl(), {
    onFrame: (frame) => drawFrame(session.frame(frame)),
    onMessage: (msg) => session.handleMessage(msg),
    onStatus: connectionChanged,
  });
}

function defaultsOfConfig() {
  const defaults = parseHash("");
  return Object.fromEntries(CONFIG_PROPERTIES.map((p) => [p.name, defaults[p.name]]));
}

start();
