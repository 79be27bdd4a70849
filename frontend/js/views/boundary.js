// Decision boundary: P(class | x) over the input plane, one colour per class, lightness =
// confidence; the training points (filled) and test points (hollow) on top.
//
// The probability maps become one small RGB image (R×R pixels, one per grid cell), which
// Plotly stretches under the axes as a layout image: the browser smooths it, and a frame
// costs one pass over R²·K numbers. The point traces are rebuilt only when the data change,
// so Plotly.react skips them on every other frame.
//
// Click a training point to trace it. In edit mode a click adds a point of the chosen class
// and a shift-click removes the points near the cursor.

import { decode } from "../typed.js";
import { CLASS_COLORS, CLASS_SYMBOLS, readMap, rgb } from "./colors.js";

const CLASS_RGB = CLASS_COLORS.map(rgb);
const REMOVE_RADIUS_PX = 14; // a shift-click removes points within this many pixels

export function mount(root, ctx) {
  const panel = root.closest(".panel");
  const editToggle = document.getElementById("edit-mode");
  const picker = document.getElementById("edit-classes");
  const editBar = document.getElementById("edit-bar");
  const errorSlot = panel?.querySelector('[data-error-for="points-edit"]');
  const count = document.getElementById("point-count");

  const canvas = document.createElement("canvas");
  const paint = canvas.getContext("2d");
  let image = null; // {source, extent}
  let points = []; // point traces for the current data set
  let dataset = null; // the data set the traces were built from
  let selectedTrace = null;
  let lastFrame = null;
  let editing = false;
  let editClass = 0;

  const layout = {
    margin: { l: 52, r: 12, t: 34, b: 46 },
    uirevision: "boundary", // the user's zoom survives every redraw
    xaxis: { title: { text: "x₁", font: { size: 18 } }, zeroline: false, showgrid: false, tickfont: { size: 14 }, constrain: "domain" },
    yaxis: { title: { text: "x₂", font: { size: 18 } }, zeroline: false, showgrid: false, tickfont: { size: 14 }, scaleanchor: "x", constrain: "domain" },
    font: { size: 16, family: "system-ui, DejaVu Sans, sans-serif" },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.01, yanchor: "bottom", font: { size: 14 }, itemclick: false, itemdoubleclick: false },
    hovermode: "closest",
    dragmode: "zoom",
    images: [],
    plot_bgcolor: "#ffffff",
    paper_bgcolor: "#ffffff",
  };
  const config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    toImageButtonOptions: { filename: "decision-boundary", scale: 2 },
  };
  Plotly.newPlot(root, [], layout, config);

  // ---- drawing ----

  function draw() {
    const state = ctx.getState();
    const traces = points.filter((t) => state.showTest || t.meta !== "test");
    if (selectedTrace) traces.push(selectedTrace);
    layout.images = image ? [imageLayout(image)] : [];
    layout.dragmode = editing ? false : "zoom";
    layout.showlegend = !editing; // the class picker takes the legend's place
    Plotly.react(root, traces, layout, config);
  }

  function imageLayout({ source, extent }) {
    const [x1min, x1max, x2min, x2max] = extent;
    return {
      source, xref: "x", yref: "y", x: x1min, y: x2max,
      sizex: x1max - x1min, sizey: x2max - x2min,
      sizing: "stretch", layer: "below", opacity: 1,
    };
  }

  /** K probability maps → one RGB image: hue = most likely class, saturation = confidence. */
  function paintBoundary(boundary, discretize) {
    const maps = boundary.probabilities.map(readMap);
    const K = maps.length;
    const R = boundary.resolution;
    if (canvas.width !== R) {
      canvas.width = R;
      canvas.height = R;
    }
    const pixels = paint.createImageData(R, R);
    const out = pixels.data;
    const floor = 1 / K;
    for (let row = 0; row < R; row += 1) {
      // Grid row 0 is the lowest x₂; image row 0 is the top.
      const target = (R - 1 - row) * R * 4;
      for (let col = 0; col < R; col += 1) {
        const i = row * R + col;
        let best = 0;
        let p = -1;
        for (let k = 0; k < K; k += 1) {
          const m = maps[k];
          const v = m.offset + m.scale * m.data[i];
          if (v > p) { p = v; best = k; }
        }
        // Lightness = confidence: white where the classes tie, the class colour where sure.
        const confidence = K > 1 ? Math.max(0, (p - floor) / (1 - floor)) : 1;
        const a = discretize ? 0.55 : 0.08 + 0.62 * confidence;
        const c = CLASS_RGB[best % CLASS_RGB.length];
        const o = target + col * 4;
        out[o] = 255 + (c[0] - 255) * a;
        out[o + 1] = 255 + (c[1] - 255) * a;
        out[o + 2] = 255 + (c[2] - 255) * a;
        out[o + 3] = 255;
      }
    }
    paint.putImageData(pixels, 0, 0);
    image = { source: canvas.toDataURL("image/png"), extent: boundary.extent };
  }

  /** One trace per class and split: a colour and a marker shape per class. */
  function buildPoints(data) {
    const K = data.classes;
    const traces = [];
    for (const split of ["train", "test"]) {
      const xy = decode(data[`x_${split}`]).data;
      const labels = decode(data[`y_${split}`]).data;
      const byClass = Array.from({ length: K }, () => ({ x: [], y: [], index: [] }));
      for (let i = 0; i < labels.length; i += 1) {
        const bucket = byClass[labels[i]];
        if (!bucket) continue;
        bucket.x.push(xy[2 * i]);
        bucket.y.push(xy[2 * i + 1]);
        bucket.index.push(i);
      }
      byClass.forEach((bucket, k) => {
        const colour = CLASS_COLORS[k % CLASS_COLORS.length];
        const test = split === "test";
        traces.push({
          type: "scatter",
          mode: "markers",
          name: test ? `class ${k} test` : `class ${k}`,
          meta: split,
          legendgroup: String(k),
          showlegend: !test,
          x: bucket.x,
          y: bucket.y,
          customdata: bucket.index,
          marker: {
            symbol: CLASS_SYMBOLS[k % CLASS_SYMBOLS.length] + (test ? "-open" : ""),
            size: test ? 8 : 8,
            color: colour,
            line: test ? { width: 2, color: colour } : { width: 1, color: "#ffffff" },
          },
          hovertemplate: `${test ? "test" : "train"} #%{customdata}, class ${k}<br>x₁ = %{x:.3f}, x₂ = %{y:.3f}<extra></extra>`,
        });
      });
    }
    return traces;
  }

  function buildSelected(frame) {
    const trace = frame.trace;
    if (!trace || !Array.isArray(trace.x_raw)) return null;
    const [x1, x2] = trace.x_raw;
    return {
      type: "scatter", mode: "markers", name: "traced", showlegend: true, meta: "selected",
      x: [x1], y: [x2], hoverinfo: "skip",
      marker: { symbol: "circle-open", size: 22, color: "#000000", line: { width: 3, color: "#000000" } },
    };
  }

  // ---- clicks: trace a point, or edit the data ----

  root.on("plotly_click", (event) => {
    if (editing) return;
    const point = event.points?.[0];
    if (!point || point.data.meta !== "train") return;
    ctx.setState({ selected: point.customdata });
  });

  /** Pixel position of a mouse event → data coordinates (or null outside the plot area). */
  function toData(event) {
    const full = root._fullLayout;
    if (!full) return null;
    const xa = full.xaxis;
    const ya = full.yaxis;
    const box = root.getBoundingClientRect();
    const px = event.clientX - box.left - xa._offset;
    const py = event.clientY - box.top - ya._offset;
    if (px < 0 || py < 0 || px > xa._length || py > ya._length) return null;
    return { x1: xa.p2c(px), x2: ya.p2c(py), radius: Math.abs(xa.p2c(px + REMOVE_RADIUS_PX) - xa.p2c(px)) };
  }

  root.addEventListener("click", async (event) => {
    if (!editing) return;
    const at = toData(event);
    if (!at) return;
    errorSlot && (errorSlot.textContent = "");
    try {
      if (event.shiftKey) await ctx.session.removePoints({ x1: at.x1, x2: at.x2, radius: at.radius });
      else await ctx.session.addPoints([{ x1: at.x1, x2: at.x2, label: editClass }]);
    } catch (err) {
      if (errorSlot) errorSlot.textContent = err.message;
    }
  });

  function renderPicker(K) {
    picker.replaceChildren(
      ...Array.from({ length: K }, (_, k) => {
        const label = document.createElement("label");
        label.innerHTML = `<input type="radio" name="edit-class" value="${k}" aria-label="add class ${k}" ${k === editClass ? "checked" : ""}>
          <span class="swatch" style="background:${CLASS_COLORS[k]}"></span>${k}`;
        label.title = `add points of class ${k}`;
        return label;
      }),
    );
  }
  picker.addEventListener("change", (event) => (editClass = Number(event.target.value)));
  editToggle.addEventListener("change", () => {
    editing = editToggle.checked;
    editBar.hidden = !editing;
    panel?.classList.toggle("editing", editing);
    draw();
  });

  ctx.onState((state, changed) => {
    if (changed.includes("showTest")) draw();
    if (changed.includes("discretize") && lastFrame?.boundary) {
      paintBoundary(lastFrame.boundary, state.discretize);
      draw();
    }
  });

  return {
    update(frame) {
      lastFrame = frame;
      if (frame.dataset && frame.dataset !== dataset) {
        dataset = frame.dataset;
        points = buildPoints(dataset);
        // The plane is the data set's extent (the grid's), so adding a point never rescales it.
        const [x1min, x1max, x2min, x2max] = dataset.extent;
        layout.xaxis.range = [x1min, x1max];
        layout.yaxis.range = [x2min, x2max];
        const n = (key) => decode(dataset[key]).shape[0];
        count.textContent = `${n("y_train")} train · ${n("y_test")} test`;
        if (editClass >= dataset.classes) editClass = 0;
        renderPicker(dataset.classes);
      }
      if (frame.boundary) paintBoundary(frame.boundary, ctx.getState().discretize);
      selectedTrace = buildSelected(frame) ?? selectedTrace;
      draw();
    },
  };
}
