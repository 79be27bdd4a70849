// Decision boundary: P(class | x) over the input plane, one colour per class, lightness =
// confidence; the training points (filled) and test points (hollow) on top.
//
// The probability maps become one small RGB image (R×R pixels, one per grid cell) in a
// canvas that sits under the transparent Plotly chart, stretched by CSS over the data's
// extent (the browser smooths it). A training frame therefore costs one pass over R²·K
// numbers and a putImageData, and no Plotly call at all; Plotly redraws only when the
// points, the traced example or the view change, and the canvas follows its axes on every
// zoom, pan and resize. The PNG button of the modebar folds the image into the export.
//
// The first frame does not wait for Plotly.js (see ../plotly.js): until it has loaded, the
// canvas is laid where Plotly will put the plot area (the same margins and equal scales) and
// the points are drawn on a second canvas in the same shapes; then Plotly takes over.
//
// Click a point, training or test, to trace it. In edit mode a click adds a point of the
// chosen class and a shift-click removes the points near the cursor.
//
// Classes are named as in the lecture, k ∈ {1, …, K}: the API's class 0 is "class 1".
//
// The legend is HTML above the chart, not Plotly's: the classes wrap in equal columns and
// the key (hollow = test, traced) stays together on its line, at any width and in
// presentation mode; in edit mode the class picker takes its place. Plotly's own legend is
// drawn only into the PNG.

import { decode } from "../typed.js";
import { plotlyReady } from "../plotly.js";
import { CLASS_COLORS, CLASS_SYMBOLS, readMap, rgb } from "./colors.js";

const CLASS_RGB = CLASS_COLORS.map(rgb);

/** The class markers as paths around (0, 0), about as large as Plotly's size-8 markers. */
const MARKER_PATHS = {
  circle: "M4.2,0A4.2,4.2 0 1 1 -4.2,0A4.2,4.2 0 1 1 4.2,0Z",
  square: "M-3.8,-3.8H3.8V3.8H-3.8Z",
  diamond: "M0,-5.2L5.2,0L0,5.2L-5.2,0Z",
  "triangle-up": "M0,-4.8L5,4L-5,4Z",
  x: "M-2.2,-4.4L0,-2.2L2.2,-4.4L4.4,-2.2L2.2,0L4.4,2.2L2.2,4.4L0,2.2L-2.2,4.4L-4.4,2.2L-2.2,0L-4.4,-2.2Z",
  star: "M0,-5L1.2,-1.6L4.8,-1.6L1.9,0.6L3,4L0,1.9L-3,4L-1.9,0.6L-4.8,-1.6L-1.2,-1.6Z",
};

/** A legend marker drawn as Plotly draws the points: filled for training, hollow for test. */
function markerSvg(symbol, colour, hollow) {
  const paint = hollow ? `fill="none" stroke="${colour}" stroke-width="1.6"` : `fill="${colour}"`;
  const path = MARKER_PATHS[symbol] ?? MARKER_PATHS.circle;
  return `<svg class="legend-marker" viewBox="-6 -6 12 12" aria-hidden="true"><path ${paint} d="${path}"/></svg>`;
}
const RING_SVG = '<svg class="legend-marker legend-ring" viewBox="-8 -8 16 16" aria-hidden="true"><circle r="6" fill="none" stroke="#000" stroke-width="2"/></svg>';
const REMOVE_RADIUS_PX = 14; // a shift-click removes points within this many pixels

