"""The network's node thumbnails are each hidden unit's h map over the input plane."""

import base64

import numpy as np

from tests.browser.test_page_training import open_lab

# Per thumbnail canvas: its side and how far towards the signed scale's positive end (255 −
# red grows from its grey zero through its light green to its dark green: ReLU's h ≥ 0) each of
# an n×n lattice of its pixels is, top row first.
POSITIVENESS = """(node, n) => {
  const canvas = node.querySelector('canvas');
  const g = canvas.getContext('2d');
  const T = canvas.width;
  const out = [];
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      const at = (k) => Math.floor(((k + 0.5) * T) / n);
      const [r] = g.getImageData(at(j), at(i), 1, 1).data;
      out.push(255 - r);
    }
  }
  return {side: T, positive: out};
}"""


def map_of(spec: dict) -> np.ndarray:
    shape = [int(s) for s in spec["shape"].split(",")]
    return np.frombuffer(base64.b64decode(spec["bdata"]), "<f4").reshape(shape)


def test_each_hidden_thumbnail_pictures_its_units_map(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("document.querySelector('#step-counter').textContent === '1'")
    page.wait_for_timeout(300)  # the frame of step 1 drawn
    answer = page.request.get(
        f"{live_server.url}/api/sessions/{session_id}/boundary", params={"resolution": 100}
    )
    assert answer.ok, answer.text()
    maps = [map_of(spec) for spec in answer.json()["layers"][0]["activations"]]
    n = 6
    R = maps[0].shape[0]
    checked = 0
    for j, h in enumerate(maps):
        # The lattice's points on the map: thumbnail row 0 is the top, the highest x₂.
        rows = [R - 1 - int((i + 0.5) * R / n) for i in range(n)]
        cols = [int((k + 0.5) * R / n) for k in range(n)]
        expected = np.array([[h[r, c] for c in cols] for r in rows]).ravel()
        if np.ptp(expected) < 1e-3:
            continue  # a flat map (a dead unit) says nothing about orientation
        node = page.locator(f'#network .node[data-node="1,{j}"]')
        shown = node.evaluate(POSITIVENESS, n)
        assert 8 <= shown["side"] <= 50, shown["side"]  # drawn from the sampled-down map
        correlation = np.corrcoef(expected, np.array(shown["positive"], dtype=float))[0, 1]
        assert correlation > 0.9, (j, correlation)
        checked += 1
    assert checked >= 3, "too few units with a map to compare"
