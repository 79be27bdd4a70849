// Time travel: a scrub bar under the stage that shows any past step of the run, exactly.
//
// Dragging sends `seek` commands on the stream; the server rebuilds the network as it was
// at that step (docs/api.md, Time travel) and every view draws it like any frame: the
// boundary, the network, the equations with their numbers, the matrices. The curves keep
// every step and mark the one shown. A seek is sent only once the previous one has been
// answered by a frame, so a fast drag never queues up stale steps: the newest position
// wins. Play, the Live button or End return to the live network.
//
// While in the past: ← and → move one step (→ is the Step button's key: the server moves
// through the past, never beyond the live step), Shift+→ replays the next update phase by
// phase on the minibatch it used, Home jumps to the first step, End to live. "Branch
// here" continues from the step shown in a new run (the page follows it); the original run
// is kept, and "Compare runs" opens both side by side.

const fmtInt = (n) => n.toLocaleString("en-US");

/**
 * @param {HTMLElement} root  the #timeline bar
 * @param {object} ctx  the page's context (send, session, reconnect, sessionId)
 * @param {(text: string, ms: number) => void} notify  a short message under the top bar
 * @param {() => void} pause  stops playing (the past holds still; Play returns to live)
 */
export function mountTimeline(root, ctx, notify, pause) {
  const range = root.querySelector("#timeline-range");
  const readout = root.querySelector("#timeline-at");
  const liveButton = root.querySelector("#timeline-live");
  const branchButton = root.querySelector("#timeline-branch");
  const compareLink = root.querySelector("#timeline-compare");

  let shown = null; // the frame's timeline block: {first, now, at}
  let inFlight = false; // a seek sent, its frame not yet here
  let queued; // the newest wanted step while one is in flight (undefined: none)
  let dragging = false; // the thumb is held: frames do not move it under the pointer
  const runs = []; // session ids of this page's runs: the original, then its branches

  /** Show step `step` (null or the live step: live). */
  function seek(step) {
    if (!shown) return;
    const target = step === null || step >= shown.now ? null : Math.max(shown.first ?? 0, step);
    if (target !== null) pause();
    if (inFlight) {
      queued = target;
      return;
    }
    inFlight = true;
    ctx.send({ type: "seek", step: target });
  }

  range.addEventListener("input", () => seek(Number(range.value)));
  range.addEventListener("pointerdown", () => { dragging = true; });
  window.addEventListener("pointerup", () => { dragging = false; });
  liveButton.addEventListener("click", () => seek(null));
  branchButton.addEventListener("click", branch);

  document.addEventListener("keydown", (event) => {
    if (!shown || shown.at === null || event.defaultPrevented) return; // only while in the past
    if (ctx.readOnly?.()) return; // a follower's page follows the lecturer's step
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target.closest?.("input, select, textarea, [contenteditable]")) return; // its own keys
    const keys = { ArrowLeft: () => shown.at - 1, Home: () => shown.first ?? 0, End: () => null };
    const to = keys[event.key];
    if (!to) return;
    event.preventDefault();
    seek(to());
  });

  async function branch() {
    if (!shown) return;
    const step = shown.at ?? shown.now;
    const from = ctx.sessionId();
    branchButton.disabled = true;
    try {
      ctx.showSession(await ctx.session.branch(step));
      if (!runs.includes(from)) runs.push(from);
      runs.push(ctx.sessionId());
      compareLink.href = `/compare?runs=${runs.slice(-3).join(",")}&step=${step}`;
      compareLink.hidden = false;
      notify(`Branched at step ${fmtInt(step)}: a new run from exactly that state. Change anything (η, the batch size…) and press Play; “Compare runs” shows it beside the original.`, 12000);
    } catch (err) {
      notify(`The branch could not be made: ${err.message}`, 8000);
    } finally {
      branchButton.disabled = false;
    }
  }

  return {
    update(frame) {
      const timeline = frame.timeline;
      if (!timeline) return;
      if (inFlight) {
        inFlight = false;
        if (queued !== undefined) {
          const next = queued;
          queued = undefined;
          seek(next);
        }
      }
      shown = timeline;
      const past = timeline.at !== null;
      range.min = String(timeline.first ?? timeline.now);
      range.max = String(timeline.now);
      range.disabled = timeline.first === null || timeline.first === timeline.now;
      if (!dragging) range.value = String(past ? timeline.at : timeline.now);
      readout.textContent = past
        ? `step ${fmtInt(timeline.at)} of ${fmtInt(timeline.now)}`
        : `live · step ${fmtInt(timeline.now)}`;
      root.dataset.mode = past ? "past" : "live";
      document.body.dataset.timeline = past ? "past" : "live";
      liveButton.disabled = !past;
    },
  };
}
