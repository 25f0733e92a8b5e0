"""Offline simulator of Plex, Trakt, SIMKL and TMDb speaking their real wire formats.

Run ``python -m simulator --host 127.0.0.1 --port 8765 --seed tiny|small|large``; in tests use
``simulator.testing.Simulator`` or the ``sim`` fixture from ``simulator.pytest_plugin``.
"""
