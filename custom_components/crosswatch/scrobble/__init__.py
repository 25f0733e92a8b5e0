"""Scrobbling: Plex session listener, event normalizer, decision rules, dedupe, sinks, queue."""
