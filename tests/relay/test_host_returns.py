"""The organiser who leaves and comes back is host again (issue #19 item 6), against a real relay;
a host role handed over on purpose stays where it was given."""

from __future__ import annotations

import asyncio
from typing import Any

from client.engine import events as ev
from tests.conftest import RunningRelay, signed_in


def expect(client: Any, predicate: Any, timeout: float = 10.0) -> asyncio.Task[Any]:
    return asyncio.ensure_future(client.wait_for(predicate, timeout))


def role_of(client: Any, participant_id: str) -> str:
    return str(client.participants[participant_id].role)


def became(client: Any, participant_id: str, role: str) -> asyncio.Task[Any]:
    return expect(
        client,
        lambda e: (
            isinstance(e, ev.ParticipantChanged)
            and e.participant.participant_id == participant_id
            and e.participant.role == role
        ),
    )


async def test_organiser_who_leaves_and_rejoins_is_host_again(relay: RunningRelay, make_client: Any) -> None:
    owner_name = relay.add_user(display="Olga")
    meeting_id = relay.create_meeting(owner_name, "Planning")
    olga = await signed_in(make_client, relay, owner_name)
    bob = await signed_in(make_client, relay, relay.add_user(display="Bob"))
    carol = await signed_in(make_client, relay, relay.add_user(display="Carol"))
    await olga.join(meeting_id)
    bob_id = (await bob.join(meeting_id)).participant_id
    await carol.join(meeting_id)
    assert role_of(olga, olga.participant_id) == "host"

    # Olga leaves: the host role passes to Bob (seated longest), so the meeting goes on.
    bob_host = became(carol, bob_id, "host")
    await olga.leave()
    await bob_host

    # Olga comes back: host again, and Bob is a participant as before; everyone sees it.
    bob_back = became(carol, bob_id, "participant")
    olga_host = expect(
        carol,
        lambda e: (
            isinstance(e, ev.ParticipantChanged)
            and e.participant.display_name == "Olga"
            and e.participant.role == "host"
        ),
    )
    joined = await olga.join(meeting_id)
    await bob_back
    assert (await olga_host).participant.participant_id == joined.participant_id
    mine = {p.participant_id: p.role for p in joined.participants}
    assert mine[joined.participant_id] == "host" and mine[bob_id] == "participant"
    # As host she can end it for everyone.
    ended = expect(bob, lambda e: isinstance(e, ev.MeetingLeft) and e.reason == "ended")
    await olga.end_meeting()
    await ended


async def test_host_role_handed_over_on_purpose_stays(relay: RunningRelay, make_client: Any) -> None:
    from client.engine.meetings import MeetingDesk

    owner_name = relay.add_user(display="Olga")
    meeting_id = relay.create_meeting(owner_name, "Handover")
    olga = await signed_in(make_client, relay, owner_name)
    bob = await signed_in(make_client, relay, relay.add_user(display="Bob"))
    await olga.join(meeting_id)
    bob_id = (await bob.join(meeting_id)).participant_id
    made = became(bob, bob_id, "host")
    await MeetingDesk(olga).host_action("make_host", participant_id=bob_id)
    await made
    await olga.leave()
    joined = await olga.join(meeting_id)
    roles = {p.participant_id: p.role for p in joined.participants}
    assert roles[bob_id] == "host" and roles[joined.participant_id] == "participant"
