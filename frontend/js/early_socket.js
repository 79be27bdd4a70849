// The stream's first socket, opened by boot.js the moment the session exists, while the
// rest of the page is still loading. Its events are kept until stream.js takes the socket
// over, then dispatched again, in order, to stream.js's own listeners: the handshake and
// the first frame overlap the page's start-up instead of following it.

const KEPT = ["open", "message", "close"];

/** Open `url` and keep its events for whoever `take`s the socket. */
export function openEarly(url) {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const kept = [];
  const keep = (event) => kept.push(event);
  for (const type of KEPT) socket.addEventListener(type, keep);
  return {
    /** The socket, and `replay()` to call once the taker's listeners are on it: every event
     * so far reaches them as if it came now. Nothing arrives in between if it is called in
     * the same task, or a microtask of it: network events come in tasks of their own. */
    take() {
      for (const type of KEPT) socket.removeEventListener(type, keep);
      return { socket, replay: () => kept.splice(0).forEach((e) => socket.dispatchEvent(copy(e))) };
    },
  };
}

function copy(event) {
  if (event.type === "message") return new MessageEvent("message", { data: event.data });
  if (event.type === "close") {
    return new CloseEvent("close", { code: event.code, reason: event.reason, wasClean: event.wasClean });
  }
  return new Event(event.type);
}
