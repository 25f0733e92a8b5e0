"""What to watch next in Home Assistant: the simulator and the accounts the other HA suites use."""

from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
from tests.ha.conftest import clock, sim_urls, simkl_entry, tmdb_entry  # noqa: F401
from tests.ha_sync.conftest import plex_entry, trakt_entry  # noqa: F401
