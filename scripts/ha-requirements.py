"""Install the requirements of the Home Assistant components a configuration.yaml loads.

Usage: ``.venv/bin/python scripts/ha-requirements.py CONFIG/configuration.yaml``

Home Assistant then runs with ``--skip-pip`` (scripts/develop, the browser tests). Idempotent: when
every pinned requirement is already installed it only reads manifests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from homeassistant import bootstrap, components

PREFIX = "[ha-requirements]"


def wanted_requirements(configuration: Path) -> set[str]:
    """The pinned requirements of the named components, the ones HA always loads, and their deps."""
    root = Path(components.__path__[0])
    top = [
        line.split(":")[0]
        for line in configuration.read_text().splitlines()
        if line and not line[0].isspace() and not line.startswith("#") and line.endswith(":")
    ]
    top += [
        *bootstrap.DEFAULT_INTEGRATIONS,
        *bootstrap.CORE_INTEGRATIONS,
        "recorder",
        *bootstrap.LOGGING_AND_HTTP_DEPS_INTEGRATIONS,
        *bootstrap.FRONTEND_INTEGRATIONS,
    ]
    seen: set[str] = set()
    todo = [domain for domain in top if (root / domain).is_dir()]
    wanted: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = json.loads((root / domain / "manifest.json").read_text())
        wanted.update(manifest.get("requirements", []))
        todo += manifest.get("dependencies", [])
    return wanted


def missing_requirements(wanted: set[str]) -> list[str]:
    """The requirements not installed at exactly their pinned version."""
    missing = []
    for req in sorted(wanted):
        name, _, pinned = req.partition("==")
        try:
            if version(name) == pinned:
                continue
        except PackageNotFoundError:
            pass
        missing.append(req)
    return missing


def main() -> None:
    """Install what is missing; a requirement that cannot install only turns its component off."""
    missing = missing_requirements(wanted_requirements(Path(sys.argv[1])))
    if not missing:
        return
    print(PREFIX, "installing component requirements:", " ".join(missing), flush=True)
    # Debian's pyconfig.h includes a multiarch header that lives under the private root.
    env = {**os.environ, "CPATH": f"{sys.base_prefix}/include"}
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    # The requirements come from Home Assistant's own manifests.
    if subprocess.call([*pip, *missing], env=env):
        for req in missing:  # find the ones that cannot install; HA skips their components
            if subprocess.call([*pip, req], env=env, stderr=subprocess.DEVNULL):
                print(PREFIX, f"could not install {req}; components needing it stay off")


if __name__ == "__main__":
    main()
