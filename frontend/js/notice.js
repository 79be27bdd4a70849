// A short message under the top bar, where a lecturer and a room are looking, that leaves
// by itself: "Training restarted from step 0" after a change that reinitialises the
// network. It is not a problem to dismiss (banner.js), only news.

const SHOWN_MS = 5000;

/** Mount on the notice element; returns `notify(text, shownMs)`. */
export function mountNotice(root) {
  let timer = null;
  return function notify(text, shownMs = SHOWN_MS) {
    clearTimeout(timer);
    root.textContent = text;
    root.hidden = false;
    timer = setTimeout(() => {
      root.hidden = true;
      root.textContent = "";
    }, shownMs);
  };
}
