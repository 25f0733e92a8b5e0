"""What a new user does in Home Assistant's frontend, step by step, for the browser test.

Every step waits for what the person would wait for (a dialog, a state, an image), never for a
fixed time. ``Watch`` collects what must never happen on the way: an HTTP 5xx answer, a raw
translation key on screen, an ERROR line from CrossWatch in Home Assistant's log.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playwright.async_api import Page, Response, expect

from .harness import ARTIFACTS, DEV_PASSWORD, DEV_USER

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    import aiohttp

# Every text node on the page, shadow roots included (HA's frontend is web components).
DEEP_TEXT_JS = """() => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.trim();
      if (text) out.push(text);
      return;
    }
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (node.tagName === 'STYLE' || node.tagName === 'SCRIPT') return;
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    for (const child of node.childNodes) walk(child);
  };
  walk(document);
  return out;
}"""
# What an untranslated string looks like on screen: a translation key, or a bare snake_case key.
RAW_KEY = re.compile(r"^(component|ui|state_attributes)\.[\w.]+$|^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
# Log lines of CrossWatch (its loggers, or HA's about its entities) at ERROR.
LOG_ERROR = re.compile(r"^\S+ \S+ ERROR ")


@dataclass(slots=True)
class Watch:
    """What went wrong on the way; the test fails at the end if anything did."""

    server_errors: list[str] = field(default_factory=list)
    raw_keys: dict[str, list[str]] = field(default_factory=dict)

    def attach(self, page: Page) -> None:
        """Record every 5xx answer the page gets."""

        def answered(response: Response) -> None:
            if response.status >= 500:
                self.server_errors.append(f"{response.status} {response.url}")

        page.on("response", answered)

    async def check_text(self, page: Page, step: str) -> None:
        """Remember raw translation keys on screen at ``step``."""
        texts = await page.evaluate(DEEP_TEXT_JS)
        raw = sorted({t for t in texts if RAW_KEY.match(t)})
        if raw:
            self.raw_keys[step] = raw


def crosswatch_errors(log: Path, entity_ids: set[str]) -> list[str]:
    """ERROR lines of Home Assistant's log that come from CrossWatch or name its entities."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if not LOG_ERROR.match(line):
            continue
        if "crosswatch" in line.lower() or any(e in line for e in entity_ids):
            found.append(line)
    return found


async def snap(page: Page, watch: Watch, name: str) -> None:
    """Save what the person sees now as ``artifacts/journey-<name>.png``; check its text."""
    await page.screenshot(path=ARTIFACTS / f"journey-{name}.png")
    await watch.check_text(page, name)


async def until[T](check: Callable[[], Awaitable[T | None]], limit: float = 60.0) -> T:
    """Poll ``check`` (an HTTP read) until it returns something; fail after ``limit`` seconds."""
    async with asyncio.timeout(limit):
        while (found := await check()) is None:  # noqa: ASYNC110 - polling another process
            await asyncio.sleep(0.25)
    return found


async def log_in(page: Page, ha_url: str) -> None:
    """Sign in on HA's login page as the dev user."""
    await page.goto(ha_url)
    await page.get_by_role("textbox", name="Username").fill(DEV_USER)
    await page.get_by_role("textbox", name="Password").fill(DEV_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: "/auth/" not in url and "auth_callback" not in url)


async def navigate(page: Page, path: str) -> None:
    """Go to ``path`` inside the loaded frontend, as its own links do (no reload of the app)."""
    await page.evaluate(
        """path => {
          history.pushState(null, '', path);
          window.dispatchEvent(new CustomEvent('location-changed', {detail: {replace: false}}));
        }""",
        path,
    )
    await page.wait_for_url(f"**{path}")


async def start_crosswatch_flow(page: Page, ha_url: str, service: str) -> None:
    """Settings > Devices & services > Add integration > CrossWatch > the service's menu entry."""
    del ha_url  # the frontend is loaded: move within it
    await navigate(page, "/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    await page.get_by_placeholder("Search for a brand name").fill("CrossWatch")
    await page.get_by_role("button", name="CrossWatch", exact=True).click()
    # Dialog content is slotted into ha-dialog, so it is found from the page, not the <dialog>.
    await expect(page.get_by_text("Which service do you want to connect?")).to_be_visible()
    await page.get_by_text(service, exact=True).click()


async def finish_created(page: Page, device: str) -> None:
    """The flow's last dialog names the new account's device; finish it."""
    await expect(page.get_by_role("textbox", name="Device name")).to_have_value(device)
    await page.get_by_role("button", name="Skip and finish").click()
    await expect(page.get_by_role("textbox", name="Device name")).to_be_hidden()


async def approve_in_new_tab(page: Page, link: str, code: str, button: str) -> Page:
    """Open the sign-in link shown (the simulator's approve page) and approve ``code``."""
    tab = await page.context.new_page()
    await tab.goto(link)
    row = tab.locator("li", has=tab.locator("b", has_text=code))
    await row.get_by_role("button", name=button).click()
    await expect(tab.get_by_text(code, exact=True)).to_be_hidden()
    return tab


@dataclass(slots=True)
class Api:
    """Home Assistant's REST API, signed in as the dev user (what the test reads, not clicks)."""

    session: aiohttp.ClientSession
    ha_url: str
    token: str = ""

    async def sign_in(self) -> None:
        """A token through the same login flow the frontend uses."""
        client = {"client_id": f"{self.ha_url}/"}
        async with self.session.post(
            f"{self.ha_url}/auth/login_flow",
            json={**client, "handler": ["homeassistant", None], "redirect_uri": f"{self.ha_url}/"},
        ) as response:
            flow = await response.json()
        async with self.session.post(
            f"{self.ha_url}/auth/login_flow/{flow['flow_id']}",
            json={**client, "username": DEV_USER, "password": DEV_PASSWORD},
        ) as response:
            result = await response.json()
        async with self.session.post(
            f"{self.ha_url}/auth/token",
            data={**client, "grant_type": "authorization_code", "code": result["result"]},
        ) as response:
            self.token = str((await response.json())["access_token"])

    async def get(self, path: str, **params: str) -> Any:
        """GET ``/api/<path>``."""
        async with self.session.get(
            f"{self.ha_url}/api/{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """The entity's state object, ``None`` while it does not exist."""
        async with self.session.get(
            f"{self.ha_url}/api/states/{entity_id}",
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            if response.status == 404:
                return None
            assert response.status == 200, await response.text()
            found: dict[str, Any] = await response.json()
            return found

    async def template(self, template: str) -> str:
        """Render ``template`` the way the template dev tool does."""
        async with self.session.post(
            f"{self.ha_url}/api/template",
            json={"template": template},
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            assert response.status == 200, await response.text()
            return await response.text()

    async def entries(self) -> list[dict[str, Any]]:
        """CrossWatch's config entries."""
        found: list[dict[str, Any]] = await self.get(
            "config/config_entries/entry", domain="crosswatch"
        )
        return found
