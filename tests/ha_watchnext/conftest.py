"""What to watch next in Home Assistant: the simulator, as the other HA suites use it."""

from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
from tests.ha.conftest import clock, sim_urls  # noqa: F401
