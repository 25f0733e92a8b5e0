"""One account as a sync pair reads and writes it: the ``SyncSide`` protocol and shared helpers.

Each provider's ``side.py`` implements it over its client; the pair runner and
``benchmarks/sync.py`` drive them. A side reads a feature only when its activity marker moved
(the runner decides) and, where the service allows, only what changed since the last read
(``read_changes``), merged into the baseline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from ..api.errors import NotFoundError
from ..api.models import Feature, MediaItem, Play, WriteResult
from ..api.wire import activity_stamp
from .inventory import Inventory, row_plays
from .offload import Offload
from .plan import Action, Change

if TYPE_CHECKING:
    from ..watchnext.progress import ResumePoint
    from .planner import Capabilities


# The most items one write request carries (Trakt and SIMKL document 100 per POST).
WRITE_BATCH: Final = 100


class SyncSide(Protocol):
    """One account as a sync pair reads and writes it."""

    service: str
    # The ``service`` names its clients' errors carry (Plex: plex.tv, discover and the server).
    error_services: frozenset[str]
    # How many changes one ``write`` call may carry.
    batch_size: int
    # Where inventories are built from what was read (Home Assistant: the executor).
    offload: Offload
    # The percentage from which the service counts a stop as watched (no resume point carried).
    progress_watched_at: float
    # Whether the service keeps one resume point per show rather than per episode (SIMKL).
    progress_per_show: bool

    async def capabilities(self) -> Capabilities:
        """What the account accepts (may cost one request the first time)."""

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """Activity stamps per feature; ``None`` where the service has none."""

    def release(self) -> None:
        """Let go of what a run's reads kept (a library sweep, a whole history): read afresh."""

    async def read(self, feature: Feature) -> Inventory:
        """Read the whole inventory of ``feature``."""

    async def read_changes(
        self, feature: Feature, base: Inventory, since: float
    ) -> Inventory | None:
        """``base`` (what the side held at its last read) updated with what changed since ``since``.

        ``None`` when only a whole read can tell: the feature has no read of changes, or the
        change lies where such a read cannot see it.
        """

    async def write(
        self, feature: Feature, action: Action, changes: Sequence[Change]
    ) -> Sequence[Change]:
        """Write one batch of same-kind changes; return those the service did not know.

        Raises an ``api.errors`` error when the whole batch failed.
        """

    async def progress_points(self) -> list[ResumePoint]:
        """Every resume point the account holds (the progress feature's whole read)."""

    async def progress_changes(
        self, memo: Mapping[str, Any], *, moved: bool
    ) -> list[ResumePoint] | None:
        """The resume points from ``memo`` (this side's last ``progress_memo``) and what changed.

        ``moved``: the side's progress marker moved since that read. ``None`` when only a whole
        read can tell (no read of changes, a memo it cannot use, a change it cannot see).
        """

    def progress_memo(self) -> dict[str, Any] | None:
        """What the last progress read leaves for a read of changes (JSON); ``None``: nothing."""

    async def set_progress(self, point: ResumePoint, target: ResumePoint | None) -> bool:
        """Leave ``point``'s item at its progress (over ``target``, this side's own point).

        ``False`` when the service does not hold the title; errors as ``write``.
        """

    async def remove_progress(self, point: ResumePoint) -> bool:
        """Remove this side's ``point``; ``False`` when the service offers no way to."""


class PlaybackClient(Protocol):
    """What leaves and removes a resume point on Trakt or SIMKL (their clients)."""

    async def scrobble(self, action: str, item: MediaItem, progress: float) -> object:
        """Send a scrobble (``pause`` leaves a resume point)."""

    async def remove_playback(self, playback_id: str) -> bool:
        """Remove one paused session by its id."""


async def pause_at(client: PlaybackClient, point: ResumePoint) -> bool:
    """Leave ``point`` as a pause scrobble, Trakt's and SIMKL's only documented way to make one.

    Each keeps one point per title, so the pause replaces the one there. ``False``: the service
    does not know the title (404).
    """
    try:
        await client.scrobble("pause", point.item, point.progress)
    except NotFoundError:
        return False
    return True


async def remove_paused(client: PlaybackClient, point: ResumePoint) -> bool:
    """``DELETE /sync/playback/{id}`` (gone already, 404, counts as removed).

    A point without an id (Trakt's oldest rows, trakt/sync_playback_movies_without_id.json)
    cannot be removed: ``False``.
    """
    if point.ref is None:
        return False
    await client.remove_playback(point.ref)
    return True


class WholeProgressReads:
    """For a side whose resume points are one cheap read: it keeps nothing between reads."""

    __slots__ = ()

    async def progress_changes(
        self, memo: Mapping[str, Any], *, moved: bool
    ) -> list[ResumePoint] | None:
        """Never: the whole read is the cheap one."""
        return None

    def progress_memo(self) -> dict[str, Any] | None:
        """Nothing to keep."""
        return None


def marker_part(body: Mapping[str, Any], group: str, key: str) -> str:
    """One stamp of an activities answer as a part of a side's marker ("None" when absent)."""
    return str(activity_stamp(body, group, key))


def _plays_since(base: Inventory, since: float, plays: Sequence[Play]) -> Inventory | None:
    """``base`` with the plays from ``since`` on replaced by ``plays``, if that only adds."""
    return only_additions(base, base.with_plays_since(since, plays))


def only_additions(base: Inventory, fresh: Inventory) -> Inventory | None:
    """``fresh`` when it adds plays to ``base`` and loses none; else ``None``: read whole.

    The side's marker moved, so a read of changes that shows nothing new missed the change: it
    lies before the window (a removal, a play posted with an older time). One that loses plays
    holds a removal or a short answer; a whole read, under the snapshot guards, tells which.
    """
    if any(key not in fresh.rows for key in base.rows):
        return None
    grew = False
    for key, row in fresh.rows.items():
        before = base.rows.get(key)
        if before is row:
            continue
        plays = row_plays(row)
        if before is not None and Counter(row_plays(before)) - Counter(plays):
            return None
        grew = grew or before is None or len(plays) > len(row_plays(before))
    return fresh if grew else None


def unknown_to_service(changes: Sequence[Change], result: WriteResult) -> list[Change]:
    """The changes whose item the service listed as ``not_found`` (by any shared id)."""
    if not result.not_found:
        return []
    named = {(k, str(v)) for ids in result.not_found_ids for k, v in ids.items()}
    return [
        c
        for c in changes
        if any((k, v) in named for k, v in {**c.item.show_ids, **c.item.ids}.items())
    ]
