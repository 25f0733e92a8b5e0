"""The *Sync now* button of every sync pair."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .entity import PairEntity, pair_platform
from .pairs import PairNotReadyError
from .services import raise_for_runs

# A press runs the pair, which serializes itself.
PARALLEL_UPDATES = 0


# One button per sync pair, on its subentry.
async_setup_entry = pair_platform(lambda runner: [SyncNowButton(runner, "sync_now")])


class SyncNowButton(PairEntity, ButtonEntity):
    """Run the pair now."""

    _attr_translation_key = "sync_now"

    async def async_press(self) -> None:
        """Run once and wait for it; a failed run, or one holding removals, raises."""
        try:
            summary = await self.runner.async_run()
        except PairNotReadyError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=err.reason,
                translation_placeholders={"pair": self.runner.title},
            ) from err
        raise_for_runs([summary])
