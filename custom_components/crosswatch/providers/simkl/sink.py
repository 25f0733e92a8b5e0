"""The SIMKL scrobble sink: episodes as show + season/number, its 400 lock answer retried."""

from __future__ import annotations

from ...scrobble.sinks import ScrobbleApi, ServiceScrobbleSink


def simkl_sink(sink_id: str, client: ScrobbleApi) -> ServiceScrobbleSink:
    """Build the sink for one SIMKL account (``SimklClient``).

    SIMKL takes an episode as show + season/number (with the episode's tvdb id beside them when
    known), and its 400 means another scrobble of the user holds the 20 s lock: worth a retry.
    """
    return ServiceScrobbleSink(
        sink_id,
        client,
        service="simkl",
        episodes_by_own_ids=False,
        retryable_statuses=frozenset({400}),
    )
