"""The page preloads exactly the modules its first frame needs, and the server serves them.

`<link rel="modulepreload">` lets the browser fetch the whole module graph at once instead of
discovering it one import level at a time. The list in index.html is written by hand, so this
test keeps it honest: it follows main.js's static imports through the server and compares.
Dynamic `import()` calls (the chart views, loaded with Plotly.js later) are not part of it.
"""

import posixpath
import re

from fastapi.testclient import TestClient

STATIC_IMPORT = re.compile(r'^\s*import\s(?:[^;"]*?\sfrom\s)?\s*"(\.{1,2}/[^"]+)"', re.MULTILINE)
PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)">')
MODULE_SCRIPT = re.compile(r'<script type="module"[^>]* src="([^"]+)"></script>')


def static_graph(client: TestClient, entry: str) -> set[str]:
    """The URLs of every module `entry` imports statically, directly or not (entry excluded)."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        url = todo.pop()
        response = client.get(url)
        assert response.status_code == 200, f"{url} is imported but answers {response.status_code}"
        for relative in STATIC_IMPORT.findall(response.text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(url), relative))
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_static_graph_follows_imports(client: TestClient) -> None:
    graph = static_graph(client, "/static/js/main.js")
    assert "/static/js/views/boundary.js" in graph  # imported by main.js
    assert "/static/js/views/colors.js" in graph  # imported by boundary.js, one level down
    assert "/static/js/views/curves.js" not in graph  # loaded with Plotly.js, dynamically
    assert "/static/js/views/equations.js" not in graph  # loaded after the first frame


def test_index_preloads_exactly_the_first_frames_modules(client: TestClient) -> None:
    page = client.get("/").text
    preloaded = PRELOAD.findall(page)
    scripts = MODULE_SCRIPT.findall(page)  # main.js, and boot.js which sends the first request
    assert "/static/js/main.js" in scripts and "/static/js/boot.js" in scripts
    assert len(preloaded) == len(set(preloaded)), "a module is preloaded twice"
    fetched = set(preloaded) | set(scripts)
    assert len(fetched) == len(preloaded) + len(scripts), "a page script is also preloaded"
    graph = static_graph(client, "/static/js/main.js") | {"/static/js/main.js"}
    assert fetched - graph == set(), "loaded but not imported by the first frame"
    assert graph - fetched == set(), "imported by the first frame but not loaded at once"
    for url in preloaded:
        assert client.get(url).status_code == 200, url
