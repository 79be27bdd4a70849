// Wires the page together: the UI state, the session, the stream, the controls and the views.
// Nothing is drawn here; each module does one job and this file only connects them.
//
// The first frame comes first: the boundary and the network are the only views loaded with
// the page, and they draw without Plotly.js, so the page shows them as soon as the stream
// delivers. Only then come the equations, Plotly.js and the views that need it (the curves,
// matrices and chain-rule tabs).

import * as api from "./api.js";
import { creating, firstSocket, joinCode, lessonId, opened, reopen, store } from "./boot.js";
import { CONFIG_PROPERTIES, fromConfig, parseHash } from "./state.js";
import { mountDemos } from "./demos.js";
import { mountControls } from "./controls.js";
import { mountRunning } from "./running.js";
import { mountBanner } from "./banner.js";
import { mountNotice } from "./notice.js";
import { mountConnection } from "./connection.js";
import { mountExport } from "./export.js";
import { mountTabs } from "./tabs.js";
import { mountPresentation } from "./presentation.js";
import { mountTimeline } from "./timeline.js";
import { Session } from "./session.js";
import { openStream } from "./stream.js";
import { parseBinaryFrame } from "./typed.js";
import { mount as mountBoundary } from "./views/boundary.js";
import { mount as mountNetwork } from "./views/network.js";
import { startPlotly } from "./plotly.js";

const session = new Session(api, store);
let stream = null;
// The session was asked for before this module loaded (boot.js); its answer is taken here.
// A follower's page (/join/<code>) asked for none: it follows a class instead.
const created = creating ? session.start(creating).then(() => null, (err) => err) : null;

const ctx = {
  getState: store.get,
  setState: (patch) => store.set(patch),
  onState: (fn) => store.subscribe(fn),
  sessionId: () => session.id,
  /** The session the newest frame drawn is of: sessionId() once a switch has been drawn. */
  frameSession: () => frameSession,
  /** The REST prefix of what the page shows (a session, or a followed class), or null. */
  restBase: () => (session.id || session.following ? session.base : null),
  /** A follower's page watches: it sends nothing that would change the session. */
  readOnly: () => Boolean(session.following),
  send: (command) => (session.following ? undefined : stream?.send(command)),
  /** Follow the session to a new id (after a model upload). */
  reconnect: () => stream?.reconnect(),
  /** The Class dialog's controls, if a class was ever opened here (class.js), or null. */
  classRoom: () => classDialog,
  /** Make a session the server just made this page's own (see showSession). */
  showSession: (state, view, path) => showSession(state, view, path),
  /** A short message under the top bar (notice.js). */
  notify: (text, ms) => notify(text, ms),
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
  ["boundary", mountBoundary],
  ["network", mountNetwork],
].map(([id, mount]) => ({ id, view: safeMount(id, mount) }));

let laterRequested = false;
/** The equations, loaded once the first frame is on screen (they draw after the network),
 * then the charts. */
function loadLaterViews() {
  if (laterRequested) return;
  laterRequested = true;
  Promise.all([import("./views/equations.js"), import("./views/step_card.js")]).then((modules) => {
    const mounted = [
      { id: "equations", view: safeMount("equations", modules[0].mount) },
      { id: "step-card", view: safeMount("step-card", modules[1].mount) },
    ];
    views.push(...mounted);
    if (ctx.lastFrame) drawViews(mounted, ctx.lastFrame);
    window.dispatchEvent(new Event("backprop-lab:views")); // e.g. a follower locks their controls
  }, (err) => {
    banner.problem(`The equations could not be loaded (${err.message}); reload the page.`);
  }).finally(loadCharts); // Plotly.js's compile holds the page for a moment: equations first
}

/** The views that need Plotly.js: loaded with it, after the first frame is on screen. */
const PLOTLY_VIEWS = [
  ["curves", () => import("./views/curves.js")],
  ["matrices", () => import("./views/matrices.js")],
  ["chain-rule", () => import("./views/chainrule.js")],
];

const CHARTS_RETRY_MS = 5000;
let chartsRequested = false;
/** Load Plotly.js and the chart views, then show them the newest frame; retried on failure. */
function loadCharts() {
  if (chartsRequested) return;
  chartsRequested = true;
  Promise.all([startPlotly(), ...PLOTLY_VIEWS.map(([, load]) => load())]).then(([, ...modules]) => {
    const mounted = PLOTLY_VIEWS.map(([id], i) => ({ id, view: safeMount(id, modules[i].mount) }));
    views.unshift(...mounted); // Plotly charts draw first (see above)
    if (ctx.lastFrame) drawViews(mounted, ctx.lastFrame);
    window.dispatchEvent(new Event("backprop-lab:views"));
  }, (err) => {
    banner.problem(`${err.message}. The charts are tried again in ${CHARTS_RETRY_MS / 1000} s.`);
    chartsRequested = false;
    setTimeout(loadCharts, CHARTS_RETRY_MS);
  });
}
// Without a first frame (no stream yet), the other views still come, a moment later.
setTimeout(loadLaterViews, 3000);

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
  /** The newest frame drawn, as the views got it (read by the browser tests). */
  lastFrame: () => ctx.lastFrame,
  /** The id of the session the page shows (a lesson's scene is a session of its own). */
  sessionId: () => session.id,
  /** The session the newest frame drawn is of: sessionId() once a switch has been drawn. */
  frameSession: () => frameSession,
  drawBinary: (buffer, { resetHistory = false } = {}) => {
    const frame = parseBinaryFrame(buffer);
    if (resetHistory) frame.history_reset = true;
    drawFrame(session.frame(frame));
  },
};

