"""The *Import history* flow: upload, preview, confirm, progress, outcome (over the simulator)."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from homeassistant.components import persistent_notification
from homeassistant.core import Event, callback
from homeassistant.data_entry_flow import (
    EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE,
    EVENT_DATA_ENTRY_FLOW_PROGRESSED,
    FlowResultType,
)
from homeassistant.setup import async_setup_component

from custom_components.crosswatch import import_flow
from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.history_jobs import DATA_IMPORT_JOBS, prepared_side
from tests.ha.conftest import simkl_entry
from tests.ha_sync.conftest import trakt_entry
from tests.ha_sync.helpers import FILMS, export, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator.testing import Simulator

REAL = Path(__file__).parent.parent / "fixtures" / "real"
FLOW = "import_history"


async def upload(
    hass: HomeAssistant, client_factory: ClientSessionGenerator, name: str, data: bytes
) -> str:
    """Upload through Home Assistant's file upload, as the frontend's file selector does."""
    assert await async_setup_component(hass, "file_upload", {})
    client = await client_factory()
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    response = await client.post("/api/file_upload", data=form)
    assert response.status == 200, await response.text()
    file_id: str = (await response.json())["file_id"]
    return file_id


async def finish_progress(hass: HomeAssistant, result: dict[str, Any]) -> dict[str, Any]:
    """Wait out a progress step (if the step was slow enough to show one) and go on."""
    if result["type"] is not FlowResultType.SHOW_PROGRESS:
        return result
    await hass.async_block_till_done(wait_background_tasks=True)
    done = await hass.config_entries.subentries.async_configure(result["flow_id"])
    if done["type"] is FlowResultType.SHOW_PROGRESS_DONE:
        done = await hass.config_entries.subentries.async_configure(result["flow_id"])
    return done


async def plays(hass: HomeAssistant, entry: MockConfigEntry) -> Counter[str]:
    history = await prepared_side(hass, entry).read(Feature.HISTORY)
    return Counter({key: len(e.plays) for key, e in history.entries.items()})


@pytest.mark.parametrize("slow", [False, True])
async def test_upload_preview_confirm_progress_outcome(
    hass: HomeAssistant,
    sim_urls: Simulator,
    hass_client: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
    slow: bool,
) -> None:
    if slow:  # every step takes longer than the flow waits: the progress steps show
        monkeypatch.setattr(import_flow, "QUICK_SECONDS", 0)
    entry = await trakt_entry(hass, sim_urls)
    await setup_entries(hass, entry)
    before = await plays(hass, entry)
    csv = (
        b"kind,ids,title,year,watched_at\n"
        b"movie,imdb:tt1375666,Inception,2010,2001-01-01T20:00:00Z\n"
        b"movie,imdb:tt0137523,Fight Club,1999,2001-01-02T20:00:00Z\n"
        b"movie,,,,2001-01-03T20:00:00Z\n"
    )
    file_id = await upload(hass, hass_client, "mine.csv", csv)

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, FLOW), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"file": file_id, "features": ["history"]}
    )
    assert result["type"] is (FlowResultType.SHOW_PROGRESS if slow else FlowResultType.FORM)
    result = await finish_progress(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    preview = result["description_placeholders"]["preview"]
    assert "**2 to add**" in preview
    assert "Inception (2010)" in preview
    assert "mine.csv, row 4, column ids: neither ids nor a title" in preview
    assert "ratings" not in preview  # the file holds no ratings: not shown
    assert await plays(hass, entry) == before  # nothing written before the confirm

    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is (FlowResultType.SHOW_PROGRESS if slow else FlowResultType.ABORT)
    result = await finish_progress(hass, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "import_done"
    assert result["description_placeholders"]["written"] == "history 2"
    added = await plays(hass, entry) - before
    assert sum(added.values()) == 2
    notes = persistent_notification._async_get_or_create_notifications(hass)
    assert any("mine.csv, row 4" in n["message"] for n in notes.values())
    assert not entry.subentries  # the flow leaves no subentry behind

    # The same file again: nothing to add, said at once.
    file_id = await upload(hass, hass_client, "mine.csv", csv)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, FLOW), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"file": file_id, "features": ["history"]}
    )
    result = await finish_progress(hass, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "nothing_to_import"


@pytest.mark.parametrize("slow", [False, True])
async def test_an_unreadable_upload_returns_to_the_form_with_the_reason(
    hass: HomeAssistant,
    sim_urls: Simulator,
    hass_client: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
    slow: bool,
) -> None:
    if slow:
        monkeypatch.setattr(import_flow, "QUICK_SECONDS", 0)
    entry = await trakt_entry(hass, sim_urls)
    await setup_entries(hass, entry)
    file_id = await upload(hass, hass_client, "notes.csv", b"a,b\n1,2\n")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, FLOW), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"file": file_id, "features": ["history"]}
    )
    result = await finish_progress(hass, result)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "file_unreadable"}
    assert (
        "not a CrossWatch, Letterboxd or IMDb export"
        in result["description_placeholders"]["reason"]
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"file": file_id, "features": []}
    )
    assert result["errors"] == {"features": "no_features"}


async def test_a_letterboxd_diary_into_simkl_is_matched_through_simkls_search(
    hass: HomeAssistant, sim_urls: Simulator, hass_client: ClientSessionGenerator
) -> None:
    entry = simkl_entry()
    await setup_entries(hass, entry)
    diary = (REAL / "letterboxd" / "diary.csv").read_bytes()
    diary += b"2019-01-02,Inception,2010,https://boxd.it/x,,,,2003-03-03\n"
    file_id = await upload(hass, hass_client, "diary.csv", diary)
    await sim_urls.clear_requests()
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, FLOW), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"file": file_id, "features": ["history"]}
    )
    result = await finish_progress(hass, result)
    # Letterboxd rows carry no ids; without TMDb, SIMKL's own search finds the one it knows.
    text = result["description_placeholders"]["preview"]
    assert "1 matched (1 by title and year)" in text
    assert "6 unmatched" in text
    searches = await sim_urls.requests("simkl", "GET /search/{type}")
    assert len(searches) == 7


async def test_the_progress_step_counts_each_batch_while_the_import_runs(
    hass: HomeAssistant,
    sim_urls: Simulator,
    hass_client: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(import_flow, "QUICK_SECONDS", 0)  # the progress steps show
    await sim_urls.reset({"movies": FILMS + 20})
    entry = await trakt_entry(hass, sim_urls)
    await setup_entries(hass, entry)
    file_id = await upload(hass, hass_client, "plays.csv", export(sim_urls, tmp_path).read_bytes())
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, FLOW), context={"source": "user"}
    )
    flow_id = result["flow_id"]
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"file": file_id, "features": ["history"]}
    )
    result = await finish_progress(hass, result)
    assert result["step_id"] == "confirm"

    # What the dialog does: on "flow changed" it fetches the flow (which runs its step again)
    # and shows the answer; the bar follows the progress updates.
    shown: list[dict[str, Any]] = []
    bar: list[float] = []
    fetches: list[asyncio.Task[Any]] = []

    async def fetch() -> None:
        shown.append(dict(await hass.config_entries.subentries.async_configure(flow_id)))

    @callback
    def changed(event: Event) -> None:
        if event.data["flow_id"] == flow_id:
            fetches.append(hass.async_create_task(fetch()))

    @callback
    def progress(event: Event) -> None:
        if event.data["flow_id"] == flow_id:
            bar.append(event.data["progress"])

    hass.bus.async_listen(EVENT_DATA_ENTRY_FLOW_PROGRESSED, changed)
    hass.bus.async_listen(EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE, progress)
    result = await hass.config_entries.subentries.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert (
        result["description_placeholders"]["done"],
        result["description_placeholders"]["total"],
    ) == ("0", str(FILMS))
    jobs = hass.data[DATA_IMPORT_JOBS]
    running = jobs.running(entry.entry_id)
    assert running is not None
    await jobs.async_wait(running.job_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    while not all(task.done() for task in fetches):
        await asyncio.gather(*fetches)
        await hass.async_block_till_done()

    counts = [
        int(r["description_placeholders"]["done"])
        for r in shown
        if r["type"] is FlowResultType.SHOW_PROGRESS
    ]
    # The text moved with each batch of 100 (not only the bar), in order, up to the whole file.
    assert list(dict.fromkeys(counts)) == [100, 200, FILMS]
    assert list(dict.fromkeys(bar)) == [100 / FILMS, 200 / FILMS, 1.0]
    assert shown[-1]["type"] is FlowResultType.ABORT
    assert shown[-1]["reason"] == "import_done"


async def test_a_simkl_backup_zip_restored_into_simkl(
    hass: HomeAssistant, sim_urls: Simulator, hass_client: ClientSessionGenerator
) -> None:
    entry = simkl_entry()
    await setup_entries(hass, entry)
    backup = io.BytesIO()
    with zipfile.ZipFile(backup, "w") as archive:
        archive.writestr("SimklBackup.json", (REAL / "simkl_backup/SimklBackup.json").read_bytes())
        archive.writestr("SimklBackup.csv", "SIMKL_ID,Title,Type\n40398,Hunter x Hunter,anime\n")
    file_id = await upload(hass, hass_client, "SimklBackup.zip", backup.getvalue())
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, FLOW), context={"source": "user"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"file": file_id, "features": ["history", "ratings", "watchlist"]}
    )
    result = await finish_progress(hass, result)
    assert result["step_id"] == "confirm"
    preview = result["description_placeholders"]["preview"]
    assert "**watchlist**: 1 read, 1 matched" in preview  # Ajin 2, known by its SIMKL id
    assert "**history**: 7 read, 7 matched" in preview
    assert "already on target: Hunter x Hunter (2011)" in preview  # the account has rated it
    assert (
        "SimklBackup.zip/SimklBackup.json/anime, row 1, column seasons: "
        "150 watched episodes counted, none listed"
    ) in preview
    assert (
        "Files of the ZIP not read: 1; the first:\n- SimklBackup.zip/SimklBackup.csv: "
        "SIMKL's CSV backup is not read"
    ) in preview

    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    result = await finish_progress(hass, result)
    assert result["reason"] == "import_done"
    # The simulated SIMKL knows Ajin 2 (its catalogue holds the doc's anime) but not the doc's
    # films and shows: it answers them as not found, and the notification names them.
    assert result["description_placeholders"]["written"] == "watchlist 1"
    notes = persistent_notification._async_get_or_create_notifications(hass)
    message = next(n["message"] for n in notes.values() if "SimklBackup.zip" in n["message"])
    assert "Maleficent" in message
    assert "150 watched episodes counted, none listed" in message


async def test_an_account_that_is_not_loaded_cannot_import(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    """Home Assistant offers the flow on any entry; one not loaded is named, not a crash."""
    entry = await trakt_entry(hass, sim_urls)
    await setup_entries(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, FLOW), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"
    assert result["description_placeholders"] == {"account": entry.title}
