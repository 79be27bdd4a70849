// Presentation mode: everything larger for a projector, and the control groups the teacher
// chose hidden (the sidebar disappears when all are). Part of the UI state, so a shared
// link can open straight into it.

export function mountPresentation(button, ctx) {
  function apply(state) {
    document.body.classList.toggle("presentation", state.presentation);
    button.setAttribute("aria-pressed", String(state.presentation));
    button.textContent = state.presentation ? "Exit presenting" : "Present";
    // Let the charts measure their new size.
    requestAnimationFrame(() => window.dispatchEvent(new Event("resize")));
  }
  button.addEventListener("click", () => ctx.setState({ presentation: !ctx.getState().presentation }));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && ctx.getState().presentation) ctx.setState({ presentation: false });
  });
  ctx.onState((state, changed) => changed.includes("presentation") && apply(state));
  apply(ctx.getState());
}
