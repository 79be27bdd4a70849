// The WebSocket client: commands out, frames in, and a reconnect that survives bad Wi-Fi.
//
// Frames arrive as binary messages (a JSON header plus the arrays' raw bytes, deflated, see
// docs/api.md): no base64 to encode on the server or to decode here; typed.js inflates them. They are handed to the
// page at most once per animation frame: if the server sends faster than the browser can
// paint, only the newest frame is parsed and drawn (older ones would be stale by the time
// they reached the screen), so rendering never falls behind.
//
// A socket that cannot connect (the server is gone, it has no WebSocket support, a proxy
// refuses the upgrade or swallows it) is retried with a growing delay, for as long as the
// page is open; each failure is reported with the attempt count and the delay, so the page
// can say in words what is wrong long before anyone wonders why nothing moves.
//
// A socket can also die without closing: after a Wi-Fi drop the browser may keep it "open"
// for minutes while nothing reaches it (half-open TCP). A class's follower stream is sent
// something at least every few seconds (frames, or {"type": "alive"} when there is nothing
// else), so a follower's stream that hears nothing for `silentMs` is taken for dead, closed
// and opened again at once. And when the browser says it is back online, a socket that has
// not been heard from since it went offline is replaced at once too (`revive`).

import { binaryHeaderText, parseBinaryFrame } from "./typed.js";

const resetsHistory = (header) => header.includes('"history_reset":true');

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
/** A handshake that has neither opened nor failed by then is given up and retried. */
const CONNECT_TIMEOUT_MS = 5000;
/** How often a stream with `silentMs` checks that it still hears from the server. */
const SILENCE_CHECK_MS = 1000;

/**
 * @param {() => string} urlOf  the socket URL, asked again on every (re)connect
 * @param {{onFrame: (frame) => void, onMessage?: (msg) => void,
 *          onStatus?: (status: string, retry?: {failures: number, delayMs: number}) => void}} handlers
 *   `retry` comes with "reconnecting": the failed attempts in a row and the wait before the next.
 *   `early` (index.html's `backpropLabEarly.keep`) is a socket to this URL already opened, taken as the first.
 *   `silentMs`: an open socket that receives nothing for this long is taken for dead and
 *   replaced at once (only for a server that promises to send something more often: a
 *   class's follower stream); null never.
 */
