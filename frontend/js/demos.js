// The lecture's demos, one click each: every demo is a link (its hash), so the same setup
// opens from the Demos menu, from a shared URL and from the README's list. A link names
// the model it needs in full (what it leaves out is the default) and leaves the view
// choices it does not name as the page has them: a demo opened while presenting stays
// presented. Following one starts training afresh (see main.js, followLink).

/**
 * @type {{id: string, title: string, hash: string, tell: string}[]}
 *   tell: what to do and what to watch, said when the demo opens.
 */
export const DEMOS = [
  {
    id: "lecture-mlp",
    title: "The lecture's MLP",
    hash: "#dataset=circle&model=mlp&hidden=8&activation=relu&sign=loglik&layout=row&bias=augmented",
    tell: "h = max(Wx, 0), o = softmax(Uh), the bias inside W as on the slides. Walk one step with Shift+→: forward, loss, δ backward, update.",
  },
  {
    id: "binary-logistic",
    title: "Binary logistic regression",
    hash: "#dataset=gauss&classes=2&model=logistic&hidden=",
    tell: "o = σ(wᵀx + b) = P(y = 1 | x): one output, a straight boundary. Press Play.",
  },
  {
    id: "multiclass-logistic",
    title: "Multi-class logistic regression",
    hash: "#dataset=blobs&classes=3&model=logistic&hidden=",
    tell: "o = softmax(Wx + b): three outputs, straight boundaries between the classes. Press Play.",
  },
  {
    id: "spiral",
    title: "A spiral that learns",
    hash: "#dataset=spiral&classes=3&hidden=16,16&activation=tanh&features=x1,x2,sin_x1,sin_x2&speed=20",
    tell: "Three arms need more than x₁, x₂: with sin x₁, sin x₂ and two tanh layers of 16 the test accuracy passes 90 %. Press Play.",
  },
  {
    id: "divergence",
    title: "A learning rate too large",
    hash: "#dataset=spiral&classes=3&hidden=8&activation=relu&learningRate=10&speed=20",
    tell: "η = 10: press Play and watch the loss explode; the page says what happened and offers a smaller η.",
  },
  {
    id: "vanishing-sigmoid",
    title: "Vanishing gradients: five sigmoid layers",
    hash: "#dataset=circle&hidden=8,8,8,8,8&activation=sigmoid&tab=curves&speed=20",
    tell: "Press Play and read the gradient norm per layer: ‖∂J/∂W₁‖ is orders of magnitude below ‖∂J/∂U‖, and the first layers hardly learn.",
  },
  {
    id: "vanishing-relu",
    title: "Vanishing gradients: the same five layers with ReLU",
    hash: "#dataset=circle&hidden=8,8,8,8,8&activation=relu&tab=curves&speed=20",
    tell: "The same depth with ReLU: every layer's gradient norm is of the same order, and the network learns.",
  },
  {
    id: "dead-relu",
    title: "Dead ReLUs",
    hash: "#dataset=circle&hidden=8&activation=relu&learningRate=2&speed=5",
    tell: "η = 2: after a few large steps every hidden unit has z < 0 for every point, so h = 0 and no δ flows back: the loss stops falling.",
  },
];

/** Fill the Demos menu (a <details>) with one link per demo; `onOpen(demo)` when one is chosen. */
export function mountDemos(root, onOpen = () => {}) {
  const list = root.querySelector(".demos-list");
  for (const demo of DEMOS) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = demo.hash;
    link.textContent = demo.title;
    link.dataset.demo = demo.id;
    link.addEventListener("click", () => {
      root.open = false;
      onOpen(demo);
    });
    item.append(link);
    list.append(item);
  }
  // A click elsewhere closes the menu, as menus do.
  document.addEventListener("click", (event) => {
    if (root.open && !root.contains(event.target)) root.open = false;
  });
}
