"""docs/python.md cannot rot: its ```python blocks run, in order, in one namespace."""

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def test_docs_python_examples_run():
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 10  # the extraction found the examples
    namespace: dict[str, object] = {"__name__": "docs_python"}
    for i, block in enumerate(blocks):
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, f"docs/python.md block {i + 1}", "exec"), namespace)
