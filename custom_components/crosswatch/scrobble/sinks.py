"""Scrobble sinks: Trakt and SIMKL ``/scrobble/{start,stop}`` over the API clients.

Outcome mapping (the same for both services, from CrossWatch's and PlexTraktSync's lessons):
- 2xx, and 409 ("already scrobbled recently") -> delivered;
- 404 / 422 (not matched) -> one retry with the alternative body (an episode by show ids +
  season/number vs. by its own ids; a movie by the id a search found), then permanently rejected;
- 429 is slept out by the client core; if it persists, 5xx, timeouts, bad bodies and refused
  credentials -> ``RetryableDeliveryError`` (the queue keeps it);
- any other refusal -> ``PermanentDeliveryError``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from custom_components.crosswatch.api.errors import (
    AccountLimitError,
    ConflictError,
    CrosswatchApiError,
    NotFoundError,
    RequestRejectedError,
)
from custom_components.crosswatch.api.models import Ids, MediaItem, MediaKind

if TYPE_CHECKING:
    from .events import Scrobble

_LOGGER = logging.getLogger(__name__)

type Body = dict[str, Any]
# (id type, value, kind) -> the ids the service knows the item by, or None.
type IdSearch = Callable[[str, str, MediaKind], Awaitable[Ids | None]]
type ScrobbleCallFn = Callable[[str, Body], Awaitable[object]]

_UNMATCHED_STATUSES = frozenset({422})
_INT_ID_TYPES = frozenset({"trakt", "tmdb", "tvdb", "simkl", "mal", "anidb"})
_SERVICE_ID_TYPES = ("trakt", "simkl", "imdb", "tmdb", "tvdb", "slug")
_SEARCH_ID_TYPES = ("imdb", "tmdb", "tvdb")


class DeliveryError(Exception):
    """A sink could not deliver a scrobble."""


class RetryableDeliveryError(DeliveryError):
    """Worth trying again later (service down, rate limited, credentials being renewed)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the service does not know the item, or refuses the request)."""


class ScrobbleSink(Protocol):
    """Something that takes scrobbles: ``deliver`` returns on success, raises otherwise."""

    @property
    def sink_id(self) -> str:
        """Stable id (the target account's entry id) the queue stores."""

    async def deliver(self, scrobble: Scrobble) -> None:
        """Send the scrobble; raise ``RetryableDeliveryError`` or ``PermanentDeliveryError``."""


def wire_ids(ids: Ids) -> dict[str, int | str]:
    """Ids in the form both services accept: integers except imdb and slug; Plex ids dropped."""
    out: dict[str, int | str] = {}
    for id_type in _SERVICE_ID_TYPES:
        value = ids.get(id_type)
        if not value:
            continue
        if id_type in _INT_ID_TYPES:
            if value.isdigit():
                out[id_type] = int(value)
        else:
            out[id_type] = value
    return out


def scrobble_bodies(item: MediaItem, progress: float) -> list[Body]:
    """Return the bodies to try, preferred first (at most two).

    Episodes go by show ids + season/number first (Plex episode ids are often missing or only
    tvdb), then by the episode's own ids.
    """
    bodies: list[Body] = []
    if item.kind is MediaKind.EPISODE:
        show_ids = wire_ids(item.show_ids)
        if show_ids and item.season is not None and item.number is not None:
            show: Body = {"ids": show_ids}
            if item.show_title:
                show["title"] = item.show_title
            bodies.append(
                {
                    "show": show,
                    "episode": {"season": item.season, "number": item.number},
                    "progress": progress,
                }
            )
        episode_ids = wire_ids(item.ids)
        if episode_ids:
            bodies.append({"episode": {"ids": episode_ids}, "progress": progress})
    elif item.kind is MediaKind.MOVIE:
        movie_ids = wire_ids(item.ids)
        if movie_ids:
            movie: Body = {"ids": movie_ids}
            if item.title:
                movie["title"] = item.title
            if item.year:
                movie["year"] = item.year
            bodies.append({"movie": movie, "progress": progress})
    return bodies


class ServiceScrobbleSink:
    """A sink over one service's scrobble call, with the 404/422 fallback and outcome mapping."""

    def __init__(
        self,
        sink_id: str,
        *,
        service: str,
        call: ScrobbleCallFn,
        search: IdSearch | None = None,
        retryable_statuses: frozenset[int] = frozenset(),
    ) -> None:
        """Create for ``call(endpoint, body)`` (``start``/``stop``) and an optional id search."""
        self._sink_id = sink_id
        self._service = service
        self._call = call
        self._search = search
        self._retryable_statuses = retryable_statuses

    @property
    def sink_id(self) -> str:
        """The target account's id."""
        return self._sink_id

    async def deliver(self, scrobble: Scrobble) -> None:
        """Send ``scrobble``; see the module docstring for the outcome mapping."""
        bodies = scrobble_bodies(scrobble.item, scrobble.progress)
        if not bodies:
            raise PermanentDeliveryError(f"{self._service}: no usable ids for this item")
        endpoint = scrobble.call.value
        if await self._send(endpoint, bodies[0]):
            return
        alternative = bodies[1] if len(bodies) > 1 else await self._searched_body(scrobble)
        if alternative is not None and await self._send(endpoint, alternative):
            return
        raise PermanentDeliveryError(f"{self._service}: item not found")

    async def _send(self, endpoint: str, body: Body) -> bool:
        """Return ``True`` when delivered, ``False`` when the item was not matched."""
        try:
            await self._call(endpoint, body)
        except ConflictError:
            return True  # scrobbled recently: the service already has it
        except NotFoundError:
            return False
        except AccountLimitError as err:
            raise PermanentDeliveryError(str(err)) from err
        except RequestRejectedError as err:
            if err.status in _UNMATCHED_STATUSES:
                return False
            if err.status in self._retryable_statuses:
                raise RetryableDeliveryError(str(err)) from err
            raise PermanentDeliveryError(str(err)) from err
        except CrosswatchApiError as err:
            raise RetryableDeliveryError(str(err)) from err
        return True

    async def _searched_body(self, scrobble: Scrobble) -> Body | None:
        if self._search is None:
            return None
        item = scrobble.item
        for id_type in _SEARCH_ID_TYPES:
            value = item.ids.get(id_type)
            if not value:
                continue
            try:
                found = await self._search(id_type, value, item.kind)
            except CrosswatchApiError as err:
                raise RetryableDeliveryError(str(err)) from err
            if found:
                retry = MediaItem(kind=item.kind, ids=found, title=item.title, year=item.year)
                bodies = scrobble_bodies(retry, scrobble.progress)
                if bodies:
                    return bodies[-1]
        return None


def log_safe_sinks(sinks: Mapping[str, ScrobbleSink]) -> list[str]:
    """Sink ids for logs (never tokens)."""
    return sorted(sinks)
