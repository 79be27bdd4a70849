"""The engine is pure NumPy: importing it loads no web library."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_engine_loads_no_web_library():
    code = (
        "import sys, engine\n"
        "from engine import Trainer\n"
        "Trainer().train(3)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'pydantic', 'uvicorn', 'server'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
    assert result.stderr == ""


def test_engine_source_never_prints_or_imports_web_libraries():
    for path in (ROOT / "engine").glob("*.py"):
        text = path.read_text()
        assert "print(" not in text, path
        for lib in ("fastapi", "starlette", "pydantic"):
            assert f"import {lib}" not in text and f"from {lib}" not in text, path
