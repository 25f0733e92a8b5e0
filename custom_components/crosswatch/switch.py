"""The *Enabled* switch of every sync pair; a disabled pair does not run. Restored on restart.

Built from descriptions, one tuple per owner kind (see ``entity.py`` for the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import STATE_OFF
from homeassistant.helpers.restore_state import RestoreEntity

from .entity import PairEntity, async_add_crosswatch_entities

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .pairs import PairRunner

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PairSwitchDescription(SwitchEntityDescription):
    """A switch of a sync pair: ``is_on_fn`` reads the runner, ``set_fn`` turns it on or off."""

    is_on_fn: Callable[[PairRunner], bool]
    set_fn: Callable[[PairRunner, bool], None]


def _set_enabled(runner: PairRunner, on: bool) -> None:  # noqa: FBT001 - the switch's state
    runner.async_set_enabled(enabled=on)


PAIR_SWITCHES: tuple[PairSwitchDescription, ...] = (
    # Whether the pair runs.
    PairSwitchDescription(
        key="enabled",
        translation_key="enabled",
        is_on_fn=lambda runner: runner.enabled,
        set_fn=_set_enabled,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add every pair's switches, on its subentry."""
    async_add_crosswatch_entities(
        hass,
        entry,
        async_add_entities,
        pair=lambda runner: [PairSwitch(runner, d) for d in PAIR_SWITCHES],
    )


class PairSwitch(PairEntity, SwitchEntity, RestoreEntity):
    """A switch of a sync pair; the last choice survives a restart."""

    entity_description: PairSwitchDescription

    async def async_added_to_hass(self) -> None:
        """Restore the last choice before following the runner."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None:
            self.entity_description.set_fn(self.runner, last.state != STATE_OFF)

    @property
    def is_on(self) -> bool:
        """Return the description's reading of the pair."""
        return self.entity_description.is_on_fn(self.runner)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on."""
        self.entity_description.set_fn(self.runner, True)  # noqa: FBT003

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn off."""
        self.entity_description.set_fn(self.runner, False)  # noqa: FBT003
