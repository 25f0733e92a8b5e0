"""The pure layers must stay free of Home Assistant so they can be published as a library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "crosswatch"
PURE_LAYERS = ("api", "sync", "scrobble", "history_io")


def homeassistant_imports(path: Path) -> list[str]:
    """Return every module under `homeassistant` that the file imports, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "homeassistant"]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] == "homeassistant"
        ):
            found.append(node.module)
    return found


@pytest.mark.parametrize("layer", PURE_LAYERS)
def test_pure_layer_does_not_import_homeassistant(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"{layer}/ has no modules"
    offenders = {str(f.relative_to(PACKAGE)): homeassistant_imports(f) for f in files}
    assert {f: m for f, m in offenders.items() if m} == {}


def test_detector_sees_every_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import homeassistant.core\n"
        "from homeassistant.helpers import storage\n"
        "def f():\n    import homeassistant as ha\n"
        "from . import homeassistant_like\nimport aiohttp\n",
        encoding="utf-8",
    )
    assert homeassistant_imports(sample) == [
        "homeassistant.core",
        "homeassistant.helpers",
        "homeassistant",
    ]
