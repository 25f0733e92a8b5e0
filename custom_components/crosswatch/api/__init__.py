"""Async clients for Plex, Trakt, SIMKL and TMDb.

Nothing here imports Home Assistant: every client takes an injected ``aiohttp.ClientSession``,
a base URL and a clock, so the package can be tested against the simulator and published alone.
"""
