// Draw a panel only while it can be seen, and at most so often: a hidden tab keeps just the
// newest frame and draws it the moment it is shown (Plotly cannot measure a hidden chart),
// and while training streams, charts redraw at a few hertz rather than every frame. A
// Plotly redraw costs tens of milliseconds on a classroom machine; the boundary and the
// network need those milliseconds more than a learning curve does.

function isShown(root) {
  return root.isConnected && !root.closest("[hidden]") && root.getClientRects().length > 0;
}

/**
 * @param {HTMLElement} root  the panel
 * @param {(frame) => void} draw
 * @param {{interval?: number | ((frame) => number)}} options  the least time between two
 *   draws, in ms, or that time for the frame on offer (0: draw it at once)
 * @returns {{offer(frame): void, shown(): boolean}}
 */
export function whenVisible(root, draw, { interval = 0 } = {}) {
  const intervalFor = typeof interval === "function" ? interval : () => interval;
  let pending = null;
  let lastDraw = -Infinity;
  let timer = null;

  const flush = () => {
    timer = null;
    if (!pending || !isShown(root)) return;
    const wait = lastDraw + intervalFor(pending) - performance.now();
    if (wait > 0) {
      timer = setTimeout(flush, wait); // the newest frame is drawn when the interval is up
      return;
    }
    const frame = pending;
    pending = null;
    lastDraw = performance.now();
    draw(frame);
  };

  // Any `hidden`, `class` or `style` change up the tree may have revealed the panel.
  const observer = new MutationObserver(() => requestAnimationFrame(() => timer || flush()));
  for (let node = root; node && node !== document.documentElement; node = node.parentElement) {
    observer.observe(node, { attributes: true, attributeFilter: ["hidden", "class", "style"] });
  }
  return {
    offer(frame) {
      pending = frame;
      if (timer && intervalFor(frame) <= 0) {
        clearTimeout(timer); // this frame may not wait for the one before it
        timer = null;
      }
      if (!timer) flush();
    },
    shown: () => isShown(root),
  };
}
