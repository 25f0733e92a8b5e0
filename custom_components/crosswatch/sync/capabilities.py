"""The sets of kinds each provider's ``Capabilities`` are built from (``providers/*/side.py``)."""

from __future__ import annotations

from ..api.models import MediaKind

MOVIE_SHOW = frozenset({MediaKind.MOVIE, MediaKind.SHOW})
MOVIE_EPISODE = frozenset({MediaKind.MOVIE, MediaKind.EPISODE})
ALL_KINDS = frozenset(MediaKind)
