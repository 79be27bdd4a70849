// Plotly.js, loaded once the first frame is on screen rather than before anything draws.
//
// Plotly.js is 4.8 MB of script: fetching, parsing and compiling it took well over a second
// before the page could draw anything. The boundary paints on its own canvas and the network
// is plain DOM, so neither needs Plotly to show a first frame; the axes, the points' hover
// and the charts of the other tabs come a moment later, when this promise settles.

const SRC = "/vendor/plotly.min.js";
let loading = null;

/** Start loading Plotly.js (once); resolves with window.Plotly. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = SRC;
    script.async = true;
    script.addEventListener("load", () => resolve(window.Plotly));
    script.addEventListener("error", () => {
      loading = null; // a later call may try again
      reject(new Error(`the charts' library (${SRC}) could not be loaded; reload the page`));
    });
    document.head.append(script);
  });
  return loading;
}

let wanted = null;
/** Resolves when Plotly.js is loaded, without being the one to start it. */
export const plotlyReady = new Promise((resolve) => (wanted = resolve));
/** Load Plotly.js now and tell everyone waiting on plotlyReady. */
export function startPlotly() {
  return loadPlotly().then((plotly) => {
    wanted(plotly);
    return plotly;
  });
}
