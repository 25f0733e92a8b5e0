"""Scrobble sinks: Trakt and SIMKL ``/scrobble/{start,stop}`` over the API clients.

Outcome mapping (the same for both services, from CrossWatch's and PlexTraktSync's lessons):
- 2xx, and 409 ("already scrobbled recently") -> delivered;
- 404 / 422 (not matched) -> one retry with the alternative body (an episode by its own ids
  instead of show ids + season/number; otherwise the item a search by id finds), then rejected;
- 429 is slept out by the client core; if it persists, 5xx, timeouts, bad bodies and refused
  credentials -> ``RetryableDeliveryError`` (the queue keeps it and the HA layer renews tokens);
- any other refusal -> ``PermanentDeliveryError``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from custom_components.crosswatch.api.errors import (
    AccountLimitError,
    ConflictError,
    CrosswatchApiError,
    NotFoundError,
    RequestRejectedError,
)
from custom_components.crosswatch.api.models import STRONG_ID_TYPES, Ids, MediaItem, MediaKind

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

    async def scrobble(self, action: str, item: MediaItem, progress: float) -> object:
        """POST ``/scrobble/{action}`` for ``item``."""


class IdSearchApi(Protocol):
    """Id lookup (``TraktClient.search_id``)."""

    async def search_id(self, id_type: str, value: str, media_type: str) -> Sequence[MediaItem]:
        """Look an item up by one external id."""


def _has_service_ids(ids: Ids) -> bool:
    return any(ids.get(t) for t in _SERVICE_ID_TYPES)


def alternative_item(item: MediaItem) -> MediaItem | None:
    """Name an episode the other way: by its own ids when the first try used show + S/E."""
    if (
        item.kind is MediaKind.EPISODE
        and _has_service_ids(item.show_ids)
        and item.season is not None
        and _has_service_ids(item.ids)
    ):
        return MediaItem(kind=item.kind, ids=item.ids, title=item.title, year=item.year)
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
        episode_alternative: bool = True,
        retryable_statuses: frozenset[int] = frozenset(),
    ) -> None:
        """Create for ``client``.

        ``search`` finds an unmatched item by id; ``episode_alternative`` retries an episode by
        its own ids (services that only take show + S/E say no); ``retryable_statuses`` are 4xx
        worth retrying for this service.
        """
        self._sink_id = sink_id
        self._client = client
        self._service = service
        self._search = search
        self._episode_alternative = episode_alternative
        self._retryable_statuses = retryable_statuses

    @property
    def sink_id(self) -> str:
        """The target account's id."""
        return self._sink_id

    async def deliver(self, scrobble: Scrobble) -> None:
        """Send ``scrobble``; see the module docstring for the outcome mapping."""
        item = scrobble.item
        usable = _has_service_ids(item.show_ids)
        if item.kind is not MediaKind.EPISODE or self._episode_alternative:
            usable = usable or _has_service_ids(item.ids)
        if not usable:
            raise PermanentDeliveryError(f"{self._service}: no usable ids for this item")
        action = scrobble.call.value
        if await self._send(action, item, scrobble.progress):
            return
        alternative = (
            alternative_item(item) if self._episode_alternative else None
        ) or await self._searched(item)
        if alternative is not None and await self._send(action, alternative, scrobble.progress):
            return
        raise PermanentDeliveryError(f"{self._service}: item not found")

    async def _send(self, action: str, item: MediaItem, progress: float) -> bool:
        """Return ``True`` when delivered, ``False`` when the item was not matched."""
        try:
            await self._client.scrobble(action, item, progress)
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


class TraktApi(ScrobbleApi, IdSearchApi, Protocol):
    """``TraktClient``: scrobbles and id search."""


def trakt_sink(sink_id: str, client: TraktApi) -> ServiceScrobbleSink:
    """Build the sink for one Trakt account (``TraktClient``)."""
    return ServiceScrobbleSink(sink_id, client, service="trakt", search=client)


def simkl_sink(sink_id: str, client: ScrobbleApi) -> ServiceScrobbleSink:
    """Build the sink for one SIMKL account (``SimklClient``).

    SIMKL takes episodes only as show + season/number, and its 400 means another scrobble of
    the user holds the 20 s lock: worth a retry.
    """
    return ServiceScrobbleSink(
        sink_id,
        client,
        service="simkl",
        episode_alternative=False,
        retryable_statuses=frozenset({400}),
    )
