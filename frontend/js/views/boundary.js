// Decision boundary: P(class | x) over the input plane, one colour per class, lightness =
// confidence; the training and test points on top.

export function mount(root, ctx) {
  const layout = {
    margin: { l: 50, r: 10, t: 10, b: 40 },
    uirevision: "boundary",
    xaxis: { title: { text: "x₁" }, zeroline: false },
    yaxis: { title: { text: "x₂" }, zeroline: false, scaleanchor: "x" },
    font: { size: 16 },
  };
  Plotly.newPlot(root, [], layout, { responsive: true, displaylogo: false });
  return { update() {} };
}
