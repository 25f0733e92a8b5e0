"""Plex GUIDs: the id types and values Plex spells as GUID URIs.

Ids are strings keyed by id type (see ``api/models.py``). Plex spells ids as GUID URIs, in three
generations: new agents (``imdb://tt…``, ``tmdb://…``, ``tvdb://…``), legacy agents
(``com.plexapp.agents.imdb://tt…?lang=en``, ``…themoviedb://…``, ``…thetvdb://show/season/ep``)
and ``plex://kind/<hex>`` guids that carry no external id at all.

Every legacy TV agent names a season or an episode by its *show's* id plus ``/season[/episode]``
(thetvdb, themoviedb, xbmcnfotv, HAMA: ``tests/fixtures/real/plex/guids_legacy_agents.json``).
HAMA writes the source into the id (``anidb-1234``, ``tvdb-81797``, ``tvdb2-…``, ``tmdb-…``,
``imdb-tt…``); the Kodi NFO agents write a bare id whose shape tells imdb from the numeric one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_IMDB = re.compile(r"tt\d{1,10}")


_DIGITS = re.compile(r"\d{1,12}")


_PLEX_HEX = re.compile(r"[0-9a-f]{24}")


_PLEX_KINDS = frozenset({"movie", "show", "season", "episode"})


_NEW_AGENTS = {"imdb": "imdb", "tmdb": "tmdb", "tvdb": "tvdb"}


# Legacy agent → the id type of a numeric id (an ``tt…`` id is imdb whatever the agent).
_LEGACY_AGENTS = {
    "com.plexapp.agents.imdb": "imdb",
    "com.plexapp.agents.themoviedb": "tmdb",
    "com.plexapp.agents.thetvdb": "tvdb",
    "com.plexapp.agents.xbmcnfo": "tmdb",
    "com.plexapp.agents.xbmcnfotv": "tvdb",
    "com.plexapp.agents.hama": "hama",
}


# HAMA's source prefixes (``tvdb2``…``tvdb6`` are its alternative TVDB orderings, same id).
_HAMA_SOURCES = {"anidb": "anidb", "tmdb": "tmdb", "imdb": "imdb"} | {
    f"tvdb{n}": "tvdb" for n in ("", "2", "3", "4", "5", "6")
}


@dataclass(frozen=True, slots=True)
class PlexGuid:
    """One parsed Plex GUID.

    ``season`` (and ``episode``) are set only by a legacy TV agent's ``show/season[/episode]``
    form, whose id is the *show's*.
    For ``plex://`` guids ``id_type`` is ``plex``, ``value`` the 24-hex id and ``plex_kind``
    the kind written in the guid.
    """

    id_type: str
    value: str
    season: int | None = None
    episode: int | None = None
    plex_kind: str | None = None


def _valid(id_type: str, value: str) -> bool:
    if id_type == "imdb":
        return _IMDB.fullmatch(value) is not None
    return _DIGITS.fullmatch(value) is not None


def _legacy_id(scheme: str, value: str) -> tuple[str, str] | None:
    """A legacy agent's first path part → ``(id_type, value)``; ``None`` when it is no id."""
    id_type = _LEGACY_AGENTS[scheme]
    if id_type == "hama":
        source, _, value = value.partition("-")
        hama_type = _HAMA_SOURCES.get(source.lower())
        if hama_type is None:
            return None
        id_type = hama_type
    if _IMDB.fullmatch(value):
        id_type = "imdb"
    return (id_type, value) if _valid(id_type, value) else None


def parse_plex_guid_full(guid: str) -> PlexGuid | None:  # noqa: PLR0911
    """Parse any Plex GUID form; ``None`` for unknown agents or malformed values."""
    scheme, sep, rest = guid.strip().partition("://")
    if not sep:
        return None
    scheme = scheme.lower()
    rest = rest.partition("?")[0].strip("/")
    if scheme == "plex":
        kind, _, hex_id = rest.partition("/")
        hex_id = hex_id.lower()
        if kind in _PLEX_KINDS and _PLEX_HEX.fullmatch(hex_id):
            return PlexGuid("plex", hex_id, plex_kind=kind)
        return None
    parts = rest.split("/")
    if scheme in _NEW_AGENTS:
        id_type, value = _NEW_AGENTS[scheme], parts[0]
        return PlexGuid(id_type, value) if len(parts) == 1 and _valid(id_type, value) else None
    if scheme not in _LEGACY_AGENTS:
        return None
    parsed = _legacy_id(scheme, parts[0])
    if parsed is None or len(parts) > 3:  # noqa: PLR2004 - show / season / episode
        return None
    numbers = parts[1:]
    if not all(_DIGITS.fullmatch(p) for p in numbers):
        return None
    # ``show/season[/episode]``: the id names the show (any legacy TV agent).
    season = int(numbers[0]) if numbers else None
    episode = int(numbers[1]) if len(numbers) > 1 else None
    return PlexGuid(parsed[0], parsed[1], season=season, episode=episode)


def parse_plex_guid(guid: str) -> tuple[str, str] | None:
    """Return ``(id_type, value)`` for a Plex GUID, or ``None`` when it carries no usable id."""
    parsed = parse_plex_guid_full(guid)
    return None if parsed is None else (parsed.id_type, parsed.value)


def _guid_strings(guids: Iterable[str | Mapping[str, Any]] | None) -> list[str]:
    out: list[str] = []
    for entry in guids or ():
        value = entry.get("id") if isinstance(entry, Mapping) else entry
        if isinstance(value, str):
            out.append(value)
    return out


def ids_from_plex_guids(
    guid: str | None = None, guids: Iterable[str | Mapping[str, Any]] | None = None
) -> dict[str, str]:
    """Merge a top-level ``guid`` and a ``Guid[]`` array (``[{"id": …}]`` or strings) into ids.

    External ids from ``Guid[]`` win over the legacy top-level guid; the first of a type wins.
    A legacy ``show/season[/episode]`` guid names the show, so it is not returned here: use
    ``parse_plex_guid_full`` to get the show id plus season/episode.
    """
    ids: dict[str, str] = {}
    for text in [*_guid_strings(guids), *([guid] if guid else [])]:
        parsed = parse_plex_guid_full(text)
        if parsed is None or parsed.season is not None:
            continue
        ids.setdefault(parsed.id_type, parsed.value)
    return ids
