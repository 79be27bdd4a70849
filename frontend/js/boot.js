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

/** The POST /api/sessions of this page load, already under way (none for a follower). */
export const creating = joinCode === null ? api.postJSON("/api/sessions", toConfig(store.get())) : null;
creating?.catch(() => {}); // main.js reports a refusal; nobody must see it as unhandled

/** That session's stream, opened as soon as the session exists (null if it was refused):
 * the handshake and the first frame need nothing from the modules still loading. */
export const firstSocket = creating
  ? creating.then((state) => openEarly(api.streamUrl(state.id)), () => null)
  : Promise.resolve(null);
