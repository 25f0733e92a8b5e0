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
