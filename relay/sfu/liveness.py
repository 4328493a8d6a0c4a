"""The relay's watch over each participant's media connections.

A publish or subscribe connection whose state is "failed" or "closed" is dropped, and so is a
publish connection on which every published track that carried packets has gone silent for
`PUBLISH_SILENT` seconds (the path died; aiortc's ICE consent checks would take ~30 s to say so).
Dropping sends a DTLS close where the path still works, so the client notices at once; either way
the client rebuilds its side (client/engine/media/watchdog.py) and the relay takes the new
connection for the same seat (`MediaParticipant.answer_publish`, `MediaRelay.on_subscribe`).
Muted sources still carry packets (silence, black), so a mute never looks like a dead connection.
"""

from __future__ import annotations

from relay.sfu.forwarding import PublishedTrack
from relay.sfu.peers import MediaParticipant

PUBLISH_SILENT = 3.0  # seconds without a packet on every published track
DEAD_STATES = ("failed", "closed")


class Liveness:
    """Remembers when each published track last carried a packet (sampled, not per packet)."""

    def __init__(self) -> None:
        self._heard: dict[PublishedTrack, tuple[int, float]] = {}  # track -> (packets, when they changed)

    def publish_dead(self, me: MediaParticipant, now: float) -> str | None:
        """Why ``me``'s publish connection is dead ("failed", "closed", "silent"), or None."""
        pc = me.publish_pc
        if pc is None:
            return None
        if pc.connectionState in DEAD_STATES:
            return pc.connectionState
        heard = []
        for track in me.published.values():
            packets, since = self._heard.get(track, (-1, now))
            if track.received_packets != packets:
                packets, since = track.received_packets, now
            self._heard[track] = (packets, since)
            if packets > 0:
                heard.append(now - since)
        if heard and min(heard) >= PUBLISH_SILENT:
            return "silent"
        return None

    @staticmethod
    def subscribe_dead(me: MediaParticipant) -> str | None:
        pc = me.subscribe_pc
        if pc is not None and pc.connectionState in DEAD_STATES:
            return pc.connectionState
        return None

    def forget_closed(self) -> None:
        """Drop what is remembered of tracks that are gone."""
        for track in [t for t in self._heard if t.closed]:
            del self._heard[track]
