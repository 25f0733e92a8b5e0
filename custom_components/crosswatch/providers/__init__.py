"""One folder per service: client, sign-in, account, sync side, scrobble sink or source."""
