// The connection to the server, told to the user: a badge in the top bar, and when the
// stream cannot connect, a banner that says what is wrong and what to do.
//
// A WebSocket that fails tells the page nothing about why (the browser only logs it), so
// after the second failure in a row, or CONNECT_GRACE_MS after the stream began trying
// (its first attempt, or the moment it dropped) without opening, the page asks
// the server's health route over plain HTTP. If that answers, the server runs but refuses
// the stream (no WebSocket support in its install, or a proxy that blocks the upgrade);
// if not, the server is gone. Either way the stream keeps retrying with back-off, and the
// banner leaves by itself once frames flow again.

const CONNECT_GRACE_MS = 3000;
const HEALTH_TIMEOUT_MS = 2000;

/** What the server's health route says right now: "up", or "down" when it does not answer. */
async function serverHealth() {
  try {
    const response = await fetch("/api/health", { cache: "no-store", signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    return response.ok ? "up" : "down";
  } catch {
    return "down";
  }
}

/** The banner's words for a stream that does not connect, given what /api/health said. */
export function explain(health, delayMs = null) {
  const retry = delayMs === null ? "Still trying." : `Trying again in ${Math.max(1, Math.round(delayMs / 1000))} s.`;
  if (health === "up") {
    return "The live stream cannot connect: the server answers, but refuses the WebSocket that "
      + "training runs on. Restart it with 'make run' (its install includes WebSocket support), "
      + `or, behind a proxy, allow WebSocket upgrades. ${retry}`;
  }
  return "The server is not reachable: it may have stopped, or the network dropped. Start it "
    + `again ('make run') and keep this page open: it reconnects by itself. ${retry}`;
}

/**
 * @param {HTMLElement} badge  the top bar's connection badge
 * @param {{connectionProblem: (text: string, retry: () => void) => void, connectionRestored: () => void}} banner
 * @param {() => void} retryNow  try the stream again at once
 */
export function mountConnection(badge, banner, retryNow) {
  let since = null; // when the stream began trying; null while it is open (or not started)
  let timer = null;
  let asking = false;

  function show(status) {
    badge.dataset.status = status;
    badge.textContent = status === "open" ? "live" : status === "failing" ? "no connection" : status;
    badge.title = status === "open" ? "Connected to the server" : `Connection: ${status}`;
  }

  async function diagnose(delayMs) {
    if (asking) return;
    asking = true;
    const health = await serverHealth();
    asking = false;
    if (badge.dataset.status === "open") return; // it connected meanwhile
    show("failing");
    banner.connectionProblem(explain(health, delayMs), retryNow);
  }

  function settled() {
    clearTimeout(timer);
    since = null;
  }

  return {
    /** Called with every status of the stream (see stream.js). */
    changed(status, retry) {
      if (status === "open") {
        settled();
        show("open");
        banner.connectionRestored();
        return;
      }
      if (status === "gone" || status === "closed") {
        // The session expired (a new one is being made) or the page closed the stream:
        // nothing is wrong with the connection itself.
        settled();
        show(status);
        return;
      }
      if (since === null) {
        since = performance.now();
        timer = setTimeout(() => badge.dataset.status !== "open" && diagnose(null), CONNECT_GRACE_MS);
      }
      if (badge.dataset.status !== "failing") show(status);
      if (status === "reconnecting" && (retry.failures >= 2 || performance.now() - since >= CONNECT_GRACE_MS)) {
        diagnose(retry.delayMs);
      }
    },
  };
}
