"""Make a Home Assistant config directory ready for CrossWatch development.

Usage: ``.venv/bin/python scripts/dev-config.py CONFIG_DIR PORT``

Links CrossWatch from the working tree, creates the dev user (dev / dev), marks onboarding done
and stores HTTP settings (127.0.0.1:PORT) as already confirmed: since 2026.x an ``http:`` block in
YAML becomes a *pending* config that the UI asks to confirm and that reverts, with a restart, after
five minutes. Used by scripts/develop and the browser test; idempotent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from homeassistant.components.http.config import (
    HTTP_STORAGE_SCHEMA,
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
)
from homeassistant.components.http.const import CONF_SERVER_HOST, CONF_SERVER_PORT

ROOT = Path(__file__).resolve().parent.parent
DEV_USER = "dev"
DEV_PASSWORD = "dev"
ONBOARDING_DONE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["user", "core_config", "analytics", "integration"]},
}


def http_storage(port: int) -> dict[str, object]:
    """HA's stored HTTP config, already confirmed, serving ``port`` on 127.0.0.1."""
    stable = HTTP_STORAGE_SCHEMA({CONF_SERVER_PORT: port, CONF_SERVER_HOST: ["127.0.0.1"]})
    meta = {"created_at": "2026-01-01T00:00:00+00:00", "error": None, "error_message": None}
    return {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": "http",
        "data": {"stable": {**stable, **meta}, "pending": None, "yaml_migration_done": True},
    }


def prepare(config: Path, port: int) -> None:
    """Link the integration, store HTTP settings, and on first use onboard the dev user."""
    links = config / "custom_components"
    links.mkdir(parents=True, exist_ok=True)
    link = links / "crosswatch"
    if not link.is_symlink():
        link.symlink_to(ROOT / "custom_components" / "crosswatch")
    storage = config / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / "http").write_text(json.dumps(http_storage(port)))
    if not (storage / "onboarding").exists():
        hass = Path(sys.executable).parent / "hass"
        add = [str(hass), "--script", "auth", "-c", str(config), "add", DEV_USER, DEV_PASSWORD]
        subprocess.run(add, check=True, capture_output=True)
        (storage / "onboarding").write_text(json.dumps(ONBOARDING_DONE))
        print(f"[dev-config] dev user {DEV_USER} / {DEV_PASSWORD} created in {config}")


if __name__ == "__main__":
    prepare(Path(sys.argv[1]).resolve(), int(sys.argv[2]))
