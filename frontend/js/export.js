// Export: the model as JSON (download, and upload to continue exactly where it was),
// the loss history as CSV, and a link that opens this exact setup.

export function mountExport(root, ctx, controls) {
  const upload = root.querySelector("#upload-model");

  /** The server names the file (Content-Disposition); an anchor click downloads it. */
  function download(path) {
    const a = document.createElement("a");
    a.href = path;
    a.download = "";
    document.body.append(a);
    a.click();
    a.remove();
  }

  root.querySelector("#download-model").addEventListener("click", () => {
    if (ctx.sessionId()) download(`/api/sessions/${ctx.sessionId()}/export`);
  });
  root.querySelector("#download-csv").addEventListener("click", () => {
    if (ctx.sessionId()) download(`/api/sessions/${ctx.sessionId()}/history?format=csv`);
  });

  upload.addEventListener("change", async () => {
    const file = upload.files[0];
    upload.value = ""; // the same file can be chosen again
    if (!file) return;
    controls.clearError("upload");
    let exported;
    try {
      exported = JSON.parse(await file.text());
    } catch (err) {
      controls.showError("upload", `${file.name} is not JSON (${err.message}); choose a file saved with "Download model JSON".`);
      return;
    }
    try {
      ctx.showSession(await ctx.session.importState(exported));
    } catch (err) {
      controls.showError("upload", `${file.name}: ${err.message}`);
    }
  });

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
}
