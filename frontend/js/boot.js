// The first request, sent before the rest of the page has loaded.
//
// Creating the session is a round trip to the server that nothing else has to wait for:
// it needs only the link's settings. This module and its two small imports are loaded
// first (index.html runs it `async`), so the server builds the session, and then sends its
// first frame, while the browser is still fetching and compiling the views; main.js picks
// up the answer and the socket.

import * as api from "./api.js";
import { openEarly } from "./early_socket.js";
import { createStore, toConfig } from "./state.js";

/** The UI state, from the link's hash. */
export const store = createStore();

/** A follower's page (/join/<code>, or /join to type one) joins a class instead of
 * creating a session: the code (digits only; "" for the bare /join), or null. */
export const joinCode = location.pathname.startsWith("/join")
  ? decodeURIComponent(location.pathname.slice("/join".length).replace(/^\//, "")).replace(/\D/g, "")
  : null;

/** The id in a saved experiment's share link (/e/<id>), or null. */
export const experimentId = idAfter("/e/");
/** The id in a lesson's link (/lesson/<id>, which presents it), or null. */
export const lessonId = idAfter("/lesson/");

function idAfter(prefix) {
  const path = location.pathname;
  return path.startsWith(prefix) && path.length > prefix.length ? encodeURIComponent(decodeURIComponent(path.slice(prefix.length))) : null;
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
  : api.postJSON("/api/sessions", toConfig(store.get()));
creating?.catch(() => {}); // main.js reports a refusal; nobody must see it as unhandled

/** That session's stream, opened as soon as the session exists (null if it was refused):
 * the handshake and the first frame need nothing from the modules still loading. */
export const firstSocket = creating
  ? creating.then((state) => openEarly(api.streamUrl(state.id)), () => null)
  : Promise.resolve(null);
