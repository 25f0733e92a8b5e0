"""``crosswatch.import_history`` and ``crosswatch.export_history`` against the simulator."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.core import Context
from homeassistant.exceptions import ServiceValidationError, Unauthorized

from tests.ha.conftest import simkl_entry, tmdb_entry
from tests.ha_sync.conftest import trakt_entry
from tests.ha_sync.helpers import setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

    from simulator.testing import Simulator

REAL = Path(__file__).parent.parent / "fixtures" / "real"


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        "crosswatch", action, data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


@pytest.fixture
def folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A media-like folder Home Assistant allows (allowlist_external_dirs)."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return tmp_path


async def account(hass: HomeAssistant, sim: Simulator, service: str) -> MockConfigEntry:
    entry = await trakt_entry(hass, sim) if service == "trakt" else simkl_entry()
    await setup_entries(hass, entry)
    return entry


@pytest.mark.parametrize("service", ["trakt", "simkl"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_export_then_import_into_the_same_account_adds_nothing(
    hass: HomeAssistant, sim_urls: Simulator, folder: Path, service: str, fmt: str
) -> None:
    entry = await account(hass, sim_urls, service)
    exported = await call(
        hass,
        "export_history",
        {"config_entry_id": entry.entry_id, "folder": str(folder / "backups"), "format": fmt},
    )
    path = Path(exported["path"])
    assert path.parent == folder / "backups"
    assert exported["history"] > 0
    assert exported["ratings"] > 0
    assert exported["watchlist"] > 0
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:  # noqa: ASYNC240 - a test
        assert sorted(archive.namelist()) == sorted(
            f"{n}.{fmt}" for n in ("history", "ratings", "watchlist")
        )
    imported = await call(
        hass, "import_history", {"config_entry_id": entry.entry_id, "file": str(path)}
    )
    assert imported["problem_count"] == 0
    assert imported["skipped"] == []  # every file of our own export is read
    assert imported["written"] == {}
    for feature, preview in imported["features"].items():
        assert preview["to_add"] == 0, (feature, preview)
        assert preview["unmatched"] == 0, (feature, preview)
        assert preview["already_on_target"] == preview["read"] > 0, (feature, preview)


async def test_import_previews_writes_and_a_second_import_adds_nothing(
    hass: HomeAssistant, sim_urls: Simulator, folder: Path
) -> None:
    entry = await account(hass, sim_urls, "trakt")
    # Inception (a catalogue title) watched twice, an IMDb rating of Breaking Bad, a bad row.
    csv = folder / "mine.csv"
    csv.write_text(
        "kind,ids,title,year,season,episode,watched_at,rating,listed_at\n"
        "movie,imdb:tt1375666,Inception,2010,,,2001-01-01T20:00:00Z,,\n"
        "movie,imdb:tt1375666,Inception,2010,,,2001-01-01T20:00:30Z,,\n"
        "movie,imdb:tt1375666,Inception,2010,,,2002-02-02T20:00:00Z,,\n"
        "movie,,,,,,2002-02-02T20:00:00Z,,\n",
        encoding="utf-8",
    )
    data = {"config_entry_id": entry.entry_id, "file": str(csv), "features": ["history"]}
    preview = await call(hass, "import_history", {**data, "dry_run": True})
    assert preview["dry_run"] is True
    assert preview["written"] == {}
    assert preview["features"]["history"]["to_add"] == 2  # the 30 s apart play is the same play
    assert preview["features"]["history"]["samples"]["to_add"] == ["Inception (2010)"]
    assert preview["problems"] == ["mine.csv, row 5, column ids: neither ids nor a title"]
    again = await call(hass, "import_history", {**data, "dry_run": True})
    assert again["features"]["history"]["to_add"] == 2  # the dry run wrote nothing

    done = await call(hass, "import_history", data)
    assert done["written"] == {"history": 2}
    second = await call(hass, "import_history", data)
    assert second["written"] == {}
    assert second["features"]["history"]["to_add"] == 0
    assert second["features"]["history"]["already_on_target"] == 3


async def test_import_of_a_real_imdb_export_into_trakt(
    hass: HomeAssistant, sim_urls: Simulator, folder: Path
) -> None:
    entry = await account(hass, sim_urls, "trakt")
    imdb = folder / "ratings.csv"
    text = (REAL / "imdb" / "ratings_iso_dates.csv").read_text(encoding="utf-8")
    # One row for a title the simulator knows; the others it does not know.
    header, first, *rest = text.splitlines()
    known = first.replace("tt10003008", "tt1375666").replace("The Rental", "Inception")
    imdb.write_text("\n".join([header, known, *rest]) + "\n", encoding="utf-8")
    data = {"config_entry_id": entry.entry_id, "file": "ratings.csv", "features": ["ratings"]}
    hass.config.config_dir = str(folder)  # a path relative to the configuration folder
    done = await call(hass, "import_history", data)
    assert done["files"] == ["ratings.csv"]
    assert done["features"]["ratings"]["read"] == 5
    assert (
        done["written"]["ratings"] + len(done["unknown_to_target"])
        == done["features"]["ratings"]["to_add"]
    )
    assert len(done["unknown_to_target"]) >= 1  # titles the simulator's Trakt does not have


async def test_paths_outside_the_allowed_folders_are_refused(
    hass: HomeAssistant, sim_urls: Simulator, folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    entry = await account(hass, sim_urls, "trakt")
    outside = tmp_path_factory.mktemp("outside") / "x.csv"
    outside.write_text("kind,ids,title\n", encoding="utf-8")
    for action, field in (("import_history", "file"), ("export_history", "folder")):
        with pytest.raises(ServiceValidationError) as refused:
            await call(hass, action, {"config_entry_id": entry.entry_id, field: str(outside)})
        assert refused.value.translation_key == "path_not_allowed"
    with pytest.raises(ServiceValidationError) as climbing:
        await call(
            hass,
            "import_history",
            {
                "config_entry_id": entry.entry_id,
                "file": str(folder / ".." / outside.parent.name / "x.csv"),
            },
        )
    assert climbing.value.translation_key == "path_not_allowed"


async def test_only_admins_may_import_or_export(
    hass: HomeAssistant,
    sim_urls: Simulator,
    folder: Path,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """Both read and write files under the config and media folders."""
    entry = await account(hass, sim_urls, "trakt")
    for action, field in (("import_history", "file"), ("export_history", "folder")):
        data = {"config_entry_id": entry.entry_id, field: str(folder / "x.csv")}
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                "crosswatch",
                action,
                data,
                blocking=True,
                return_response=True,
                context=Context(user_id=hass_read_only_user.id),
            )
    exported = await hass.services.async_call(
        "crosswatch",
        "export_history",
        {"config_entry_id": entry.entry_id, "folder": str(folder)},
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert isinstance(exported, dict)
    assert Path(str(exported["path"])).parent == folder


@pytest.mark.parametrize(
    ("name", "content", "key", "placeholder"),
    [
        ("missing.csv", None, "import_file_missing", None),
        ("notes.txt", b"hello", "import_file_unreadable", "not a .zip, .json or .csv file"),
        (
            "notes.csv",
            b"a,b\n1,2\n",
            "import_file_unreadable",
            "not a CrossWatch, Letterboxd or IMDb export",
        ),
    ],
)
async def test_unreadable_files_are_named_with_the_reason(  # noqa: PLR0917
    hass: HomeAssistant,
    sim_urls: Simulator,
    folder: Path,
    name: str,
    content: bytes | None,
    key: str,
    placeholder: str | None,
) -> None:
    entry = await account(hass, sim_urls, "trakt")
    if content is not None:
        (folder / name).write_bytes(content)
    with pytest.raises(ServiceValidationError) as refused:
        await call(
            hass, "import_history", {"config_entry_id": entry.entry_id, "file": str(folder / name)}
        )
    assert refused.value.translation_key == key
    if placeholder is not None:
        assert refused.value.translation_placeholders is not None
        assert placeholder in refused.value.translation_placeholders["reason"]


async def test_letterboxd_rows_without_ids_are_found_on_tmdb_and_reported_as_guessed(
    hass: HomeAssistant, sim_urls: Simulator, folder: Path
) -> None:
    entry = await account(hass, sim_urls, "trakt")
    diary = folder / "diary.csv"
    diary.write_text(
        (REAL / "letterboxd" / "diary.csv").read_text(encoding="utf-8")
        + "2019-01-02,Inception,2010,https://boxd.it/x,,,,2003-03-03\n",
        encoding="utf-8",
    )
    data = {"config_entry_id": entry.entry_id, "file": str(diary), "features": ["history"]}
    # No TMDb account: Trakt's own search, one request per title without ids.
    await sim_urls.clear_requests()
    without = await call(hass, "import_history", {**data, "dry_run": True})
    history = without["features"]["history"]
    assert (history["matched"], history["guessed"], history["unmatched"]) == (1, 1, 6)
    assert history["unmatched_reasons"] == {"no_ids": 6}
    searches = await sim_urls.requests("trakt", "GET /search/{type}")
    assert len(searches) == 7
    assert {"query": "Inception", "years": "2010"}.items() <= searches[-1]["query"].items()

    await setup_entries(hass, tmdb_entry())
    await sim_urls.clear_requests()
    done = await call(hass, "import_history", data)
    history = done["features"]["history"]
    # TMDb first when connected; the simulator's TMDb knows Inception only.
    assert await sim_urls.requests("trakt", "GET /search/{type}") == []
    assert (history["matched"], history["guessed"], history["unmatched"]) == (1, 1, 6)
    assert history["samples"]["to_add"] == ["Inception (2010)"]
    assert done["written"] == {"history": 1}
    again = await call(hass, "import_history", data)
    assert again["written"] == {}
