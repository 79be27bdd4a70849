// Draw a panel only while it can be seen: a hidden tab keeps just the newest frame and draws
// it the moment it is shown (Plotly cannot measure a hidden chart, and drawing unseen charts
// would cost the stream its frame rate).

function isShown(root) {
  return root.isConnected && !root.closest("[hidden]") && root.getClientRects().length > 0;
}

/**
 * @param {HTMLElement} root  the panel
 * @param {(frame) => void} draw
 * @returns {{offer(frame): void, shown(): boolean}}
 */
export function whenVisible(root, draw) {
  let pending = null;
  const flush = () => {
    if (pending && isShown(root)) {
      const frame = pending;
      pending = null;
      draw(frame);
    }
  };
  // Any `hidden` or `class` change up the tree may have revealed the panel.
  const observer = new MutationObserver(() => requestAnimationFrame(flush));
  for (let node = root; node && node !== document.documentElement; node = node.parentElement) {
    observer.observe(node, { attributes: true, attributeFilter: ["hidden", "class", "style"] });
  }
  return {
    offer(frame) {
      pending = frame;
      flush();
    },
    shown: () => isShown(root),
  };
}
