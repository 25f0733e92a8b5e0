"""Scrobble sinks: Trakt and SIMKL ``/scrobble/{start,stop}`` over the API clients.

Outcome mapping (the same for both services, from CrossWatch's and PlexTraktSync's lessons):
- 2xx, and 409 ("already scrobbled recently") -> delivered;
- 404 / 422 (not matched) -> one retry with the item a search by its own ids finds, then
  rejected. An episode goes by its own ids whenever it has them; show ids + season/number are
  used only when it has none, and are never tried as a fallback (they may name another episode);
- 2xx naming a different title or episode than the one meant -> ``PermanentDeliveryError``
  (reported: the service counted the wrong one and we say so, never pass it off as delivered);
- 429 is slept out by the client core; if it persists, 5xx, timeouts, bad bodies and refused
  credentials -> ``RetryableDeliveryError`` (the queue keeps it and the HA layer renews tokens);
- any other refusal -> ``PermanentDeliveryError``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from ..api.errors import (
    AccountLimitError,
    ConflictError,
    CrosswatchApiError,
    NotFoundError,
    RequestRejectedError,
)
from ..api.models import STRONG_ID_TYPES, Ids, MediaItem, MediaKind, ScrobbleResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .events import Scrobble

_LOGGER = logging.getLogger(__name__)

_UNMATCHED_STATUSES = frozenset({422})
_SEARCH_ID_TYPES = ("imdb", "tmdb", "tvdb")
# Ids a scrobble body can carry; a plex guid alone identifies nothing outside Plex.
_SERVICE_ID_TYPES = frozenset(STRONG_ID_TYPES) - {"plex"}


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


class ScrobbleApi(Protocol):
    """The part of ``TraktClient`` / ``SimklClient`` a sink uses."""

    async def scrobble(self, action: str, item: MediaItem, progress: float) -> ScrobbleResult:
        """POST ``/scrobble/{action}`` for ``item``."""


class IdSearchApi(Protocol):
    """Id lookup (``TraktClient.search_id``)."""

    async def search_id(self, id_type: str, value: str, media_type: str) -> Sequence[MediaItem]:
        """Look an item up by one external id."""


def _has_service_ids(ids: Ids) -> bool:
    return any(ids.get(t) for t in _SERVICE_ID_TYPES)


def _conflicts(ours: Ids, theirs: Ids) -> bool:
    """Whether an id type both sides name has different values."""
    return any(
        theirs.get(k) not in (None, v) for k, v in ours.items() if k in _SERVICE_ID_TYPES and v
    )


def answered_other(meant: MediaItem, answered: MediaItem | None) -> str | None:
    """Why the service's answer names another title or episode than ``meant`` (else ``None``).

    Only what both sides state is compared: an answer without ids or numbers is no evidence.
    """
    if answered is None:
        return None
    if answered.kind is not meant.kind:
        return f"a {answered.kind} instead of a {meant.kind}"
    if any(answered.ids.get(k) for k, v in meant.ids.items() if k in _SERVICE_ID_TYPES and v):
        # Both name the item by ids: they decide (an episode's numbers may follow another order).
        return f"other ids {dict(answered.ids)}" if _conflicts(meant.ids, answered.ids) else None
    # Sent with its own ids beside the numbers (SIMKL): other numbers in an answer without ids
    # mean the service went by the ids, in its own order; so only numbers sent alone are checked.
    if meant.kind is MediaKind.EPISODE and not _has_service_ids(meant.ids):
        return _other_episode_by_numbers(meant, answered)
    return None


def _other_episode_by_numbers(meant: MediaItem, answered: MediaItem) -> str | None:
    if _conflicts(meant.show_ids, answered.show_ids):
        return f"another show {dict(answered.show_ids)}"
    numbers = (answered.season, answered.number)
    if None not in numbers and numbers != (meant.season, meant.number):
        return f"S{answered.season}E{answered.number} for S{meant.season}E{meant.number}"
    return None


class ServiceScrobbleSink:
    """A sink over one service client, with the 404/422 fallback and outcome mapping."""

    def __init__(
        self,
        sink_id: str,
        client: ScrobbleApi,
        *,
        service: str,
        search: IdSearchApi | None = None,
        episodes_by_own_ids: bool = True,
        retryable_statuses: frozenset[int] = frozenset(),
    ) -> None:
        """Create for ``client``.

        ``search`` finds an unmatched item by id; ``episodes_by_own_ids`` says whether the
        service can name an episode by its own ids alone (SIMKL needs the show too);
        ``retryable_statuses`` are 4xx worth retrying for this service.
        """
        self._sink_id = sink_id
        self._client = client
        self._service = service
        self._search = search
        self._episodes_by_own_ids = episodes_by_own_ids
        self._retryable_statuses = retryable_statuses

    @property
    def sink_id(self) -> str:
        """The target account's id."""
        return self._sink_id

    async def deliver(self, scrobble: Scrobble) -> None:
        """Send ``scrobble``; see the module docstring for the outcome mapping."""
        item = scrobble.item
        usable = _has_service_ids(item.show_ids)
        if item.kind is not MediaKind.EPISODE or self._episodes_by_own_ids:
            usable = usable or _has_service_ids(item.ids)
        if not usable:
            raise PermanentDeliveryError(f"{self._service}: no usable ids for this item")
        action = scrobble.call.value
        if await self._send(action, item, scrobble.progress, meant=item):
            return
        found = await self._searched(item)
        if found is not None and await self._send(action, found, scrobble.progress, meant=item):
            return
        raise PermanentDeliveryError(f"{self._service}: item not found")

    async def _send(
        self, action: str, item: MediaItem, progress: float, *, meant: MediaItem
    ) -> bool:
        """Return ``True`` when delivered, ``False`` when the item was not matched."""
        try:
            result = await self._client.scrobble(action, item, progress)
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
        answered = result.item if isinstance(result, ScrobbleResult) else None
        other = answered_other(meant, answered)
        if other is not None:
            _LOGGER.warning("%s scrobbled %s, not the item meant (%s)", self._service, other, meant)
            msg = f"{self._service}: answered with {other}"
            raise PermanentDeliveryError(msg)
        return True

    async def _searched(self, item: MediaItem) -> MediaItem | None:
        if self._search is None:
            return None
        for id_type in _SEARCH_ID_TYPES:
            value = item.ids.get(id_type)
            if not value:
                continue
            try:
                found = await self._search.search_id(id_type, value, item.kind.value)
            except NotFoundError:
                continue
            except CrosswatchApiError as err:
                raise RetryableDeliveryError(str(err)) from err
            for candidate in found:
                if candidate.kind is item.kind:
                    return candidate
        return None
