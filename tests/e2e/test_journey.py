"""A new user's whole journey through Home Assistant's own frontend, in a real chromium.

Home Assistant and the simulator run as subprocesses. The person connects TMDb, SIMKL, Plex and
Trakt (its API app and a device code), adds a Plex→Trakt sync pair and a scrobble route, watches
the pair's first run, plays a film on the simulated Plex server and sees it with its poster, puts
the README's dashboard card up, imports an export into Trakt (upload, preview, outcome), and
confirms a held sync under Repairs. Every step is saved as
``artifacts/journey-NN-<step>.png``. The journey fails on any HTTP 5xx the page gets, any raw
translation key on screen, and any ERROR line from CrossWatch in Home Assistant's log.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from homeassistant.util import slugify
from playwright.async_api import Page, expect

from simulator import credentials as cred

from .journey import (
    Api,
    Watch,
    approve_in_new_tab,
    crosswatch_errors,
    finish_created,
    log_in,
    navigate,
    snap,
    start_crosswatch_flow,
    until,
)

if TYPE_CHECKING:
    from .conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
# Starting Home Assistant plus some forty steps in the frontend, on two cores shared with others.
JOURNEY_TIMEOUT = 300
# The README's example: a Plex server named "Living Room", Plex user anna.
README_DEVICE = "living_room_anna"
README_USER = "_anna"
PLEX_TITLE = f"{cred.PMS_NAME} ({cred.PLEX_OWNER_NAME})"
TRAKT_TITLE = f"Trakt ({cred.TRAKT_USER})"
SIMKL_TITLE = f"SIMKL ({cred.SIMKL_USER})"
PAIR_TITLE = f"{PLEX_TITLE} → {TRAKT_TITLE}"
# Entity ids as HA forms them: the device (account) name, then the entity's name, slugified.
PLEX_DEVICE = slugify(PLEX_TITLE)
OWNER = slugify(cred.PLEX_OWNER_NAME)
PAIR = slugify(PAIR_TITLE)
INCEPTION = "1000"  # its rating key on the simulated server, as the README says


class Journey:
    """The person, their browser page, and what the test reads behind the scenes."""

    def __init__(self, stack: Stack, page: Page) -> None:
        self.stack = stack
        self.page = page
        self.api = Api(stack.session, stack.ha_url)
        self.watch = Watch()
        self.watch.attach(page)
        self.shots = 0
        self.started = time.monotonic()

    async def snap(self, name: str) -> None:
        self.shots += 1
        print(f"{time.monotonic() - self.started:6.1f} s  {name}")  # noqa: T201 - step timings
        await snap(self.page, self.watch, f"{self.shots:02d}-{name}")

    # -- accounts ----------------------------------------------------------------------------
    async def connect_tmdb(self) -> None:
        page = self.page
        await start_crosswatch_flow(page, self.stack.ha_url, "TMDb")
        key = page.get_by_role("textbox", name="API key or read access token")
        await key.fill("0" * 32)
        await page.get_by_role("button", name="Submit").click()
        # A refused key: its own message, and the key stays in the field to be corrected.
        await expect(page.get_by_text("TMDb did not accept this key.")).to_be_visible()
        await expect(key).to_have_value("0" * 32)
        await self.snap("tmdb-key-refused")
        await key.fill(cred.TMDB_V3_KEY)
        await page.get_by_role("button", name="Submit").click()
        await finish_created(page, "TMDb")

    async def connect_simkl(self) -> None:
        page = self.page
        await start_crosswatch_flow(page, self.stack.ha_url, "SIMKL")
        client_id = page.get_by_role("textbox", name="Client ID")
        await client_id.fill("not-a-client-id")
        await page.get_by_role("button", name="Submit").click()
        await expect(page.get_by_text("SIMKL does not know this client ID.")).to_be_visible()
        await expect(client_id).to_have_value("not-a-client-id")
        await self.snap("simkl-client-id-refused")
        await client_id.fill(cred.SIMKL_CLIENT_ID)
        await page.get_by_role("button", name="Submit").click()
        link = await self._sign_in_link()
        code = await page.locator("strong").last.inner_text()
        await self.snap("simkl-pin")
        tab = await approve_in_new_tab(page, link, code, "Approve")
        await tab.close()
        await finish_created(page, SIMKL_TITLE)

    async def _sign_in_link(self) -> str:
        """The progress step's link: offline, the simulator's approve page, never the real site."""
        link = self.page.locator(f'a[href^="{self.stack.sim_url}/_sim/approve"]')
        await expect(link).to_be_visible()
        href = await link.get_attribute("href")
        assert href is not None
        return href

    async def connect_plex(self) -> None:
        page = self.page
        await start_crosswatch_flow(page, self.stack.ha_url, "Plex")
        await expect(page.get_by_text("Sign in to Plex", exact=True)).to_be_visible()
        href = await self._sign_in_link()
        query = parse_qs(urlsplit(href).fragment.removeprefix("?"))
        assert query["context[device][product]"] == ["CrossWatch"]
        assert query["clientID"][0]
        await self.snap("plex-pin")
        tab = await approve_in_new_tab(page, href, query["code"][0], "Approve as owner")
        await tab.close()
        # The owner sees their own server and a neighbour's shared one: a choice to make.
        await expect(page.get_by_text("Choose the Plex server", exact=True)).to_be_visible()
        server = page.get_by_label("Server")
        await expect(server.get_by_text(cred.PMS_NAME)).to_be_visible()  # owned come first
        await server.click()
        shared = page.get_by_text("Neighbour's Server (shared by neighbour)", exact=True)
        await expect(shared).to_be_visible()
        await self.snap("plex-server")
        await page.get_by_text(cred.PMS_NAME, exact=True).last.click()
        await expect(shared).to_be_hidden()
        await page.get_by_role("button", name="Submit").click()
        await finish_created(page, PLEX_TITLE)

    async def connect_trakt(self) -> None:
        page = self.page
        await start_crosswatch_flow(page, self.stack.ha_url, "Trakt")
        # No Trakt app stored yet: the flow asks for it itself, then goes on (no restart).
        await expect(page.get_by_text("Your Trakt API app", exact=True)).to_be_visible()
        await page.get_by_role("textbox", name="Client ID").fill(cred.TRAKT_CLIENT_ID)
        await page.get_by_role("textbox", name="Client secret").fill(cred.TRAKT_CLIENT_SECRET)
        await self.snap("trakt-app")
        await page.get_by_role("button", name="Submit").click()
        await expect(page.get_by_text("Sign in to Trakt", exact=True)).to_be_visible()
        await self.snap("trakt-sign-in-choice")
        await page.get_by_text("Enter a code on trakt.tv (recommended)").click()
        link = await self._sign_in_link()
        code = await page.locator("strong").last.inner_text()
        await self.snap("trakt-device-code")
        tab = await approve_in_new_tab(page, link, code, "Approve")
        await tab.close()
        await finish_created(page, TRAKT_TITLE)

    async def integration_page(self) -> None:
        page = self.page
        await navigate(page, "/config/integrations/integration/crosswatch")
        await expect(page.get_by_text(PLEX_TITLE, exact=True).first).to_be_visible()
        entries = await self.api.entries()
        assert sorted((e["title"], e["state"]) for e in entries) == sorted(
            (title, "loaded") for title in (PLEX_TITLE, TRAKT_TITLE, SIMKL_TITLE, "TMDb")
        )
        await self.snap("accounts")

    # -- sync pair ---------------------------------------------------------------------------
    async def add_sync_pair(self) -> None:
        page = self.page
        await navigate(page, "/config/integrations/integration/crosswatch")
        await page.get_by_role("button", name="Add sync pair").click()
        await page.get_by_role("button", name=PLEX_TITLE, exact=True).click()
        # The first step names this account and asks for the other one.
        await expect(page.get_by_text("in step with another account.")).to_be_visible()
        await page.get_by_text("Other account *").click()
        options = page.locator(
            "ha-dropdown-item, md-select-option, ha-md-select-option, [role=option]"
        )
        await options.filter(has_text=TRAKT_TITLE).first.click()
        await self.snap("pair-other-account")
        await page.get_by_role("button", name="Submit").click()
        # The second names both, and offers only what both support.
        await expect(
            page.get_by_text(f"{PLEX_TITLE} and {TRAKT_TITLE}", exact=True)
        ).to_be_visible()
        await page.get_by_role("radio", name="Carry removals over").check()
        await self.snap("pair-what-and-how")
        await page.get_by_role("button", name="Submit").click()
        await page.get_by_role("button", name="Finish").click()
        await expect(page.get_by_role("button", name="Finish")).to_be_hidden()

    # -- history import ----------------------------------------------------------------------
    async def import_history(self) -> None:
        """An export uploaded into the Trakt account: its preview, then the import's outcome."""
        page = self.page
        export = self.stack.work / "my-plays.csv"
        export.write_text(
            "kind,ids,title,year,watched_at\n"
            "movie,imdb:tt1375666,Inception,2010,2001-01-01T20:00:00Z\n"
            "movie,imdb:tt0137523,Fight Club,1999,2001-01-02T20:00:00Z\n"
            "movie,,,,2001-01-03T20:00:00Z\n",
            encoding="utf-8",
        )
        await navigate(page, "/config/integrations/integration/crosswatch")
        await page.get_by_role("button", name="Import history").click()
        await page.get_by_role("button", name=TRAKT_TITLE, exact=True).click()
        await expect(page.get_by_text(f"Import history into {TRAKT_TITLE}")).to_be_visible()
        await page.locator("input[type=file]").set_input_files(export)
        await expect(page.get_by_text("my-plays.csv").first).to_be_visible()
        await self.snap("import-upload")
        await page.get_by_role("button", name="Submit").click()
        # The preview: what would be added, and the row that could not be read.
        await expect(page.get_by_text("What the import would do", exact=True)).to_be_visible()
        await expect(page.get_by_text("2 to add").first).to_be_visible()
        await expect(page.get_by_text("my-plays.csv, row 4, column ids").first).to_be_visible()
        await self.snap("import-preview")
        await page.get_by_role("button", name="Submit").click()
        await expect(page.get_by_text(f"The import into {TRAKT_TITLE} is done")).to_be_visible()
        await self.snap("import-done")
        close = page.locator("ha-dialog-footer").get_by_role("button", name="Close")
        await close.click()
        await expect(close).to_be_hidden()

    async def first_run(self) -> None:
        """Nobody presses Sync now: the new pair's first run has happened by itself."""
        result = await until(lambda: self._state_is(f"sensor.{PAIR}_result", "ok"))
        added = await self.api.state(f"sensor.{PAIR}_added")
        assert added is not None
        assert int(added["state"]) > 0
        assert "unit_of_measurement" not in added["attributes"]
        assert result["attributes"]["watchlist_adds"] == int(added["state"])
        await self.open_device(f"sensor.{PAIR}_result")
        await expect(self.page.get_by_text("Sync pair", exact=True).first).to_be_visible()
        await self.snap("pair-first-run")
        await self.attributes("Result", "Watchlist: added")
        await self.snap("pair-result-attributes")
        await self.close_more_info()

    async def close_more_info(self) -> None:
        """Leave the entity dialog (Escape, as a person would), back to the page behind it."""
        await self.page.keyboard.press("Escape")
        dialog = self.page.locator(
            "ha-more-info-dialog ha-dialog[open], ha-more-info-dialog [open]"
        )
        await expect(dialog).to_have_count(0)

    async def attributes(self, entity: str, attribute: str) -> None:
        """Open ``entity``'s dialog from the device page and show its attributes."""
        page = self.page
        await page.get_by_text(entity, exact=True).first.click()
        dialog = page.locator("ha-more-info-dialog")
        await dialog.get_by_role("button", name="Menu").click()
        await page.get_by_role("menuitem", name="Details").click()
        await expect(page.get_by_text(attribute, exact=True)).to_be_visible()

    async def _state_is(self, entity_id: str, wanted: str) -> dict[str, Any] | None:
        state = await self.api.state(entity_id)
        return state if state is not None and state["state"] == wanted else None

    async def open_device(self, entity_id: str) -> None:
        """The device page of ``entity_id``'s device, as Settings > Devices shows it."""
        device_id = await self.api.template(f"{{{{ device_id('{entity_id}') }}}}")
        await navigate(self.page, f"/config/devices/device/{device_id}")
        await expect(self.page.get_by_text("Service info").first).to_be_visible()

    # -- scrobbling ------------------------------------------------------------------------------
    async def add_scrobble_route(self) -> None:
        page = self.page
        watchlist = await self.api.state(f"sensor.{PLEX_DEVICE}_watchlist")
        assert watchlist is not None
        await navigate(page, "/config/integrations/integration/crosswatch")
        # The only Plex account: no account to pick first.
        await page.get_by_role("button", name="Add scrobble route").click()
        # The webhook URL shown is the address Home Assistant listens on.
        await expect(page.get_by_text(f"{self.stack.ha_url}/api/webhook/")).to_be_visible()
        await page.get_by_role("checkbox", name=SIMKL_TITLE).uncheck(force=True)
        await page.get_by_role("checkbox", name=TRAKT_TITLE).check(force=True)
        await self.snap("scrobble-route")
        await page.get_by_role("button", name="Submit").click()
        await page.get_by_role("button", name="Finish").click()
        await expect(page.get_by_role("button", name="Finish")).to_be_hidden()
        await until(lambda: self.api.state(f"sensor.{PLEX_DEVICE}_now_watching_{OWNER}"))
        # No reload: the account's sensor never left (a reload would make it unavailable).
        after = await self.api.state(f"sensor.{PLEX_DEVICE}_watchlist")
        assert after is not None
        assert after["last_changed"] == watchlist["last_changed"], (watchlist, after)
        await navigate(page, "/config/integrations/integration/crosswatch")
        await expect(page.get_by_text(f"All Plex users → {TRAKT_TITLE}").first).to_be_visible()
        await self.snap("routes-and-pairs")

    async def playback(self) -> None:
        """Inception plays on the simulated server: the sensor and its poster follow."""
        async with self.stack.session.post(
            f"{self.stack.sim_url}/_sim/plex/playback/play",
            json={"rating_key": INCEPTION, "offset_ms": 600_000},
        ) as response:
            assert response.status == 200, await response.text()
        sensor = f"sensor.{PLEX_DEVICE}_now_watching_{OWNER}"
        state = await until(lambda: self._state_is(sensor, "Inception"))
        assert state["attributes"]["progress"] > 0
        poster = await until(
            lambda: self._picture(f"image.{PLEX_DEVICE}_now_watching_poster_{OWNER}")
        )
        assert poster.startswith("/api/image_proxy/")
        await self.open_device(sensor)
        await expect(self.page.get_by_text("Inception", exact=True).first).to_be_visible()
        await expect(self.page.get_by_text("Idle", exact=True).first).to_be_visible()
        await self.snap("now-watching")
        await self.attributes(f"Now watching {cred.PLEX_OWNER_NAME}", "Progress (%)")
        await self.snap("now-watching-attributes")
        await self.close_more_info()

    async def _picture(self, entity_id: str) -> str | None:
        state = await self.api.state(entity_id)
        return None if state is None else state["attributes"].get("entity_picture")

    async def readme_card(self) -> None:
        """The README's card, with the ids this user got, on a dashboard of its own."""
        card = readme_card(PLEX_DEVICE, OWNER)
        page = self.page
        await page.wait_for_function(
            "() => document.querySelector('home-assistant')?.hass?.connection"
        )
        await page.evaluate(
            """async card => {
              const hass = document.querySelector('home-assistant').hass;
              await hass.callWS({type: 'lovelace/dashboards/create', url_path: 'now-watching',
                                 title: 'Now watching', mode: 'storage'});
              await hass.callWS({type: 'lovelace/config/save', url_path: 'now-watching',
                                 config: {views: [{title: 'Home', cards: [card]}]}});
            }""",
            card,
        )
        await navigate(page, "/now-watching/0")
        poster = page.locator("hui-picture-entity-card img")
        await expect(poster).to_be_visible()
        await expect(poster).to_have_js_property("complete", value=True)
        width = await poster.evaluate("img => img.naturalWidth")
        assert width > 0, "the poster did not load"
        await expect(page.get_by_text("Inception").first).to_be_visible()
        await self.snap("readme-card")

    # -- repairs ---------------------------------------------------------------------------------
    async def held_sync(self) -> None:
        """Plex drops a title; the pair would remove it on Trakt: held until confirmed."""
        await self.drop_from_plex_watchlist()
        page = self.page
        await self.open_device(f"button.{PAIR}_sync_now")
        await page.get_by_role("button", name="Press").first.click()
        await until(lambda: self._state_is(f"sensor.{PAIR}_result", "held"))
        await navigate(page, "/config/repairs")
        issue = page.get_by_text(f"{PAIR_TITLE} is holding removals", exact=True)
        await expect(issue).to_be_visible()
        await self.snap("repairs-held")
        await issue.click()
        await expect(page.get_by_text(f"Apply the held removals of {PAIR_TITLE}?")).to_be_visible()
        await self.snap("repairs-confirm")
        await page.get_by_role("button", name="Submit").click()
        await until(lambda: self._state_is(f"sensor.{PAIR}_removed", "1"))
        result = await self.api.state(f"sensor.{PAIR}_result")
        assert result is not None
        assert result["state"] == "ok"
        await (
            page.get_by_role("button", name="Finish")
            .or_(page.get_by_role("button", name="Close"))
            .first.click()
        )
        await navigate(page, "/config/repairs")
        await expect(page.get_by_text("There are currently no repairs pending")).to_be_visible()
        await self.snap("repairs-done")

    async def drop_from_plex_watchlist(self) -> None:
        """The owner takes one title off their Plex watchlist (on plex.tv, not in HA)."""
        discover = f"{self.stack.sim_url}/plex-discover"
        headers = {"X-Plex-Token": cred.PLEX_OWNER_TOKEN, "Accept": "application/json"}
        async with self.stack.session.get(
            f"{discover}/library/sections/watchlist/all", headers=headers
        ) as response:
            rows = (await response.json())["MediaContainer"]["Metadata"]
        async with self.stack.session.put(
            f"{discover}/actions/removeFromWatchlist",
            params={"ratingKey": rows[0]["ratingKey"]},
            headers=headers,
        ) as response:
            assert response.status == 200, await response.text()


