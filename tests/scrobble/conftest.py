"""Simulator fixtures for the scrobble tests."""

from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
