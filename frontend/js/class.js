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
  let poll = null;

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
    return { ...view, phase: "ready" };
  }

  async function openClass() {
    try {
      room = await ctx.api.postJSON(`${ctx.session.base}/class`);
    } catch (err) {
      joinError.textContent = err.message;
      return;
    }
    ctx.session.sendView(fullView());
    ctx.send({ type: "refresh" }); // a first frame for the followers
    show();
    clearInterval(poll);
    poll = setInterval(refreshCount, POLL_MS);
  }

  async function refreshCount() {
    if (!room) return;
    try {
      room = await ctx.api.getJSON(`${ctx.session.base}/class`);
    } catch {
      room = null; // closed elsewhere, or the session is gone
      clearInterval(poll);
    }
    show();
  }

  async function closeClass() {
    await ctx.api.deleteJSON(`${ctx.session.base}/class`).catch(() => null);
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

  return {
    open,
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
