"""Setting up two accounts with a pair, reading what the simulator holds, an export to import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError

from custom_components.crosswatch.const import DOMAIN

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.crosswatch.pairs import PairRunner
    from simulator.testing import Simulator


async def setup_entries(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    """Add and load every entry."""
    for entry in entries:
        entry.add_to_hass(hass)
    for entry in entries:
        if entry.state is ConfigEntryState.NOT_LOADED:
            assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for entry in entries:
        assert entry.state is ConfigEntryState.LOADED, entry.title


def runner(entry: MockConfigEntry, pair_id: str) -> PairRunner:
    """The loaded runner of ``pair_id``."""
    found: PairRunner = entry.runtime_data.pair_runners[pair_id]
    return found


async def run_sync(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call ``crosswatch.run_sync`` and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "run_sync", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def run_pair(hass: HomeAssistant, pair_id: str, **data: Any) -> dict[str, Any]:
    """Run one pair through ``crosswatch.run_sync`` and return its summary.

    A failed run (or one holding removals) raises a translated error and returns no response;
    its summary is then the runner's ``last_summary``, as the *Result* sensor and event show it.
    """
    try:
        return dict((await run_sync(hass, pair=pair_id, **data))["pairs"][pair_id])
    except HomeAssistantError as err:
        reported = err
    assert reported.translation_key in ("run_failed", "run_held"), reported.translation_key
    found = next(
        e.runtime_data.pair_runners[pair_id]
        for e in hass.config_entries.async_loaded_entries(DOMAIN)
        if pair_id in e.runtime_data.pair_runners
    )
    summary: dict[str, Any] | None = found.last_summary
    assert summary is not None
    return summary


async def writes(sim: Simulator, service: str) -> list[dict[str, Any]]:
    """Every write request the simulator logged for ``service``."""
    return [r for r in await sim.requests(service) if r.get("method") not in ("GET", "HEAD")]


def only_unmatched_left(
    result: dict[str, Any], feature: str = "history", unmatched: int = 1
) -> bool:
    """Whether a run synced everything but the seed's titles the target cannot be told about.

    Such titles stay unsynced, so the run is ``partial``, not ``ok``.
    """
    counts = result["features"][feature]
    return bool(result["result"] == "partial" and counts["unmatched"] == unmatched)


FILMS = 230  # three batches of up to 100


def export(sim: Simulator, folder: Path) -> Path:
    """A CrossWatch CSV with one play of each of ``FILMS`` films the simulator knows."""
    films = [m for m in sim.state.catalogue.movies if m.imdb][:FILMS]
    assert len(films) == FILMS
    lines = ["kind,ids,title,year,watched_at"]
    lines += [
        f"movie,imdb:{m.imdb},Film {i},,2001-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        for i, m in enumerate(films)
    ]
    path = folder / "plays.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
