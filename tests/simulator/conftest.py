"""The simulator's fixtures (tests/conftest.py may also enable the plugin for every tree)."""

from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
