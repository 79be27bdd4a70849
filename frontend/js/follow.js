// A follower's page (/join/<code>): the lecturer's session, live and read-only.
//
// The page draws the lecturer's frames as they come (the server relays each one once
// encoded; a slow device skips frames rather than falling behind) and mirrors what the
// lecturer's page shows besides them: tab, phase, traced example, sign and layout. Every
// control that would change the session is disabled, and a bar says so. "Make it mine"
// forks the session as it is now into the student's own, and the page becomes an ordinary
// Backprop Lab page on it. When the lecturer closes the class, the bar says that too.
//
// Frames carry no configuration: when the lecturer changes it (η, activation, features…)
// the class says so ({"type": "config", "version"}), and the page loads the session's state
// again, so the equations, step card, network labels and sidebar show the new values. The
// server sends something at least every 3 s ({"type": "alive"} when nothing else), so a
// stream silent for SILENT_MS is dead (a half-open socket after a Wi-Fi drop) and replaced
// at once; the new socket brings the newest frame and view, not the frames missed.

import { VIEW_KEYS } from "./session.js";

/** What a follower may not touch: everything that changes a session or what it shows. */
const LOCKED = ["#sidebar", ".run", "#demos", "#class", "#copy-link", "#save", "#open", "#lesson", "#timeline", ".tabs", ".panel-tools", "#boundary", "#edit-bar", "#equations .eq-toggles", "#curves .gc-run"];
const FROM_VIEW = Object.fromEntries(Object.entries(VIEW_KEYS).map(([k, name]) => [name, k]));
const CONTROLS = "input, select, button, textarea";
/** More than two of the server's 3 s keep-alive intervals without a message: dead. */
const SILENT_MS = 8000;

export function mountFollow({ ctx, session, store, banner, classDialog, openStream, drawFrame, onStatus }) {
  const bar = document.getElementById("follow-bar");
  const text = document.getElementById("follow-text");
  const codeOut = document.getElementById("follow-code");
  const mine = document.getElementById("make-it-mine");
  const own = document.getElementById("follow-own");
  let stream = null;

  // Controls drawn after the page locked (the sidebar redraws its layer rows when the
  // lecturer's network changes) are locked as they appear.
  const relock = new MutationObserver(() => disableControls(true));

  function lock(on) {
    document.body.classList.toggle("following", on);
    for (const selector of LOCKED) {
      for (const el of document.querySelectorAll(selector)) {
        el.inert = on;
        if (on) relock.observe(el, { childList: true, subtree: true, attributes: true, attributeFilter: ["disabled"] });
      }
    }
    if (!on) relock.disconnect();
    disableControls(on);
  }

  function disableControls(on) {
    const controls = LOCKED.flatMap((s) => [`${s}:is(${CONTROLS})`, `${s} :is(${CONTROLS})`]).join(", ");
    for (const control of document.querySelectorAll(controls)) {
      if (on && !control.disabled) {
        control.disabled = true;
        control.dataset.lockedByClass = "true";
      } else if (!on && control.dataset.lockedByClass) {
        control.disabled = false;
        delete control.dataset.lockedByClass;
      }
    }
  }

  function ended(detail) {
    stream?.close();
    question.show({ id: null }); // no question is asked any more
    bar.dataset.ended = "true";
    text.textContent = `The class has ended: ${detail}`;
    mine.hidden = true;
    own.hidden = false;
  }

  /** The lecturer's view: the same tab, traced example, sign and layout, and phase. */
  function applyView(view) {
    const patch = {};
    for (const [name, value] of Object.entries(view)) {
      if (name in FROM_VIEW && value !== null && value !== undefined) patch[FROM_VIEW[name]] = value;
    }
    if (Object.keys(patch).length) store.set(patch);
    if (view.phase && view.phase !== session.viewPhase) {
      session.viewPhase = view.phase;
      const last = session.lastFrame;
      // the loss phase needs no server work: the lecturer's page only redraws, so do we
      if (view.phase === "loss") session.showLocalPhase("loss");
      // the frame shown as "loss" or "update" is now shown as the engine's phase (a frame
      // after a config change): draw it again so named
      else if (last && last.phase !== last.enginePhase && view.phase === last.enginePhase) {
        drawFrame(session.frame({ ...last, phase: last.enginePhase, history: { rows: 0 }, history_reset: false }));
      }
    }
  }

  function onMessage(msg) {
    // after "Make it mine" this stream is the student's own session's: its messages
    // (a "closed" when that session is gone, say) are the page's, not a class's
    if (!session.following) return session.handleMessage(msg);
    if (msg.type === "view") applyView(msg);
    else if (msg.type === "config") configChanged(msg.version);
    else if (msg.type === "alive") return; // only proof that the socket still works
    else if (msg.type === "poll") question.show(msg);
    else if (msg.type === "moved") reload("The lecturer's next session");
    else if (msg.type === "closed") ended(msg.detail);
    else if (msg.command === "answer") question.answered(msg);
    else session.handleMessage(msg);
  }

  /** The session's configuration changed (or this socket just joined): load the state
   * again unless this page already has that configuration. */
  function configChanged(version) {
    const known = session.configVersion;
    if (Number.isInteger(version) && Number.isInteger(known) && version <= known) return;
    reload("The lecturer's new settings");
  }

  /** Load the followed session's state again: the lecturer went on to another session (a
   * lesson's next scene; its frames follow on the same stream), or changed its config. */
  let loads = 0; // the newest load: an older one's answer arriving late is dropped
  let loading = null; // the reload under way; changes meanwhile ask for one more after it
  let again = null;
  async function reload(what) {
    // One request at a time per follower: a lecturer dragging points sends a change per
    // edit, and a room of followers each asking for every one would queue on the session.
    if (loading) {
      again = what;
      return loading;
    }
    loading = reloadNow(what);
    try {
      await loading;
    } finally {
      loading = null;
    }
    if (again) {
      const next = again;
      again = null;
      await reload(next);
    }
  }

  async function reloadNow(what) {
    const code = session.following;
    if (!code) return; // the page is the student's own now ("Make it mine")
    const mine = ++loads;
    try {
      if (!await session.follow(code, () => mine === loads && session.following === code)) return;
    } catch (err) {
      if (session.following === code) banner.problem(`${what} could not be loaded: ${err.message}`);
      return;
    }
    // the newest frame was drawn with the old points and settings: draw it again
    const last = session.lastFrame;
    if (last) drawFrame(session.frame({ ...last, history: { rows: 0 }, history_reset: false }));
  }

  const question = mountQuestion((answer) => stream?.send({ type: "answer", ...answer }));

  async function makeItMine() {
    mine.disabled = true;
    let fork;
    try {
      fork = await session.forkFollowed();
    } catch (err) {
      banner.problem(`${err.message}`);
      mine.disabled = false;
      return;
    }
    lock(false);
    bar.hidden = true;
    stream?.trustSilence(); // the student's own stream is quiet while paused
    question.show({ id: null }); // the lecturer's question is not the student's own page's
    ctx.showSession(fork, null, "/"); // now the student's own session, on its own stream
  }

  mine.addEventListener("click", makeItMine);
  // the views loaded after the first frame (equations, charts) bring controls of their own
  window.addEventListener("backprop-lab:views", () => session.following && lock(true));

  return {
    /** Join the class `code`: lock the page, then stream the lecturer's frames. */
    async start(code) {
      lock(true);
      bar.hidden = false;
      if (!code) {
        text.textContent = "Joining a class: type its code";
        mine.hidden = true;
        own.hidden = false;
        classDialog.askForCode();
        return null;
      }
      codeOut.textContent = `class ${code.slice(0, 4)} ${code.slice(4)}`;
      try {
        await session.follow(code);
      } catch (err) {
        text.textContent = "Joining a class: type its code";
        codeOut.textContent = "";
        mine.hidden = true;
        own.hidden = false;
        classDialog.askForCode(err.message);
        return null;
      }
      stream = openStream(() => session.streamUrl(), {
        onFrame: (frame) => drawFrame(session.frame(frame)),
        onMessage,
        onStatus,
        silentMs: SILENT_MS,
      });
      return stream;
    },
    readOnly: () => Boolean(session.following),
  };
}

