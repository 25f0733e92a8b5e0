"""Trakt: client, OAuth sign-in, account, sync side and scrobble sink."""
