"""The media plane's gauges on /metrics, read from the SFU's state at each scrape."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Gauge


def register_gauges(
    registry: CollectorRegistry,
    participants: Callable[[], int],
    connections: Callable[[], int],
    tracks: Callable[[], int],
) -> None:
    Gauge("parley_media_participants", "Participants with media state", registry=registry).set_function(participants)
    Gauge("parley_media_peer_connections", "Open media peer connections", registry=registry).set_function(connections)
    Gauge("parley_media_tracks", "Published tracks being forwarded", registry=registry).set_function(tracks)
    Gauge("parley_asyncio_tasks", "Tasks on the relay's event loop", registry=registry).set_function(task_count)


def task_count() -> int:
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:
        return 0