let firstFrameDrawn = false;

let frameSession = null; // the session the newest frame drawn came from

function drawFrame(frame) {
  const t0 = performance.now();
  frameSession = session.following ? null : session.id; // stale frames never get here (stream.js)
  ctx.lastFrame = frame;
  if (firstFrameDrawn) {
    drawViews(views, frame);
  } else {
    // The first frame: the boundary is painted on its own and the network once the
    // boundary is on screen (a newer frame before then draws it anyway): drawn in the same
    // task, or in one before the browser's next rendering, it would hold the boundary back.
    firstFrameDrawn = true;
    drawViews(views.filter((v) => v.id === "boundary"), frame);
    requestAnimationFrame(() => setTimeout(() => {
      if (ctx.lastFrame === frame) drawViews(views.filter((v) => v.id !== "boundary"), frame);
      requestAnimationFrame(() => setTimeout(() => performance.mark("backprop-lab:first-network")));
    }));
  }
  running.update(frame);
  banner.update(frame);
  timeline.update(frame);
  stats.frames += 1;
  if (FULL_UPDATE.every((id) => views.find((v) => v.id === id)?.view.drawnSeq === frame.seq)) stats.full += 1;
  stats.drawMs += performance.now() - t0;
  // The other views load after the first frame is on screen.
  if (!laterRequested) requestAnimationFrame(() => setTimeout(loadLaterViews));
}

function drawViews(list, frame) {
  for (const { id, view } of list) {
    const t = performance.now();
    try {
      view.update(frame);
    } catch (err) {
      console.error(`view ${id} failed to draw a frame`, err);
    }
    stats.views[id] = (stats.views[id] ?? 0) + performance.now() - t;
  }
}

const banner = mountBanner(document.getElementById("banner"), ctx);
const notify = mountNotice(document.getElementById("notice"));
const controls = mountControls(document.body, ctx, (patch) => session.configure(patch), notify);

/**
 * A link followed in the open page (a demo, a pasted URL): the store has taken its settings
 * (state.js); the server gets its config, and training starts afresh, as the link promises.
 * A refused config is said, and the controls go back to the config in force.
 */
async function followLink() {
  if (!session.id) return;
  const state = store.get();
  try {
    const ack = await session.configure(Object.fromEntries(CONFIG_PROPERTIES.map((p) => [p.name, state[p.name]])));
    if (!ack.reinitialised) session.reset();
  } catch (err) {
    banner.problem(`${err.message} — the link's settings were not accepted.`);
    const current = await api.getJSON(session.base).catch(() => null);
    if (current) store.set(fromConfig(current.config));
  }
}
window.addEventListener("hashchange", followLink);
const DEMO_TELL_MS = 12000;
mountDemos(document.getElementById("demos"), (demo) => {
  // The same demo again changes no hash: follow it by hand, from its start.
  if (location.hash === demo.hash) followLink();
  notify(`${demo.title}: ${demo.tell}`, DEMO_TELL_MS);
});
const running = mountRunning(document.body, ctx);
mountExport(document.body, ctx, controls);
mountTabs(document.querySelector(".tabs"), ctx);
mountPresentation(document.getElementById("present"), ctx);
const timeline = mountTimeline(document.getElementById("timeline"), ctx, notify, () => running.stop());
// The Class dialog and a follower's page are loaded when first needed: most pages never
// open a class, and the first frame should not wait for them.
const classButton = document.getElementById("class");
let classDialog = null;
function loadClassDialog() {
  classDialog ??= import("./class.js").then((m) => m.mountClass(classButton, document.getElementById("class-dialog"), ctx));
  return classDialog;
}
classButton.addEventListener("click", () => loadClassDialog().then((dialog) => dialog.open()), { once: true });

// Saved experiments and lessons: their dialogs and the lesson player load on first use too.
const lazyButtons = [
  ["save", () => import("./experiments.js").then((m) => m.mountSave(ctx))],
  ["open", () => import("./experiments.js").then((m) => m.mountOpen(ctx))],
  ["lesson", () => import("./lessons.js").then((m) => m.mountLessons(ctx))],
];
for (const [id, load] of lazyButtons) {
  const button = document.getElementById(id);
  let dialog = null;
  button.addEventListener("click", () => {
    dialog ??= load();
    dialog.then((d) => d.open(), (err) => banner.problem(`This dialog could not be loaded (${err.message}); reload the page.`));
  });
}

