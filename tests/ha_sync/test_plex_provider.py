"""Titles known only by a ``plex://`` guid: resolved by Plex's metadata provider, or reported."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from custom_components.crosswatch.api.models import Feature, MediaKind
from custom_components.crosswatch.providers.plex.client import unpack_library_item
from custom_components.crosswatch.sync.engine import PairMemory
from custom_components.crosswatch.sync.plan import Side

from .sides import plex_side, plex_to_trakt, run

if TYPE_CHECKING:
    import aiohttp

    from simulator.testing import Simulator


async def test_plex_only_titles_get_the_providers_ids(
    sim: Simulator,
    session: aiohttp.ClientSession,
) -> None:
    anthology = sim.item("Odd Anthology")
    assert anthology.tmdb is not None
    library = await plex_side(sim, session).library()
    items = [unpack_library_item(row).item for row in library.values()]
    (show,) = [i for i in items if i.kind is MediaKind.SHOW and i.title == "Odd Anthology"]
    # The PMS lists no Guid[] for it; the provider does (Plex's "Show Type" example shape).
    assert show.ids["tmdb"] == str(anthology.tmdb)
    assert show.ids["plex"] == anthology.plex_hex
    episodes = [i for i in items if i.kind is MediaKind.EPISODE and i.show_title == "Odd Anthology"]
    assert episodes
    assert {e.show_ids["tmdb"] for e in episodes} == {str(anthology.tmdb)}
    lookups = [r["route"] for r in await sim.requests("plex-metadata") if "{rk}" in r["route"]]
    # One provider lookup per plex-only title (Odd Anthology, Untitled Home Video and the anime
    # only SIMKL knows by its ids, Ajin 2), none for titles with their own ids.
    plex_only = [
        t for t in [*sim.state.catalogue.movies, *sim.state.catalogue.shows] if not t.plex_guids
    ]
    assert len(plex_only) == 3
    assert lookups == ["GET /library/metadata/{rk}"] * len(plex_only)


async def test_a_title_the_provider_does_not_know_is_reported_unmatched(
    sim: Simulator,
    session: aiohttp.ClientSession,
) -> None:
    home_video = sim.item("Untitled Home Video")
    plex = sim.state.plex
    plex.mark_watched(plex.users["owner"], home_video, sim.clock.time() - 3600)
    _, plan = await run(sim, PairMemory(), plex_to_trakt(sim, session), (Feature.HISTORY,))
    history = plan.features[Feature.HISTORY]
    unmatched = [u for u in history.unmatched if u.item.title == "Untitled Home Video"]
    assert [(u.side, u.reason, dict(u.item.ids)) for u in unmatched] == [
        (Side.TARGET, "no_usable_id", {"plex": home_video.plex_hex})
    ]


async def test_what_a_read_keeps_for_the_run_is_untracked_by_the_garbage_collector(
    sim: Simulator,
    session: aiohttp.ClientSession,
) -> None:
    """The library sweep is kept for the run's writes; as objects it was promoted towards full
    collections, which walk every tracked object while holding Home Assistant's event loop."""
    side = plex_side(sim, session)
    history = await side.read(Feature.HISTORY)
    library = await side.library()  # the run's sweep, read once
    sweeps = len(await sim.requests("pms"))
    movie = sim.item("Inception")
    key = await side._rating_key(history.entries[f"movie:tmdb:{movie.tmdb}"].item)
    assert key == sim.rating_key("Inception")
    assert len(await sim.requests("pms")) == sweeps  # found in the kept sweep
    for _ in range(4):  # a pass may untrack one level of nested tuples
        gc.collect()
    assert library
    assert not [row for row in library.values() if gc.is_tracked(row)]
