"""Where CPU work over a whole library runs: away from the event loop (Home Assistant: executor).

Planning, folding a run's outcome and building inventories from thousands of rows take tenths of
a second on a large library (seconds on a Raspberry Pi); on the event loop that would freeze
every other integration meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class Offload(Protocol):
    """Runs ``func(*args)`` away from the event loop and awaits the result."""

    def __call__[T](self, func: Callable[..., T], /, *args: Any) -> Awaitable[T]:
        """Return the awaitable result."""


async def run_inline[T](func: Callable[..., T], /, *args: Any) -> T:
    """The ``Offload`` of plain scripts and tests: call ``func`` right here."""
    return func(*args)
