// The first request, sent before the rest of the page has loaded.
//
// Creating the session is a round trip to the server that nothing else has to wait for:
// it needs only the link's settings. On the plain address index.html has sent it already,
// with the stream's socket opened behind it, before any module loaded; with a link's
// settings this module (loaded first, `async`, with its two small imports) sends it. Either
// way the server builds the session and sends its first frame while the browser is still
// fetching and compiling the views; main.js picks up the answer and the socket.

import * as api from "./api.js";
import { createStore, toConfig } from "./state.js";

/** The UI state, from the link's hash. */
export const store = createStore();

/** A follower's page (/join/<code>, or /join to type one) joins a class instead of
 * creating a session: the code (digits only; "" for the bare /join), or null. */
export const joinCode = location.pathname.startsWith("/join")
  ? decodeURIComponent(location.pathname.slice("/join".length).replace(/^\//, "")).replace(/\D/g, "")
  : null;

/**
 * A session with the config `wanted`, and how to get its stream's socket. On the plain
 * address, index.html asked for a session with the server's defaults, and for its stream,
 * before any module loaded: they are taken if those defaults are the page's too, else (or
 * if that request failed) the session is given back and one is asked for here.
 */
const early = { socket: (state) => window.backpropLabEarly.keep(api.streamUrl(state.id)) };

/** The id in a saved experiment's share link (/e/<id>), or null. */
export const experimentId = idAfter("/e/");
/** The id in a lesson's link (/lesson/<id>, which presents it), or null. */
export const lessonId = idAfter("/lesson/");

function idAfter(prefix) {
  const path = location.pathname;
  if (!path.startsWith(prefix) || path.length === prefix.length) return null;
  try {
    return encodeURIComponent(decodeURIComponent(path.slice(prefix.length)));
  } catch {
    return encodeURIComponent(path.slice(prefix.length)); // not valid %-encoding: as typed
  }
}

/** What such a link opens: a new session at the saved experiment's state, or at the
 * lesson's first scene ({state, lesson}). Each call asks the server afresh. */
function openLinked() {
  if (experimentId) return api.postJSON(`/api/experiments/${experimentId}/open`).then((state) => ({ state }));
  return api.getJSON(`/api/lessons/${lessonId}`).then(async (lesson) => {
    if (!lesson.scenes.length) throw new api.ApiError(404, `The lesson “${lesson.title}” has no scenes yet`);
    const state = await api.postJSON(`/api/lessons/${lessonId}/scenes/${lesson.scenes[0].id}/open`);
    return { state, lesson };
  });
}

const linked = joinCode === null && (experimentId || lessonId);
/** The newest answer of openLinked (null without such a link). */
export let opened = linked ? openLinked() : null;
opened?.catch(() => {});
/** Ask again (the server was unreachable): the new session's state. */
export const reopen = linked ? () => (opened = openLinked()).then((o) => o.state) : null;

/** The POST /api/sessions of this page load, already under way (none for a follower),
 * or the opening of the experiment or lesson the link names. */
export const creating = joinCode !== null ? null
  : linked ? opened.then((o) => o.state)
  : createSession(toConfig(store.get()));
creating?.catch(() => {}); // main.js reports a refusal; nobody must see it as unhandled

/** That session's stream, opened as soon as the session exists (null if it was refused):
 * the handshake and the first frame need nothing from the modules still loading. */
export const firstSocket = creating
  ? creating.then((state) => early.socket(state), () => null)
  : Promise.resolve(null);

function createSession(wanted) {
  const first = window.backpropLabEarly.first;
  window.backpropLabEarly.first = null;
  const ask = () => api.postJSON("/api/sessions", wanted);
  if (!first) return ask();
  return api.answerOf(first.response).then(async (state) => {
    const socket = await first.socket;
    if (sameSettings(state.config, wanted) && socket?.url === api.streamUrl(state.id)) {
      early.socket = () => socket;
      return state;
    }
    socket?.close();
    api.deleteJSON(`/api/sessions/${state.id}`).catch(() => {});
    return ask();
  }, ask);
}

/** Whether the server's config has every value of the (nested) config `wanted`. */
function sameSettings(config, wanted) {
  return Object.entries(wanted).every(([section, values]) =>
    Object.entries(values).every(([key, value]) => JSON.stringify(config?.[section]?.[key]) === JSON.stringify(value)));
}
