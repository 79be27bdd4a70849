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

/** The POST /api/sessions of this page load, already under way. */
export const creating = api.postJSON("/api/sessions", toConfig(store.get()));
creating.catch(() => {}); // main.js reports a refusal; nobody must see it as unhandled

/** That session's stream, opened as soon as the session exists (null if it was refused):
 * the handshake and the first frame need nothing from the modules still loading. */
export const firstSocket = creating.then((state) => openEarly(api.streamUrl(state.id)), () => null);