export function mount(root, ctx) {
  const panel = root.closest(".panel");
  const editToggle = document.getElementById("edit-mode");
  const picker = document.getElementById("edit-classes");
  const editBar = document.getElementById("edit-bar");
  const errorSlot = panel?.querySelector('[data-error-for="points-edit"]');
  const count = document.getElementById("point-count");
  const legendBox = document.getElementById("boundary-legend");

  const backdrop = document.createElement("div");
  backdrop.className = "boundary-backdrop";
  const canvas = document.createElement("canvas"); // the probability image, R×R pixels
  canvas.className = "boundary-image";
  canvas.width = 1;
  canvas.height = 1;
  const preview = document.createElement("canvas"); // the points, until Plotly draws them
  preview.className = "points-preview";
  backdrop.append(canvas, preview);
  root.before(backdrop);
  const paint = canvas.getContext("2d");
  let plotted = false; // Plotly has drawn the chart: its axes place the canvas from now on
  let pixels = null; // the ImageData reused frame after frame
  let extent = null; // [x1min, x1max, x2min, x2max] the image covers
  let points = []; // point traces for the current data set
  let dataset = null; // the data set the traces were built from
  let selectedTrace = null;
  let lastFrame = null;
  let editing = false;
  let editClass = 0;

  const layout = {
    margin: { l: 52, r: 12, t: 28, b: 46 }, // t: room for the toolbar (the legend is HTML)
    uirevision: "boundary", // the user's zoom survives every redraw
    xaxis: { title: { text: "x₁", font: { size: 18 } }, zeroline: false, showgrid: false, tickfont: { size: 14 }, constrain: "domain" },
    yaxis: { title: { text: "x₂", font: { size: 18 } }, zeroline: false, showgrid: false, tickfont: { size: 14 }, scaleanchor: "x", constrain: "domain" },
    font: { size: 16, family: "system-ui, DejaVu Sans, sans-serif" },
    showlegend: false, // the HTML legend above the chart (see renderLegend); true in the PNG
    legend: { orientation: "h", x: 0, y: 1.01, yanchor: "bottom", font: { size: 14 }, itemclick: false, itemdoubleclick: false },
    hovermode: "closest",
    dragmode: "zoom",
    images: [],
    plot_bgcolor: "rgba(0,0,0,0)", // the canvas underneath shows through
    paper_bgcolor: "rgba(0,0,0,0)",
  };
  const config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"],
  };
  // Before Plotly: the canvases follow the chart's box with the geometry Plotly will use.
  const early = new ResizeObserver(() => {
    if (plotted) return;
    place();
    drawPreview();
  });
  early.observe(root);
  plotlyReady.then((Plotly) => {
    config.modeBarButtonsToAdd = [{ name: "Download the boundary as a PNG", icon: Plotly.Icons.camera, click: downloadPng }];
    layout.dragmode = editing ? false : "zoom";
    return Plotly.newPlot(root, traces(), layout, config);
  }).then(() => {
    plotted = true;
    early.disconnect();
    preview.remove();
    draw(); // anything that changed while Plotly was drawing its first chart
    place();
    root.on("plotly_afterplot", place);
    root.on("plotly_relayout", place);
    root.on("plotly_click", selectPoint);
    // Plotly follows the window's size only; the chart's box also changes when the legend
    // wraps differently or the edit bar comes and goes above it.
    let size = "";
    new ResizeObserver(([entry]) => {
      const box = `${Math.round(entry.contentRect.width)}×${Math.round(entry.contentRect.height)}`;
      if (box === size) return;
      size = box;
      window.Plotly.Plots.resize(root);
    }).observe(root);
  }).catch((err) => console.error("the boundary chart could not be drawn", err));

  // ---- drawing ----

  function traces() {
    const state = ctx.getState();
    const list = points.filter((t) => state.showTest || t.meta !== "test");
    if (selectedTrace) list.push(selectedTrace);
    return list;
  }

  function draw() {
    renderLegend();
    if (!plotted) return drawPreview();
    layout.dragmode = editing ? false : "zoom";
    window.Plotly.react(root, traces(), layout, config);
  }

  /**
   * The plot area as Plotly lays it out: inside the margins, then shrunk along one axis so
   * x₁ and x₂ share one scale (scaleanchor, constrain "domain"), centred. In the chart's pixels.
   */
  function plotArea() {
    const full = root._fullLayout;
    if (plotted && full?.xaxis) {
      return { left: full.xaxis._offset, top: full.yaxis._offset, width: full.xaxis._length, height: full.yaxis._length };
    }
    const m = layout.margin;
    const width = root.clientWidth - m.l - m.r;
    const height = root.clientHeight - m.t - m.b;
    if (!extent || width <= 0 || height <= 0) return null;
    const [x1min, x1max, x2min, x2max] = layout.xaxis.range ? [...layout.xaxis.range, ...layout.yaxis.range] : extent;
    const scale = Math.min(width / (x1max - x1min), height / (x2max - x2min));
    const w = scale * (x1max - x1min);
    const h = scale * (x2max - x2min);
    return { left: m.l + (width - w) / 2, top: m.t + (height - h) / 2, width: w, height: h };
  }

  /** The points on the preview canvas, in the shapes and colours Plotly will draw them. */
  function drawPreview() {
    const area = plotArea();
    if (plotted || !area || !dataset) return;
    const ratio = window.devicePixelRatio || 1;
    preview.width = Math.round(area.width * ratio);
    preview.height = Math.round(area.height * ratio);
    Object.assign(preview.style, { left: "0px", top: "0px", width: `${area.width}px`, height: `${area.height}px` });
    const pen = preview.getContext("2d");
    pen.setTransform(ratio, 0, 0, ratio, 0, 0);
    const [x1min, x1max, x2min, x2max] = [...layout.xaxis.range, ...layout.yaxis.range];
    const px = (x1) => ((x1 - x1min) / (x1max - x1min)) * area.width;
    const py = (x2) => ((x2max - x2) / (x2max - x2min)) * area.height;
    for (const trace of traces()) {
      if (trace.meta === "selected") {
        pen.setTransform(ratio, 0, 0, ratio, px(trace.x[0]) * ratio, py(trace.y[0]) * ratio);
        pen.lineWidth = 3;
        pen.strokeStyle = "#000000";
        pen.beginPath();
        pen.arc(0, 0, 11, 0, 2 * Math.PI); // Plotly's size-22 ring
        pen.stroke();
        continue;
      }
      if (!Array.isArray(trace.customdata)) continue; // the data's own points; no legend keys
      const shape = new Path2D(MARKER_PATHS[trace.marker.symbol.replace("-open", "")] ?? MARKER_PATHS.circle);
      const hollow = trace.meta === "test";
      pen.fillStyle = trace.marker.color;
      pen.strokeStyle = hollow ? trace.marker.color : "#ffffff";
      pen.lineWidth = hollow ? 2 : 1;
      for (let i = 0; i < trace.x.length; i += 1) {
        pen.setTransform(ratio, 0, 0, ratio, px(trace.x[i]) * ratio, py(trace.y[i]) * ratio);
        if (!hollow) pen.fill(shape);
        pen.stroke(shape);
      }
    }
  }

  /** The legend: one marker per class (filled: training), then what hollow and the ring mean. */
  function renderLegend() {
    legendBox.hidden = editing; // the class picker takes the legend's place
    const K = dataset?.classes ?? 0;
    const item = (marker, text, name) => {
      const span = document.createElement("span");
      span.className = "legend-item";
      if (name) span.dataset.legend = name;
      span.innerHTML = `${marker}<span>${text}</span>`;
      return span;
    };
    const classes = document.createElement("span");
    classes.className = "legend-classes";
    classes.append(...Array.from({ length: K }, (_, k) => item(
      markerSvg(CLASS_SYMBOLS[k % CLASS_SYMBOLS.length], CLASS_COLORS[k % CLASS_COLORS.length], false),
      `class ${k + 1}`, `class-${k + 1}`,
    )));
    const key = document.createElement("span");
    key.className = "legend-key";
    if (ctx.getState().showTest) key.append(item(markerSvg("circle", "#555555", true), "hollow = test", "test"));
    if (selectedTrace) key.append(item(RING_SVG, "traced", "traced"));
    legendBox.replaceChildren(classes, key);
  }

  /** Lay the canvas over the data's extent, clipped to the plot area, as the axes are now. */
  function place() {
    const area = plotArea();
    if (!area || !extent) return;
    Object.assign(backdrop.style, {
      left: `${area.left}px`, top: `${area.top}px`, width: `${area.width}px`, height: `${area.height}px`,
    });
    const [x1min, x1max, x2min, x2max] = extent;
    if (!plotted) {
      // Before Plotly the axes' ranges are the data's extent: the image fills the area.
      Object.assign(canvas.style, { left: "0px", top: "0px", width: `${area.width}px`, height: `${area.height}px` });
      return;
    }
    const xa = root._fullLayout.xaxis;
    const ya = root._fullLayout.yaxis;
    const left = xa.c2p(x1min);
    const top = ya.c2p(x2max);
    Object.assign(canvas.style, {
      left: `${left}px`, top: `${top}px`,
      width: `${xa.c2p(x1max) - left}px`, height: `${ya.c2p(x2min) - top}px`,
    });
  }

  /** The PNG export: the image joins the chart as a layout image just for the snapshot. */
  function downloadPng(gd) {
    const [x1min, x1max, x2min, x2max] = extent ?? [0, 1, 0, 1];
    const image = {
      source: canvas.toDataURL("image/png"), xref: "x", yref: "y", x: x1min, y: x2max,
      sizex: x1max - x1min, sizey: x2max - x2min, sizing: "stretch", layer: "below",
    };
    const snapshot = {
      ...layout, images: [image], showlegend: true, margin: { ...layout.margin, t: 40 },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
    };
    const box = gd.getBoundingClientRect();
    window.Plotly.toImage({ data: traces(), layout: { ...snapshot, width: box.width, height: box.height } }, { format: "png", scale: 2 })
      .then((url) => {
        const a = document.createElement("a");
        a.href = url;
        a.download = "decision-boundary.png";
        a.click();
      });
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
    if (!pixels || pixels.width !== R) pixels = paint.createImageData(R, R);
    const out = pixels.data;
    // Every probability map shares one range, so the most likely class is the largest raw
    // value (a byte for stream maps), and its colour comes from a table indexed by it.
    const { offset, scale } = maps[0];
    const table = colourTable(K, offset, scale, discretize);
    const data = maps.map((m) => m.data);
    for (let row = 0; row < R; row += 1) {
      // Grid row 0 is the lowest x₂; image row 0 is the top.
      const target = (R - 1 - row) * R * 4;
      for (let col = 0; col < R; col += 1) {
        const i = row * R + col;
        let best = 0;
        let top = data[0][i];
        for (let k = 1; k < K; k += 1) {
          if (data[k][i] > top) { top = data[k][i]; best = k; }
        }
        const level = table.quantised ? top : Math.round(Math.min(1, Math.max(0, top)) * 255);
        const c = (best * 256 + level) * 3;
        const o = target + col * 4;
        out[o] = table.rgb[c];
        out[o + 1] = table.rgb[c + 1];
        out[o + 2] = table.rgb[c + 2];
        out[o + 3] = 255;
      }
    }
    paint.putImageData(pixels, 0, 0);
    if (!painted) {
      painted = true;
      // When it is on screen: the next animation frame renders it, and a task queued then
      // runs after that rendering (read by benchmarks/bench_pageload.py).
      requestAnimationFrame(() => setTimeout(() => performance.mark("backprop-lab:first-boundary")));
    }
    if (String(extent) !== String(boundary.extent)) {
      extent = boundary.extent;
      place();
    }
  }

  /** Colour of (class k, probability level 0–255): white where the classes tie, the class
   * colour where the model is sure (lightness = confidence); flat colours when discretised. */
  function colourTable(K, offset, scale, discretize) {
    const quantised = scale !== 1 || offset !== 0;
    const key = `${K}|${offset}|${scale}|${discretize}`;
    if (tableCache.key === key) return tableCache.table;
    const rgbTable = new Uint8ClampedArray(K * 256 * 3);
    const floor = 1 / K;
    for (let k = 0; k < K; k += 1) {
      const c = CLASS_RGB[k % CLASS_RGB.length];
      for (let q = 0; q < 256; q += 1) {
        const p = quantised ? offset + scale * q : q / 255;
        const confidence = K > 1 ? Math.max(0, (p - floor) / (1 - floor)) : 1;
        const a = discretize ? 0.55 : 0.08 + 0.62 * confidence;
        const o = (k * 256 + q) * 3;
        rgbTable[o] = 255 + (c[0] - 255) * a;
        rgbTable[o + 1] = 255 + (c[1] - 255) * a;
        rgbTable[o + 2] = 255 + (c[2] - 255) * a;
      }
    }
    tableCache.key = key;
    tableCache.table = { quantised, rgb: rgbTable };
    return tableCache.table;
  }
  const tableCache = { key: "", table: null };
  let painted = false;

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
        const name = `class ${k + 1}`;
        traces.push({
          type: "scatter",
          mode: "markers",
          name: test ? `${name} test` : name,
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
          hovertemplate: test
            ? `test #%{customdata}, ${name}<br>x₁ = %{x:.3f}, x₂ = %{y:.3f}<br>held out (never trained on): click to trace<extra></extra>`
            : `train #%{customdata}, ${name}<br>x₁ = %{x:.3f}, x₂ = %{y:.3f}<extra></extra>`,
        });
      });
    }
    // The legend names the classes by their filled training markers; say what hollow means.
    traces.push({
      type: "scatter", mode: "markers", name: "hollow = test", meta: "test", showlegend: true,
      x: [null], y: [null], hoverinfo: "skip",
      marker: { symbol: "circle-open", size: 8, color: "#555555", line: { width: 2, color: "#555555" } },
    });
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

  function selectPoint(event) {
    if (editing) return;
    const point = event.points?.[0];
    const split = point?.data.meta;
    if (split !== "train" && split !== "test") return;
    if (!Number.isInteger(point.customdata)) return; // the legend's "hollow = test" key
    ctx.setState({ selected: point.customdata, selectedSplit: split });
  }

  /** Pixel position of a mouse event → data coordinates (or null outside the plot area).
   * Plotly's axes when it has drawn (the user may have zoomed); the early layout before. */
  function toData(event) {
    const area = plotArea();
    if (!area) return null;
    const box = root.getBoundingClientRect();
    const px = event.clientX - box.left - area.left;
    const py = event.clientY - box.top - area.top;
    if (px < 0 || py < 0 || px > area.width || py > area.height) return null;
    let x1 = (p) => layout.xaxis.range[0] + (p / area.width) * (layout.xaxis.range[1] - layout.xaxis.range[0]);
    let x2 = (p) => layout.yaxis.range[1] - (p / area.height) * (layout.yaxis.range[1] - layout.yaxis.range[0]);
    if (plotted) {
      x1 = (p) => root._fullLayout.xaxis.p2c(p);
      x2 = (p) => root._fullLayout.yaxis.p2c(p);
    }
    return { x1: x1(px), x2: x2(py), radius: Math.abs(x1(px + REMOVE_RADIUS_PX) - x1(px)) };
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
    const lead = document.createElement("span");
    lead.textContent = "Add class";
    picker.replaceChildren(
      lead,
      ...Array.from({ length: K }, (_, k) => {
        const label = document.createElement("label");
        label.innerHTML = `<input type="radio" name="edit-class" value="${k}" aria-label="add class ${k + 1}" ${k === editClass ? "checked" : ""}>
          <span class="swatch" style="background:${CLASS_COLORS[k]}"></span>${k + 1}`;
        label.title = `add points of class ${k + 1}`;
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

  /** Projector sizes in presentation mode (Plotly sizes text in pixels, not rem). */
  function applyTextSize(big) {
    layout.font.size = big ? 20 : 16;
    for (const axis of [layout.xaxis, layout.yaxis]) {
      axis.tickfont.size = big ? 18 : 14;
      axis.title.font.size = big ? 22 : 18;
    }
    layout.legend.font.size = big ? 18 : 14;
  }
  applyTextSize(ctx.getState().presentation);

  ctx.onState((state, changed) => {
    if (changed.includes("presentation")) applyTextSize(state.presentation);
    if (changed.includes("showTest") || changed.includes("presentation")) draw();
    if (changed.includes("discretize") && lastFrame?.boundary) paintBoundary(lastFrame.boundary, state.discretize);
  });

  let drawnSeq = null;
  return {
    /** The seq of the newest frame shown (read by the render benchmark). */
    get drawnSeq() {
      return drawnSeq;
    },
    update(frame) {
      lastFrame = frame;
      // A full update (render benchmark) needs this frame's maps on screen.
      if (frame.boundary) drawnSeq = frame.seq;
      let changed = false;
      if (frame.dataset && frame.dataset !== dataset) {
        changed = true;
        dataset = frame.dataset;
        points = buildPoints(dataset);
        // The plane is the data set's extent (the grid's), so adding a point never rescales it.
        const [x1min, x1max, x2min, x2max] = dataset.extent;
        Object.assign(layout.xaxis, { range: [x1min, x1max], autorange: false });
        Object.assign(layout.yaxis, { range: [x2min, x2max], autorange: false });
        const n = (key) => decode(dataset[key]).shape[0];
        count.textContent = `${n("y_train")} train · ${n("y_test")} test`;
        if (editClass >= dataset.classes) editClass = 0;
        renderPicker(dataset.classes);
      }
      if (frame.boundary) paintBoundary(frame.boundary, ctx.getState().discretize);
      const selected = buildSelected(frame);
      if (selected && String(selected.x.concat(selected.y)) !== String(selectedTrace?.x.concat(selectedTrace.y))) {
        selectedTrace = selected;
        changed = true;
      }
      if (changed) draw(); // otherwise Plotly has nothing new to draw
    },
  };
}
