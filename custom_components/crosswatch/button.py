"""The *Sync now* button of every sync pair.

Built from descriptions, one tuple per owner kind (see ``entity.py`` for the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .entity import PairEntity, async_add_crosswatch_entities
from .pairs import PairNotReadyError
from .services import raise_for_runs

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .pairs import PairRunner

# A press runs the pair, which serializes itself.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PairButtonDescription(ButtonEntityDescription):
    """A button of a sync pair: ``press_fn`` does what a press asks of the runner."""

    press_fn: Callable[[PairRunner], Coroutine[Any, Any, None]]


async def _sync_now(runner: PairRunner) -> None:
    """Run once and wait for it; a failed run, or one holding removals, raises."""
    try:
        summary = await runner.async_run()
    except PairNotReadyError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=err.reason,
            translation_placeholders={"pair": runner.title},
        ) from err
    raise_for_runs([summary])


PAIR_BUTTONS: tuple[PairButtonDescription, ...] = (
    PairButtonDescription(key="sync_now", translation_key="sync_now", press_fn=_sync_now),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add every pair's buttons, on its subentry."""
    async_add_crosswatch_entities(
        hass,
        entry,
        async_add_entities,
        pair=lambda runner: [PairButton(runner, d) for d in PAIR_BUTTONS],
    )


class PairButton(PairEntity, ButtonEntity):
    """A button of a sync pair."""

    entity_description: PairButtonDescription

    async def async_press(self) -> None:
        """Do what the description says a press does."""
        await self.entity_description.press_fn(self.runner)
