// Plotly.js, loaded once the first frame is on screen rather than before anything draws.
//
// Plotly.js is 4.8 MB of script: fetching, parsing and compiling it took well over a second
// before the page could draw anything. The boundary paints on its own canvas and the network
// is plain DOM, so neither needs Plotly to show a first frame; the axes, the points' hover
// and the charts of the other tabs come a moment later, when plotlyReady settles.

const SRC = "/vendor/plotly.min.js";
let loading = null;
let ready = null; // resolves plotlyReady

/** Resolves with window.Plotly once it is loaded, without being the one to start it. */
export const plotlyReady = new Promise((resolve) => (ready = resolve));

/** Load Plotly.js now (once; again after a failure) and settle plotlyReady. */
export function startPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = SRC;
    script.async = true;
    script.addEventListener("load", () => {
      ready(window.Plotly);
      resolve(window.Plotly);
    });
    script.addEventListener("error", () => {
      script.remove();
      loading = null; // the next call tries again
      reject(new Error(`the charts' library (${SRC}) could not be loaded`));
    });
    document.head.append(script);
  });
  return loading;
}
