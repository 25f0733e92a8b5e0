"""The *Enabled* switch of every sync pair; a disabled pair does not run. Restored on restart."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_OFF
from homeassistant.helpers.restore_state import RestoreEntity

from .entity import PairEntity, pair_platform

PARALLEL_UPDATES = 0


# One switch per sync pair, on its subentry.
async_setup_entry = pair_platform(lambda runner: [PairEnabledSwitch(runner, "enabled")])


class PairEnabledSwitch(PairEntity, SwitchEntity, RestoreEntity):
    """Whether the pair runs."""

    _attr_translation_key = "enabled"

    async def async_added_to_hass(self) -> None:
        """Restore the last choice before following the runner."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None:
            self.runner.async_set_enabled(enabled=last.state != STATE_OFF)

    @property
    def is_on(self) -> bool:
        """Whether the pair runs."""
        return self.runner.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Let the pair run."""
        self.runner.async_set_enabled(enabled=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the pair from running."""
        self.runner.async_set_enabled(enabled=False)
