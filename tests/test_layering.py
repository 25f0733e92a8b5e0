"""The pure layers must stay free of Home Assistant so they can be published as a library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "crosswatch"
PURE_LAYERS = ("api", "sync", "scrobble", "history_io", "watchnext")
# Inside each provider's folder, what talks to the service is pure too; only the account, its
# sign-in steps, the provider declaration and the Plex scrobbler/webhook glue know Home Assistant.
PURE_PROVIDER_MODULES = (
    "client.py",
    "side.py",
    "sink.py",
    "ids.py",
    "listener.py",
    "binder.py",
    "webhook_payload.py",
)
PURE_FILES = ("providers/endpoints.py",)


def pure_files() -> list[Path]:
    """Every module that must not import Home Assistant."""
    files = [f for layer in PURE_LAYERS for f in (PACKAGE / layer).rglob("*.py")]
    files += [f for f in (PACKAGE / "providers").rglob("*.py") if f.name in PURE_PROVIDER_MODULES]
    files += [PACKAGE / name for name in PURE_FILES]
    return sorted(files)


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


def test_every_providers_service_modules_are_pure() -> None:
    files = pure_files()
    provider_files = {f.relative_to(PACKAGE).as_posix() for f in files if "providers" in f.parts}
    # Each service's client and (where it has one) its sync side and scrobble sink are checked.
    for service in ("plex", "trakt", "simkl", "tmdb"):
        assert f"providers/{service}/client.py" in provider_files
    for service in ("plex", "trakt", "simkl"):
        assert f"providers/{service}/side.py" in provider_files
    offenders = {str(f.relative_to(PACKAGE)): homeassistant_imports(f) for f in files}
    assert {f: m for f, m in offenders.items() if m} == {}


def test_imports_inside_the_package_are_relative() -> None:
    """The package never names itself, so it can move (HA core's style)."""
    absolute = {
        str(f.relative_to(PACKAGE)): node.lineno
        for f in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.level == 0
        and (node.module or "").startswith("custom_components")
    }
    assert absolute == {}


def _local_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports (at any depth, TYPE_CHECKING blocks too)."""
    package = path.relative_to(PACKAGE).parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        target = (*base, *(node.module.split(".") if node.module else ()))
        for alias in node.names:
            candidate = (*target, alias.name)
            if (PACKAGE.joinpath(*candidate).with_suffix(".py")).exists():
                found.add(".".join(candidate))
            else:
                found.add(".".join(target))
    return {name.removesuffix(".__init__") for name in found if name}


def import_cycles() -> list[list[str]]:  # noqa: C901 - Tarjan's algorithm, kept in one piece
    """Every cycle among the package's modules (strongly connected groups of two or more)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = _local_imports(path)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycles_even_under_type_checking() -> None:
    """Data flows one way: no module reaches itself through imports, typing-only ones included."""
    assert import_cycles() == []


def test_cycle_finder_sees_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import x\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n"
    )
    (package / "c.py").write_text("from .a import z\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", package, raising=False)
    monkeypatch.setitem(globals(), "PACKAGE", package)
    assert import_cycles() == [["a", "b"]]


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
