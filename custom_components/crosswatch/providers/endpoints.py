"""Upstream base URLs: the real services unless an environment variable points elsewhere.

``scripts/develop`` and the tests set these variables to run CrossWatch against the simulator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_DEFAULTS: Final = {
    "plex_tv": ("CROSSWATCH_PLEX_TV_URL", "https://plex.tv"),
    "plex_discover": ("CROSSWATCH_PLEX_DISCOVER_URL", "https://discover.provider.plex.tv"),
    "plex_metadata": ("CROSSWATCH_PLEX_METADATA_URL", "https://metadata.provider.plex.tv"),
    # The page where the user approves a Plex PIN (the simulator has its own approve page).
    "plex_auth": ("CROSSWATCH_PLEX_AUTH_URL", "https://app.plex.tv/auth"),
    "trakt": ("CROSSWATCH_TRAKT_URL", "https://api.trakt.tv"),
    "trakt_auth": ("CROSSWATCH_TRAKT_AUTH_URL", "https://trakt.tv"),
    "simkl": ("CROSSWATCH_SIMKL_URL", "https://api.simkl.com"),
    "tmdb": ("CROSSWATCH_TMDB_URL", "https://api.themoviedb.org/3"),
}
# Addresses a service gives in its own answers; a variable overrides the answer (the simulator's
# image host and approve page stand in for them offline).
_ANSWERED: Final = {
    # TMDb's /configuration names its image host (images.secure_base_url).
    "tmdb_image": "CROSSWATCH_TMDB_IMAGE_URL",
    # The page where the user enters a device code: Trakt's and SIMKL's verification_url.
    "trakt_activate": "CROSSWATCH_TRAKT_ACTIVATE_URL",
    "simkl_pin": "CROSSWATCH_SIMKL_PIN_URL",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    """Base URLs of every upstream, without a trailing slash."""

    plex_tv: str
    plex_discover: str
    plex_metadata: str
    plex_auth: str
    trakt: str
    trakt_auth: str
    simkl: str
    tmdb: str
    tmdb_image: str | None = None
    trakt_activate: str | None = None
    simkl_pin: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Endpoints:
        """Read the overrides now (not at import), so a changed environment takes effect."""
        values = {
            name: (environ.get(variable) or default).rstrip("/")
            for name, (variable, default) in _DEFAULTS.items()
        }
        answered = {name: environ.get(variable) or None for name, variable in _ANSWERED.items()}
        return cls(
            **values,
            tmdb_image=_trimmed(answered["tmdb_image"]),
            trakt_activate=_trimmed(answered["trakt_activate"]),
            simkl_pin=_trimmed(answered["simkl_pin"]),
        )


def _trimmed(url: str | None) -> str | None:
    return url.rstrip("/") if url else None