@pytest.mark.timeout(JOURNEY_TIMEOUT)
async def test_new_users_whole_journey(stack: Stack, page: Page) -> None:
    journey = Journey(stack, page)
    await journey.api.sign_in()
    await log_in(page, stack.ha_url)
    await journey.connect_tmdb()
    await journey.connect_simkl()
    await journey.connect_plex()
    await journey.connect_trakt()
    await journey.integration_page()
    await journey.add_sync_pair()
    await journey.first_run()
    await journey.import_history()
    await journey.add_scrobble_route()
    await journey.playback()
    await journey.readme_card()
    await journey.held_sync()

    entity_ids = {s["entity_id"] for s in await journey.api.get("states")}
    log = stack.work / "config" / "home-assistant.log"
    assert not journey.watch.server_errors
    assert not journey.watch.raw_keys
    assert not crosswatch_errors(log, entity_ids)


def readme_card(device: str, user: str) -> dict[str, Any]:
    """The README's dashboard card, its example ids made this user's by the README's own rule."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(type: conditional\n.*?)```", text, re.DOTALL)
    assert block, "the README lost its dashboard card"
    yaml_text = block.group(1).replace(README_DEVICE, device).replace(README_USER, f"_{user}")
    card: dict[str, Any] = yaml.safe_load(yaml_text)
    return card
