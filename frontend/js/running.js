// Play, pause, step, phase, reset, the keyboard, and the progress read-out in the top bar.
//
// The animated step has four phases on screen: forward, loss, backward, update. The engine
// has three (the loss is computed by the forward pass), so "loss" is shown between the
// server's forward and backward answers without a round trip.
//
// Fast play streams from the server (many SGD steps per frame). Slow play walks the four
// phases from here, one every PHASE_MS, so every phase is seen. Play is live: pressed while
// the timeline shows a past step, fast play's `play` brings the stream back to live (the
// server does), and slow play first asks for the live network (`seek` to null) and starts
// its phases on the live frame: a `phase` at a past step would replay that step's update.
// It asks even when the page shows live, since a seek into the past may still be on its way.

import { fmt } from "./format.js";

export const PHASES = ["forward", "loss", "backward", "update"];
const PHASE_MS = 900;

export function mountRunning(root, ctx) {
  const playButton = root.querySelector("#play");
  const stepButton = root.querySelector("#step");
  const phaseButton = root.querySelector("#phase");
  const resetButton = root.querySelector("#reset");
  const out = {
    step: root.querySelector("#step-counter"),
    epoch: root.querySelector("#epoch-counter"),
    trainLoss: root.querySelector("#train-loss"),
    testLoss: root.querySelector("#test-loss"),
    testAccuracy: root.querySelector("#test-accuracy"),
  };

  let playing = false;
  let uiPhase = "ready"; // the last phase shown: ready | forward | loss | backward | update
  let slowTimer = null;
  let busy = false; // a phase request is in flight
  let toLive = false; // slow play asked for the live network: its phases wait for its frame

  function setPlaying(on) {
    playing = on;
    playButton.textContent = on ? "Pause" : "Play";
    playButton.setAttribute("aria-pressed", String(on));
    clearTimeout(slowTimer);
    slowTimer = null;
    toLive = false;
    if (!on) {
      ctx.session.pause();
      return;
    }
    if (!ctx.getState().animate) {
      ctx.session.play(ctx.getState().speed);
    } else {
      toLive = true; // slowTick starts once the live frame is here (update)
      ctx.send({ type: "seek", step: null });
    }
  }

  async function nextPhase() {
    if (busy) return;
    busy = true;
    try {
      if (uiPhase === "forward") {
        uiPhase = "loss";
        ctx.session.showLocalPhase("loss");
      } else {
        const next = uiPhase === "loss" ? "backward" : uiPhase === "backward" ? "update" : "forward";
        await ctx.session.phase(next);
      }
    } finally {
      busy = false;
    }
  }

  async function slowTick() {
    if (!playing || !ctx.getState().animate) return;
    await nextPhase().catch(() => setPlaying(false));
    if (playing) slowTimer = setTimeout(slowTick, PHASE_MS);
  }

  playButton.addEventListener("click", () => setPlaying(!playing));
  stepButton.addEventListener("click", () => {
    if (playing) setPlaying(false);
    ctx.session.step(1);
  });
  phaseButton.addEventListener("click", () => {
    if (playing) setPlaying(false);
    nextPhase();
  });
  resetButton.addEventListener("click", () => {
    if (playing) setPlaying(false);
    uiPhase = "ready";
    ctx.session.reset();
  });

  // Switching between slow and fast, or changing the speed, while playing takes effect at once.
  ctx.onState((state, changed) => {
    if (!playing) return;
    if (changed.includes("animate")) {
      ctx.session.pause();
      setPlaying(true);
    } else if (changed.includes("speed") && !state.animate) {
      ctx.session.play(state.speed);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (ctx.readOnly?.()) return; // a follower's page: the lecturer runs the session
    const target = event.target;
    const typing = target.closest?.("input, select, textarea, [contenteditable]");
    if (event.key === " " || event.code === "Space") {
      if (typing || target.closest?.("button, label")) return; // the control's own meaning
      event.preventDefault();
      setPlaying(!playing);
    } else if (event.key === "ArrowRight") {
      if (typing && target.type !== "checkbox" && target.type !== "radio") return;
      event.preventDefault();
      (event.shiftKey ? phaseButton : stepButton).click();
    }
  });

  return {
    isPlaying: () => playing,
    /** After a reconnect the server's stream starts paused: ask again. */
    resume: () => playing && !ctx.getState().animate && ctx.session.play(ctx.getState().speed),
    stop: () => playing && setPlaying(false),
    /** Progress read-out, and the phase the step is at. */
    update(frame) {
      out.step.textContent = String(frame.step);
      out.epoch.textContent = fmt(frame.epoch, 3);
      const m = frame.metrics ?? {};
      out.trainLoss.textContent = fmt(m.train_loss);
      out.testLoss.textContent = fmt(m.test_loss);
      out.testAccuracy.textContent = m.test_accuracy == null ? "–" : `${(100 * m.test_accuracy).toFixed(1)}%`;
      // The engine's state after a forward pass is also the page's "loss" (shown locally).
      if (frame.phase && !(uiPhase === "loss" && frame.phase === "forward")) uiPhase = frame.phase;
      if (toLive && frame.timeline?.at == null) {
        toLive = false;
        if (playing && ctx.getState().animate) slowTimer = setTimeout(slowTick, 0);
      }
      if (frame.diverged && playing) setPlaying(false);
    },
  };
}
