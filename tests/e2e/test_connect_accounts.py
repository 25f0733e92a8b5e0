"""A person connects TMDb and Plex through Home Assistant's own frontend, in a real chromium.

Home Assistant and the simulator run as subprocesses; the test clicks through Settings, Devices &
services, Add integration, CrossWatch, and approves the Plex PIN as the simulator's owner would.
Screenshots of every major step land in ``artifacts/e2e-*.png``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page, expect

from simulator import credentials as cred

from .harness import ARTIFACTS, DEV_PASSWORD, DEV_USER

if TYPE_CHECKING:
    from .conftest import Stack

PLEX_TITLE = f"{cred.PMS_NAME} ({cred.PLEX_OWNER_NAME})"


async def snap(page: Page, name: str) -> None:
    """Save what the person sees now as ``artifacts/e2e-<name>.png``."""
    await page.screenshot(path=ARTIFACTS / f"e2e-{name}.png")


async def log_in(page: Page, ha_url: str) -> None:
    """Sign in on HA's login page as the dev user."""
    await page.goto(ha_url)
    await page.get_by_role("textbox", name="Username").fill(DEV_USER)
    await page.get_by_role("textbox", name="Password").fill(DEV_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: "/auth/" not in url and "auth_callback" not in url)


async def start_crosswatch_flow(page: Page, ha_url: str, service: str) -> None:
    """Settings > Devices & services > Add integration > CrossWatch > the service's menu entry."""
    await page.goto(f"{ha_url}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("CrossWatch")
    await page.get_by_role("button", name="CrossWatch", exact=True).click()
    # Dialog content is slotted into ha-dialog, so it is found from the page, not the <dialog>.
    await expect(page.get_by_text("Which service do you want to connect?")).to_be_visible()
    await page.get_by_text(service, exact=True).click()


async def expect_device_created(page: Page, device: str) -> None:
    """The flow's last dialog offers to name the new entry's device and assign it an area."""
    await expect(page.get_by_text("Name and assign", exact=True)).to_be_visible()
    await expect(page.get_by_role("textbox", name="Device name")).to_have_value(device)


async def pending_plex_pin_id(stack: Stack, code: str) -> int:
    """The id of the PIN with ``code``, as the simulator's approve page lists it."""
    async with stack.session.get(f"{stack.sim_url}/_sim/approve") as response:
        page = await response.text()
    found = re.search(rf"<b>{re.escape(code)}</b>.*?name=\"id\" value=\"(\d+)\"", page)
    assert found, f"PIN {code} is not pending in the simulator:\n{page}"
    return int(found.group(1))


async def access_token(stack: Stack) -> str:
    """A token for HA's REST API, through the same login flow the frontend uses."""
    client = {"client_id": f"{stack.ha_url}/"}
    async with stack.session.post(
        f"{stack.ha_url}/auth/login_flow",
        json={**client, "handler": ["homeassistant", None], "redirect_uri": f"{stack.ha_url}/"},
    ) as response:
        flow = await response.json()
    async with stack.session.post(
        f"{stack.ha_url}/auth/login_flow/{flow['flow_id']}",
        json={**client, "username": DEV_USER, "password": DEV_PASSWORD},
    ) as response:
        result = await response.json()
    assert result["type"] == "create_entry", result
    async with stack.session.post(
        f"{stack.ha_url}/auth/token",
        data={**client, "grant_type": "authorization_code", "code": result["result"]},
    ) as response:
        return str((await response.json())["access_token"])


async def crosswatch_entries(stack: Stack) -> list[dict[str, Any]]:
    """CrossWatch's config entries as HA's REST API lists them."""
    headers = {"Authorization": f"Bearer {await access_token(stack)}"}
    async with stack.session.get(
        f"{stack.ha_url}/api/config/config_entries/entry",
        params={"domain": "crosswatch"},
        headers=headers,
    ) as response:
        assert response.status == 200, await response.text()
        entries: list[dict[str, Any]] = await response.json()
    return entries


async def test_person_connects_tmdb_and_plex(stack: Stack, page: Page) -> None:
    await log_in(page, stack.ha_url)
    await snap(page, "01-logged-in")

    # TMDb: the v3 key is checked against the simulator before the entry is saved.
    await start_crosswatch_flow(page, stack.ha_url, "TMDb")
    key_field = page.get_by_role("textbox", name=re.compile("API key or read access token"))
    await key_field.fill(cred.TMDB_V3_KEY)
    await snap(page, "02-tmdb-key")
    await page.get_by_role("button", name="Submit").click()
    await expect_device_created(page, "TMDb")
    await snap(page, "03-tmdb-created")
    await page.get_by_role("button", name="Skip and finish").click()

    # Plex: a PIN login shown as a progress step with the app.plex.tv link.
    await start_crosswatch_flow(page, stack.ha_url, "Plex")
    await expect(page.get_by_text("Sign in to Plex", exact=True)).to_be_visible()
    link = page.locator('a[href^="https://app.plex.tv/auth#?"]')
    await expect(link).to_be_visible()
    await snap(page, "04-plex-pin")
    href = await link.get_attribute("href")
    assert href is not None
    query = parse_qs(urlsplit(href).fragment.removeprefix("?"))
    assert query["context[device][product]"] == ["CrossWatch"]
    assert query["clientID"][0]
    pin_id = await pending_plex_pin_id(stack, query["code"][0])

    # The person approves on plex.tv; the dialog moves on by itself.
    async with stack.session.post(
        f"{stack.sim_url}/_sim/plex/pins/{pin_id}/approve", json={}
    ) as response:
        assert response.status == 200, await response.text()
    # The simulated owner sees their own server and a neighbour's shared one: a choice to make.
    await expect(page.get_by_text("Choose the Plex server", exact=True)).to_be_visible()
    server = page.get_by_label("Server")
    # Owned servers come first, so the owner's server is the one already chosen.
    await expect(server.get_by_text(cred.PMS_NAME)).to_be_visible()
    await server.click()
    shared = page.get_by_text("Neighbour's Server (shared by neighbour)", exact=True)
    await expect(shared).to_be_visible()
    await snap(page, "05-plex-server")
    # The list's own entry (after the field showing the current choice); the title checked
    # below tells if another server was taken.
    await page.get_by_text(cred.PMS_NAME, exact=True).last.click()
    await expect(shared).to_be_hidden()
    await page.get_by_role("button", name="Submit").click()
    await expect_device_created(page, PLEX_TITLE)
    await snap(page, "06-plex-created")
    await page.get_by_role("button", name="Skip and finish").click()

    # Both accounts are there, set up, as HA itself reports them and as the person sees them.
    entries = await crosswatch_entries(stack)
    assert sorted((e["title"], e["state"]) for e in entries) == [
        (PLEX_TITLE, "loaded"),
        ("TMDb", "loaded"),
    ]
    await page.goto(f"{stack.ha_url}/config/integrations/integration/crosswatch")
    # Each entry's row, then its account device's row, both titled after the account.
    await expect(page.get_by_text(PLEX_TITLE, exact=True)).to_have_count(2)
    await expect(page.get_by_text("TMDb", exact=True)).to_have_count(2)
    await snap(page, "07-crosswatch-entries")
