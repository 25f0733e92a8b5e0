"""Plex: plex.tv and the Plex Media Server, the scrobble source (listener, binder, webhooks)."""
