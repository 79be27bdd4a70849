// The Class dialog: the lecturer opens a class on the current session (a join code, its link
// and a QR code, large enough to read and scan from the back of a hall, and the live number
// of followers) or closes it; a student types a code to join one.
//
// The session id stays the lecturer's key; the code only lets a browser watch
// (docs/api.md, Class mode). While a class is open the page tells the server what it shows
// besides the frames (tab, phase, traced example: session.sendView), and the server relays
// it to every follower.

import { VIEW_KEYS } from "./session.js";

const POLL_MS = 2000; // the follower count, while a class is open
const CODE_DIGITS = 8;

export function mountClass(button, dialog, ctx) {
  const $ = (id) => dialog.querySelector(`#${id}`);
  const start = $("class-start");
  const roomView = $("class-room");
  const joinForm = $("class-join");
  const joinCode = $("class-join-code");
  const joinError = $("class-join-error");
  let room = null; // the open class: {code, code_display, join_url, qr_svg, followers}
  let roomSession = null; // the session the class follows (the page may have moved on)
  let poll = null;
  const base = () => `/api/sessions/${roomSession}/class`;

  function show() {
    start.hidden = Boolean(room);
    roomView.hidden = !room;
    button.dataset.open = String(Boolean(room));
    button.textContent = room ? `Class · ${room.followers}` : "Class";
    if (!room) return;
    $("class-code").textContent = room.code_display;
    $("class-url").textContent = room.join_url;
    $("class-qr").innerHTML = room.qr_svg; // an SVG the server drew from the join link
    $("class-followers").textContent = String(room.followers);
    $("class-hint").textContent = room.hint ?? "";
    $("class-hint").hidden = !room.hint;
  }

  /** Everything a follower mirrors, sent at once so a new class starts in step. */
  function fullView() {
    const state = ctx.getState();
    const view = Object.fromEntries(Object.entries(VIEW_KEYS).map(([k, name]) => [name, state[k]]));
    // A saved scene's "loss" or "update" is the page's own (session.js, heldPhase); any
    // other phase is the engine's, which the frames carry.
    return { ...view, phase: ctx.session.heldPhase ?? "ready" };
  }

  async function openClass() {
    try {
      room = await ctx.api.postJSON(`${ctx.session.base}/class`);
      roomSession = ctx.sessionId();
    } catch (err) {
      joinError.textContent = err.message;
      return;
    }
    ctx.session.sendView(fullView());
    ctx.session.classView = () => room && ctx.session.sendView(fullView()); // on reconnect
    ctx.send({ type: "refresh" }); // a first frame for the followers
    show();
    clearInterval(poll);
    poll = setInterval(refreshCount, POLL_MS);
  }

  /** The follower count, asked between moves (never of a session the class has left). */
  function refreshCount() {
    inTurn(readRoom);
  }

  async function readRoom() {
    if (!room) return;
    try {
      room = await ctx.api.getJSON(base());
    } catch {
      room = null; // closed elsewhere, or the session is gone
      clearInterval(poll);
    }
    show();
  }

  async function closeClass() {
    await ctx.api.deleteJSON(base()).catch(() => null);
    room = null;
    clearInterval(poll);
    show();
  }

  function join(event) {
    event.preventDefault();
    const digits = joinCode.value.replace(/\D/g, "");
    if (digits.length !== CODE_DIGITS) {
      joinError.textContent = `A class code has ${CODE_DIGITS} digits (got ${digits.length}).`;
      joinCode.setAttribute("aria-invalid", "true");
      return;
    }
    location.assign(`/join/${digits}`);
  }

  function open() {
    joinError.textContent = "";
    show();
    if (!dialog.open) dialog.showModal();
  }

  button.addEventListener("click", open);
  $("class-open").addEventListener("click", openClass);
  $("class-end").addEventListener("click", closeClass);
  joinForm.addEventListener("submit", join);
  joinCode.addEventListener("input", () => {
    joinError.textContent = "";
    joinCode.removeAttribute("aria-invalid");
  });

  /** The page went on to another session (a lesson's scene, an opened experiment, a
   * branch): the class follows it, and the followers load it. */
  /** The class's requests go one at a time, in the order asked (a clicker pressed fast
   * switches sessions faster than the server answers): a move goes to the page's session
   * of the moment, and nothing is ever asked of a session the class has left. */
  let queue = Promise.resolve();
  function inTurn(request) {
    const answer = queue.then(request);
    queue = answer.catch(() => {});
    return answer;
  }
  const follow = () => inTurn(moveNow);
  const afterMoves = inTurn;

  async function moveNow() {
    const to = ctx.sessionId();
    if (!room || !to || to === roomSession) return;
    try {
      room = await ctx.api.postJSON(`${base()}/move`, { session_id: to });
      roomSession = to;
      ctx.session.sendView(fullView());
      ctx.send({ type: "refresh" }); // the new session's first frame, for the followers
    } catch (err) {
      ctx.notify(`The class could not follow: ${err.message}`, 8000);
    }
    show();
  }

  return {
    open,
    follow,
    isOpen: () => Boolean(room),
    /** Predict, then reveal: put `question` ({text, options, answer}) to the followers. */
    ask: (question) => afterMoves(() => ctx.api.putJSON(`${base()}/poll`, {
      text: question.text, options: question.options, answer: question.answer ?? null,
      reveal: question.reveal ?? "backward",
    })),
    /** The tally so far: {tally: [per option], answered, revealed, …}. */
    tally: () => afterMoves(() => ctx.api.getJSON(`${base()}/poll`)),
    reveal: () => afterMoves(() => ctx.api.postJSON(`${base()}/poll/reveal`, {})),
    withdraw: () => afterMoves(() => ctx.api.deleteJSON(`${base()}/poll`)),
    /** The join form alone (a follower's page that has no valid code yet). */
    askForCode(message = "") {
      room = null;
      show();
      $("class-open").hidden = true;
      joinError.textContent = message;
      if (!dialog.open) dialog.showModal();
      joinCode.focus();
    },
  };
}
