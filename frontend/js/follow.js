// A follower's page (/join/<code>): the lecturer's session, live and read-only.
//
// The page draws the lecturer's frames as they come (the server relays each one once
// encoded; a slow device skips frames rather than falling behind) and mirrors what the
// lecturer's page shows besides them: tab, phase, traced example, sign and layout. Every
// control that would change the session is disabled, and a bar says so. "Make it mine"
// forks the session as it is now into the student's own, and the page becomes an ordinary
// Backprop Lab page on it. When the lecturer closes the class, the bar says that too.

import { VIEW_KEYS } from "./session.js";

/** What a follower may not touch: everything that changes a session or what it shows. */
const LOCKED = ["#sidebar", ".run", "#demos", "#class", "#copy-link", "#save", "#open", "#lesson", "#timeline", ".tabs", ".panel-tools", "#boundary", "#edit-bar"];
const FROM_VIEW = Object.fromEntries(Object.entries(VIEW_KEYS).map(([k, name]) => [name, k]));

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
    for (const control of document.querySelectorAll(LOCKED.map((s) => `${s} :is(input, select, button, textarea)`).join(", "))) {
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
      // the loss phase needs no server work: the lecturer's page only redraws, so do we
      if (view.phase === "loss") session.showLocalPhase("loss");
    }
  }

  function onMessage(msg) {
    if (msg.type === "view") applyView(msg);
    else if (msg.type === "closed") ended(msg.detail);
    else session.handleMessage(msg);
  }

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
    ctx.showSession(fork, null, "/"); // now the student's own session, on its own stream
  }

  mine.addEventListener("click", makeItMine);

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
      });
      return stream;
    },
    readOnly: () => Boolean(session.following),
  };
}
