// Presentation mode: everything larger for a projector, the stage across the whole width,
// and the controls in a drawer the Controls button (or C) opens, with only the groups the
// teacher chose. Part of the UI state, so a shared link can open straight into it.

export function mountPresentation(button, ctx) {
  const toggle = document.getElementById("controls-toggle");
  function setOpen(open) {
    document.body.classList.toggle("sidebar-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  }
  toggle.addEventListener("click", () => setOpen(!document.body.classList.contains("sidebar-open")));

  function apply(state) {
    setOpen(false);
    document.body.classList.toggle("presentation", state.presentation);
    button.setAttribute("aria-pressed", String(state.presentation));
    // Pressed, the button reads "Exit": a projector's top bar at 1280 px has no room for
    // more, and its name says the rest.
    button.textContent = state.presentation ? "Exit" : "Present";
    if (state.presentation) button.setAttribute("aria-label", "Exit presenting");
    else button.removeAttribute("aria-label");
    // Let the charts measure their new size.
    requestAnimationFrame(() => window.dispatchEvent(new Event("resize")));
  }
  button.addEventListener("click", () => ctx.setState({ presentation: !ctx.getState().presentation }));
  document.addEventListener("keydown", (event) => {
    if (!ctx.getState().presentation || event.target.closest?.("input, select, textarea")) return;
    if (event.key === "Escape") {
      // The drawer first, then presenting.
      if (document.body.classList.contains("sidebar-open")) setOpen(false);
      else ctx.setState({ presentation: false });
    } else if ((event.key === "c" || event.key === "C") && !event.ctrlKey && !event.metaKey && !event.altKey) {
      setOpen(!document.body.classList.contains("sidebar-open"));
    }
  });
  ctx.onState((state, changed) => changed.includes("presentation") && apply(state));
  apply(ctx.getState());
}
