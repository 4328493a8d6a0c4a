"""Prometheus metrics of one relay. Each relay has its own registry (tests run several)."""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class Seats(Protocol):
    """The live meetings (relay.meetings.Meetings)."""

    @property
    def live(self) -> Sized: ...
    def participant_count(self) -> int: ...


class RelayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("parley_connections", "Open signalling connections", registry=r)
        self.meetings = Gauge("parley_meetings", "Live meetings", registry=r)
        self.participants = Gauge("parley_participants", "Seated participants", registry=r)
        self.logins = Counter("parley_logins", "Sign-in attempts", ["result"], registry=r)
        self.rate_limited = Counter("parley_rate_limit_hits", "Requests refused by a rate limit", ["scope"], registry=r)
        self.connections_refused = Counter(
            "parley_connections_refused", "Connections refused or closed by a limit", ["reason"], registry=r
        )
        self.protocol_errors = Counter("parley_protocol_errors", "Frames refused by validation", ["code"], registry=r)
        self.requests = Counter("parley_requests", "Requests handled", ["type"], registry=r)
        self.directory_signins = Counter(
            "parley_directory_signins", "Sign-ins checked with the company directory", ["outcome"], registry=r
        )
        self.directory_errors = Counter(
            "parley_directory_errors", "Times the company directory could not be asked", ["reason"], registry=r
        )
        self.reconnects = Counter("parley_reconnects", "Participants who took their seat back", registry=r)
        self.forwarded_packets = Counter("parley_forwarded_packets", "RTP packets forwarded", ["kind"], registry=r)
        self.forwarded_bytes = Counter("parley_forwarded_bytes", "RTP bytes forwarded", ["kind"], registry=r)
        # Called before each render: planes that count in plain ints (media) flush them here.
        self.before_render: list[Callable[[], None]] = []

    def watch(self, connections: Sized, seats: Seats) -> None:
        """Read the connection, meeting and participant gauges from the relay when scraped."""
        self.connections.set_function(lambda: len(connections))
        self.meetings.set_function(lambda: len(seats.live))
        self.participants.set_function(seats.participant_count)

    def render(self) -> bytes:
        for flush in self.before_render:
            flush()
        return generate_latest(self.registry)
