"""SIMKL: client, PIN sign-in, account, sync side and scrobble sink."""
