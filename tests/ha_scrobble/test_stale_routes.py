"""A removed scrobble route (or routed user) takes its entities along."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import entity_registry as er

from .conftest import OWNER, SHARED, route, until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Accounts


def _scrobble_keys(hass: HomeAssistant, entry_id: str) -> set[str]:
    return {
        e.unique_id.removeprefix(f"{entry_id}_")
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
        if e.platform == "crosswatch" and e.domain in ("sensor", "image", "event", "binary_sensor")
    } - {"watchlist"}


async def test_removing_the_last_route_removes_every_scrobble_entity(
    hass: HomeAssistant, accounts: Accounts
) -> None:
    entry = await accounts.add_plex([OWNER])
    await until(lambda: accounts.scrobbler.listener.connected)
    assert _scrobble_keys(hass, entry.entry_id) == {
        "plex_listener",
        "scrobble",
        f"now_watching_{OWNER}",
        f"now_watching_poster_{OWNER}",
    }
    (route_id,) = entry.subentries
    assert hass.config_entries.async_remove_subentry(entry, route_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.scrobble is None
    assert _scrobble_keys(hass, entry.entry_id) == set()


async def test_a_user_no_longer_routed_loses_their_entities(
    hass: HomeAssistant, accounts: Accounts
) -> None:
    trakt = accounts.trakt.entry_id
    entry = await accounts.add_plex(
        routes=[route([OWNER], [trakt], "Owner"), route([SHARED], [trakt], "Friend")]
    )
    assert f"now_watching_{SHARED}" in _scrobble_keys(hass, entry.entry_id)
    friend = next(sid for sid, sub in entry.subentries.items() if sub.title == "Friend")
    assert hass.config_entries.async_remove_subentry(entry, friend)
    await hass.async_block_till_done()
    assert _scrobble_keys(hass, entry.entry_id) == {
        "plex_listener",
        "scrobble",
        f"now_watching_{OWNER}",
        f"now_watching_poster_{OWNER}",
    }
