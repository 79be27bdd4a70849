// The tab strip under the equations: curves, matrices, chain-rule lab. The chosen tab is
// part of the UI state (so a shared link opens it), and a newly shown tab's charts are
// resized, since Plotly cannot measure a chart while its tab is hidden.

export function mountTabs(strip, ctx) {
  const tabs = [...strip.querySelectorAll("[role=tab]")];

  function show(name) {
    for (const tab of tabs) {
      const selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      const panel = document.getElementById(tab.getAttribute("aria-controls"));
      panel.hidden = !selected;
      if (selected) {
        for (const chart of panel.querySelectorAll(".js-plotly-plot")) window.Plotly.Plots.resize(chart);
      }
    }
  }

  strip.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) ctx.setState({ tab: tab.dataset.tab });
  });
  strip.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    event.stopPropagation(); // arrows move between tabs here, not the training
    const i = tabs.findIndex((t) => t.dataset.tab === ctx.getState().tab);
    const next = tabs[(i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    ctx.setState({ tab: next.dataset.tab });
    next.focus();
  });

  ctx.onState((state, changed) => changed.includes("tab") && show(state.tab));
  show(ctx.getState().tab);
}
