"""Real payloads (tests/fixtures/real/, cited in SOURCES.md) as the pure layer reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent.parent / "fixtures" / "real"


def body(name: str) -> Any:
    """The ``body`` of one recorded envelope."""
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))["body"]


def envelope(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    return data