/**
 * Predict, then reveal, on a follower's screen: the lecturer's question with its options as
 * large buttons; a click answers (and may be changed until the reveal). While it is asked,
 * the numbers that answer it are veiled on the page; the reveal shows the right option and
 * how the class chose.
 */
function mountQuestion(send) {
  const card = document.createElement("section");
  card.id = "follow-poll";
  card.className = "poll-card";
  card.hidden = true;
  card.setAttribute("aria-live", "polite");
  document.body.append(card);
  let poll = null;
  let mine = null; // the option this page chose

  // Shown, the card is a bar along the bottom and the stage is shortened by its height,
  // as for a lesson's caption bar (app.css: body.lesson, --lesson-h).
  const sized = new ResizeObserver(() => {
    document.documentElement.style.setProperty("--lesson-h", `${card.offsetHeight}px`);
    window.dispatchEvent(new Event("resize")); // the charts measure their new height
  });
  sized.observe(card);

  function draw() {
    card.hidden = !poll;
    document.body.classList.toggle("lesson", Boolean(poll));
    if (poll && !poll.revealed) document.body.dataset.veil = poll.reveal ?? "backward";
    else delete document.body.dataset.veil;
    if (!poll) return card.replaceChildren();
    const total = poll.tally?.reduce((a, b) => a + b, 0) ?? 0;
    const options = poll.options.map((text, i) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "poll-option";
      button.dataset.option = String(i);
      button.disabled = poll.revealed;
      button.setAttribute("aria-pressed", String(mine === i));
      button.textContent = text;
      if (poll.revealed) {
        const count = poll.tally?.[i] ?? 0;
        const share = total ? Math.round((100 * count) / total) : 0;
        button.append(` · ${count} (${share} %)`);
        button.style.setProperty("--share", `${share}%`);
        if (poll.answer === i) button.classList.add("right");
      }
      button.addEventListener("click", () => send({ poll: poll.id, option: i }));
      return button;
    });
    const heading = document.createElement("h2");
    heading.textContent = poll.revealed ? "Revealed" : "Predict, then reveal";
    const text = document.createElement("p");
    text.className = "poll-text";
    text.textContent = poll.text;
    const note = document.createElement("p");
    note.className = "poll-note";
    note.textContent = poll.revealed
      ? (poll.answer === null || poll.answer === undefined ? "How the class answered." : mine === poll.answer ? "You were right." : "The numbers on the page show why.")
      : mine === null ? "Choose an answer: the lecturer reveals it with the next phase." : "Answered: you may change it until the reveal.";
    const list = document.createElement("div");
    list.className = "poll-options";
    list.append(...options);
    card.replaceChildren(heading, text, list, note);
  }

  return {
    show(msg) {
      if (!msg.id) poll = null;
      else {
        if (msg.id !== poll?.id) mine = null;
        poll = msg;
      }
      draw();
    },
    answered(msg) {
      if (msg.type === "ack" && msg.poll === poll?.id) mine = msg.option;
      draw();
    },
  };
}
