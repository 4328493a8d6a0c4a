"""One screen share at a time in a meeting (issue #19 item 8): the later share takes over.

When a participant starts sharing while someone else shares, the relay stops forwarding the
earlier share and tells its sharer (``media.stopped`` with reason ``taken_over``); their app stops
capturing and says who shares now. Anyone can share again later, taking over in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from relay.meetings import Participant
from relay.sfu.peers import MediaParticipant
from shared.protocol import messages as m

log = logging.getLogger("parley.relay")


def take_over(
    sharer: MediaParticipant, others: Mapping[str, MediaParticipant], seat: Participant | None
) -> list[MediaParticipant]:
    """``sharer`` (seated as ``seat``) just started sharing: stop every other share in its
    meeting (``others``: its media participants by id) and tell those sharers. Returns who was
    stopped (their subscribers need a new negotiation)."""
    sharer_name = seat.display_name if seat is not None else "Someone"
    stopped: list[MediaParticipant] = []
    for other in others.values():
        if other is sharer or other.meeting_id != sharer.meeting_id or "screen" not in other.published:
            continue
        other.published.pop("screen").close()
        stopped.append(other)
        log.info("screen share of %s taken over by %s", other.participant_id, sharer.participant_id)
        message = f"{sharer_name} is sharing their screen now, so your screen share stopped."
        other.peer.send_event(
            m.MediaStopped(meeting_id=other.meeting_id, source="screen", reason="taken_over", message=message)
        )
    return stopped
