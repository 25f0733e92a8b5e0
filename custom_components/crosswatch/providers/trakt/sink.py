"""The Trakt scrobble sink: ``/scrobble/{start,pause,stop}``, with a search by ids on 404/422."""

from __future__ import annotations

from typing import Protocol

from ...scrobble.sinks import IdSearchApi, ScrobbleApi, ServiceScrobbleSink


class TraktApi(ScrobbleApi, IdSearchApi, Protocol):
    """``TraktClient``: scrobbles and id search."""


def trakt_sink(sink_id: str, client: TraktApi) -> ServiceScrobbleSink:
    """Build the sink for one Trakt account (``TraktClient``)."""
    return ServiceScrobbleSink(sink_id, client, service="trakt", search=client)