/**
 * Show a session state the server just made — a branch, a student's fork, an imported
 * model, an opened experiment or lesson scene — as this page's session: playing stops (the
 * old session is left as it was), the state and its saved view are taken (session.show),
 * and the stream follows the new session, which starts paused: Play continues it live.
 * `path` is the address a reload should open again (/e/<id>, /lesson/<id>; "/" by default).
 */
function showSession(state, view = null, path = "/") {
  running.stop();
  session.show(state, view);
  if (location.pathname !== path) history.replaceState(null, "", path + location.hash);
  stream?.reconnect();
  classDialog?.then((room) => room.follow()); // an open class goes on with the page
  window.dispatchEvent(new Event("backprop-lab:session")); // e.g. a lesson being presented
}

session.onFrame = drawFrame;
session.send = ctx.send;
session.onError = (message, command) => {
  if (command === "resolution") controls.showError("resolution", message);
  else banner.problem(message);
};

const connection = mountConnection(document.getElementById("connection"), banner, () => stream?.retryNow());
// Back on the network (a laptop rejoining the room's Wi-Fi): connect now, not at the end
// of a back-off that grew while it was away, and replace a socket not heard from since the
// network went (it may be half-open); the newest frame follows within a moment.
window.addEventListener("offline", () => stream?.offline());
window.addEventListener("online", () => stream?.revive());

function connectionChanged(status, retry) {
  connection.changed(status, retry);
  if (status === "open") {
    session.streamOpened();
    if (running.isPlaying()) running.resume();
  } else {
    session.connectionLost();
  }
  if (status === "gone" && !session.following) {
    session.recover().then(() => stream.reconnect(), (err) => banner.problem(err.message));
  }
}

const START_RETRY_MS = 3000;

/** Create the session (boot.js asked already), then open its stream. */
async function start() {
  if (joinCode !== null) {
    const [{ mountFollow }, classDialog] = await Promise.all([import("./follow.js"), loadClassDialog()]);
    const follow = mountFollow({
      ctx, session, store, banner, classDialog, openStream, drawFrame, onStatus: connectionChanged,
    });
    stream = await follow.start(joinCode);
    return;
  }
  const refused = (err) => err && err.status >= 400 && err.status < 500;
  const firstAnswer = await created;
  let err = firstAnswer;
  // A saved experiment's or lesson's link (/e/<id>, /lesson/<id>) opens it, asked again
  // while the server is unreachable; the defaults once it is known not to exist.
  let again = reopen ?? (() => null);
  let linkAsked = Boolean(reopen); // the link's experiment or lesson is still what is asked for
  // Refused settings (a 4xx naming the field), or a link to something that is not there:
  // that cannot be opened, so the defaults are. Anything else (server unreachable or busy)
  // leaves the link as it is and asks again until the server answers.
  async function openDefaults(refusal) {
    if (linkAsked) {
      banner.problem(`${refusal.message} — this link's ${lessonId ? "lesson" : "saved experiment"} cannot be opened (deleted, or on another server?); opening the defaults instead.`);
      history.replaceState(null, "", "/" + location.hash);
    } else {
      banner.problem(`${refusal.message} — the link's settings were not accepted; opening the defaults instead.`);
    }
    linkAsked = false;
    again = () => null;
    store.set(defaultsOfConfig());
    return session.start().then(() => null, (failure) => failure);
  }
  if (refused(err)) err = await openDefaults(err);
  const retried = Boolean(err);
  while (err) {
    if (refused(err)) return banner.problem(err.message); // asking again would not help
    banner.problem(`${err.message} Trying again in ${START_RETRY_MS / 1000} s.`);
    await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS));
    err = await session.start(again()).then(() => null, (failure) => failure);
    // the link's experiment or lesson, found missing once the server answers
    if (refused(err) && linkAsked) err = await openDefaults(err);
  }
  if (retried) banner.hide("problem"); // the server answered: "trying again" is over
  stream = openStream(() => session.streamUrl(), {
    onFrame: (frame) => drawFrame(session.frame(frame)),
    onMessage: (msg) => session.handleMessage(msg),
    onStatus: connectionChanged,
    // boot.js's socket, opened on this session when the first request created it
    early: firstAnswer === null ? await firstSocket : null,
  });
  // A lesson's link presents it: the caption bar and the scene keys, from the scene opened.
  const lesson = await opened?.catch(() => null);
  if (lesson?.lesson && session.id === lesson.state.id) {
    const { presentLesson } = await import("./lesson_player.js");
    presentLesson(ctx, lesson.lesson, lesson.state);
  }
}

function defaultsOfConfig() {
  const defaults = parseHash("");
  return Object.fromEntries(CONFIG_PROPERTIES.map((p) => [p.name, defaults[p.name]]));
}

start();
