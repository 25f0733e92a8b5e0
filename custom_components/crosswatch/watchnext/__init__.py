"""What to watch next, as pure logic: calendar events, up-next lists and resume points.

Nothing here talks to a service or to Home Assistant: the glue reads the documented endpoints
(Trakt calendars, watched progress and playback; SIMKL all-items and playback; Plex viewOffset)
and hands the answers to these functions.
"""