export function openStream(urlOf, { onFrame, onMessage = () => {}, onStatus = () => {}, early = null, silentMs = null }) {
  let socket = null;
  let attempt = 0;
  let closedByUs = false;
  let pending = null; // the newest frame not yet drawn: an ArrayBuffer, or JSON text
  let pendingReset = false; // a replaced frame asked to clear the curves
  let scheduled = false;
  let anyDelivered = false;
  let retryTimer = null;
  let heardAt = 0; // performance.now() of the newest message (or of the open)
  let offlineAt = null; // when the browser last said it went offline
  const outbox = []; // commands sent while the socket was down, replayed on reconnect
  let ticked = performance.now();
  let silence = silentMs === null ? null : setInterval(() => {
    const now = performance.now();
    // A tick that comes late means the page itself was busy (or hidden): the messages
    // that arrived meanwhile are still queued behind it, so silence is judged next tick.
    const late = now - ticked > 2 * SILENCE_CHECK_MS;
    ticked = now;
    if (late || silentMs === null || socket?.readyState !== WebSocket.OPEN) return;
    if (now - heardAt > silentMs) restart();
  }, SILENCE_CHECK_MS);

  function deliver() {
    scheduled = false;
    const message = pending;
    const reset = pendingReset;
    pending = null;
    pendingReset = false;
    if (message === null) return;
    const frame = typeof message === "string" ? JSON.parse(message) : parseBinaryFrame(message);
    // A frame replaced before it was drawn must not take a reset of the curves with it;
    // the whole history came with the replaced frame, so this one says its rows are partial.
    if (reset && !frame.history_reset) {
      frame.history_reset = true;
      frame.history_partial = true;
    }
    onFrame(frame);
  }

  function replacePending(frame) {
    if (pending !== null && !pendingReset) {
      pendingReset = resetsHistory(typeof pending === "string" ? pending : binaryHeaderText(pending));
    }
    pending = frame;
    if (!anyDelivered) {
      // The first frame is drawn at once: the page has nothing on screen to keep smooth,
      // and its drawing is done by the time the browser renders its next frame. The next
      // frame waits until that rendering is over: drawn in the animation frame's callbacks,
      // it would hold the first one off the screen for as long as its own drawing takes.
      anyDelivered = true;
      deliver();
      scheduled = true;
      requestAnimationFrame(() => setTimeout(deliver));
    } else if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(deliver);
    }
  }

  function receive(event) {
    const text = event.data;
    // Frames are parsed only when drawn: one that a newer frame replaces before the next
    // paint is never parsed at all. Binary messages are always frames; a JSON frame (with
    // ?encoding=json) starts with its "type", see docs/api.md.
    if (text instanceof ArrayBuffer || text.startsWith('{"type":"frame"')) {
      replacePending(text);
      return;
    }
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      onStatus("bad-message");
      return;
    }
    onMessage(msg);
  }

  function connect() {
    clearTimeout(retryTimer);
    if (!attempt) onStatus("connecting");
    // The first connection may take over a socket opened before this module ran.
    const taken = early?.take();
    early = null;
    const ws = taken?.socket ?? new WebSocket(urlOf());
    ws.binaryType = "arraybuffer";
    socket = ws;
    const giveUp = setTimeout(() => ws.readyState === WebSocket.CONNECTING && ws.close(), CONNECT_TIMEOUT_MS);
    ws.addEventListener("open", () => {
      clearTimeout(giveUp);
      attempt = 0;
      heardAt = performance.now();
      onStatus("open");
      while (outbox.length && ws.readyState === WebSocket.OPEN) ws.send(outbox.shift());
    });
    ws.addEventListener("message", (event) => {
      if (ws !== socket) return;
      heardAt = performance.now();
      receive(event);
    });
    ws.addEventListener("close", (event) => {
      clearTimeout(giveUp);
      if (ws !== socket) return; // replaced by reconnect(); nothing to do
      socket = null;
      if (closedByUs) return onStatus("closed");
      if (event.code === 4404) {
        // The session is gone: retrying this URL is pointless; the owner makes a new
        // session and calls reconnect().
        onStatus("gone");
        return;
      }
      const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
      attempt += 1;
      onStatus("reconnecting", { failures: attempt, delayMs: delay });
      retryTimer = setTimeout(connect, delay);
    });
    // An "error" event is always followed by "close"; the browser already logs the cause.
    // The kept events are replayed once openStream has returned: an "open" among them makes
    // the page send its first commands, through the stream object the caller has not got
    // yet while this function runs. A microtask still comes before any new network event.
    if (taken) queueMicrotask(taken.replay);
  }

  /** Drop the socket (its close event is then ignored) and open a new one at once. */
  function restart() {
    const old = socket;
    socket = null;
    old?.close();
    attempt = 0;
    connect();
  }

  connect();

  return {
    /** Send a command object; queued (bounded) if the socket is reconnecting. */
    send(command) {
      const text = JSON.stringify(command);
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
      else if (outbox.length < 32) outbox.push(text);
    },
    /** Draw the newest frame now (used after a tab switch to refresh hidden charts). */
    flush: deliver,
    /** Try again at once, without waiting out the back-off (the banner's "Retry now"). */
    retryNow() {
      if (socket) return; // connected, or a handshake under way
      connect();
    },
    /** No more silence watch (a follower's page became the student's own session, whose
     * stream is quiet while paused). */
    trustSilence() {
      silentMs = null;
      clearInterval(silence);
      silence = null;
    },
    /** The browser says the network went away: the socket is suspect until heard from. */
    offline() {
      offlineAt = performance.now();
    },
    /**
     * The browser is back online (a laptop rejoining the room's Wi-Fi): connect now, not at
     * the end of a back-off that grew while it was away, and replace a socket that is not
     * known to work (not heard from since the network went away, or within `silentMs`):
     * after a drop it may be half-open, looking open while nothing reaches it.
     */
    revive() {
      if (closedByUs) return;
      // Without a silence limit and no offline before it, an open socket stays: the
      // lecturer's paused stream may well be quiet, and a new one would go back to live.
      const since = offlineAt ?? (silentMs === null ? -Infinity : performance.now() - silentMs);
      offlineAt = null;
      if (socket?.readyState === WebSocket.OPEN && heardAt > since) return; // known good
      restart();
    },
    /** Reconnect to a possibly different URL (e.g. a new session after an upload). */
    reconnect() {
      pending = null; // a frame of the old URL not yet drawn never will be (another session's)
      restart();
    },
    close() {
      closedByUs = true;
      clearTimeout(retryTimer);
      clearInterval(silence);
      socket?.close();
    },
  };
}
