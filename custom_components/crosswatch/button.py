"""The *Sync now* button of every sync pair."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .entity import PairEntity
from .pairs import PairNotReadyError

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry

# A press runs the pair, which serializes itself.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one button per sync pair, on its subentry."""
    for subentry_id, runner in entry.runtime_data.pair_runners.items():
        async_add_entities([SyncNowButton(runner, "sync_now")], config_subentry_id=subentry_id)


class SyncNowButton(PairEntity, ButtonEntity):
    """Run the pair now."""

    _attr_translation_key = "sync_now"

    async def async_press(self) -> None:
        """Run once and wait for it."""
        try:
            await self.runner.async_run()
        except PairNotReadyError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=err.reason,
                translation_placeholders={"pair": self.runner.title},
            ) from err
