"""In-call chat: the relay stamps, orders and delivers messages; it keeps none unless told to.

Chat rides the authenticated signalling websocket rather than the data channels: it is ordered
and reliable (TCP), works for people who send no media, and the relay itself stamps who sent a
message and when, so a client cannot forge a sender. By default a message exists on the relay
only while it is being delivered; with ``[chat] retention = true`` it is also written to the
``chat_messages`` table and shown to people who join later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import delete, or_, select

from relay.chat_numbers import ChatNumbers
from relay.config import ChatConfig
from relay.meetings import LiveMeeting, Meetings, Participant
from relay.peer import Peer, deliver
from relay.store.db import Database
from relay.store.models import ChatRecord
from shared.errors import BadRequest, NotFound
from shared.protocol import messages as m
from shared.text import clean_line

log = logging.getLogger("parley.relay.chat")

HISTORY_LIMIT = 500


class ChatService:
    def __init__(self, meetings: Meetings, db: Database, config: ChatConfig, clock: Callable[[], float]) -> None:
        self.meetings = meetings
        self.db = db
        self.config = config
        self.clock = clock
        # Per meeting, one at a time, stored: unique and gap-free, also across restarts.
        self.numbers = ChatNumbers(db, must_store=config.retention)
        self._purged_at = 0.0

    def _seated(self, peer: Peer) -> tuple[LiveMeeting, Participant]:
        return self.meetings.seat_of(peer, "Join a meeting before chatting.")

    async def send(self, peer: Peer, req: m.SendChat) -> m.Reply:
        meeting, me = self._seated(peer)
        text = clean_line(req.text)  # one line: a message cannot pass for another line or sender
        if not text:
            raise BadRequest("The message is empty.")
        if len(text) > self.config.max_message_chars:
            raise BadRequest(f"A message may be at most {self.config.max_message_chars} characters long.")
        target = None
        if req.to:
            target = meeting.participants.get(req.to)
            if target is None or req.to == me.participant_id:
                raise NotFound("That person is not in this meeting.")
        async with self.numbers.take(meeting.meeting_id) as seq:  # the next message waits for this one
            message = m.ChatMessage(
                seq=seq,
                meeting_id=meeting.meeting_id,
                from_participant_id=me.participant_id,
                from_name=me.display_name,
                text=text,
                sent_at=self.clock(),
                to_participant_id=target.participant_id if target else "",
                to_name=target.display_name if target else "",
            )
            if self.config.retention:  # stored first: a message that failed to save reaches nobody
                await self._keep(message, me.user_id, target.user_id if target else "")
            event = m.ChatReceived(message=message)
            receivers = [target] if target is not None else meeting.others(me.participant_id)
            deliver([(p.peer, event) for p in receivers if p.peer is not None])
        return m.ChatSent(id=req.id, message=message)

    async def history(self, peer: Peer, req: m.ChatHistory) -> m.Reply:
        meeting, me = self._seated(peer)
        if not self.config.retention:
            return m.ChatHistoryList(id=req.id, messages=[])
        since = self.clock() - self.config.retention_days * 86400
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(ChatRecord)
                    .where(
                        ChatRecord.meeting_id == meeting.meeting_id,
                        ChatRecord.sent_at >= since,
                        or_(
                            ChatRecord.to_user_id == "",
                            ChatRecord.to_user_id == me.user_id,
                            ChatRecord.from_user_id == me.user_id,
                        ),
                    )
                    .order_by(ChatRecord.seq.desc())
                    .limit(HISTORY_LIMIT)
                )
            ).scalars()
            messages = [_message(r) for r in rows]
        messages.reverse()
        return m.ChatHistoryList(id=req.id, messages=messages)

    async def _keep(self, message: m.ChatMessage, from_user: str, to_user: str) -> None:
        now = self.clock()
        async with self.db.sessions() as session:
            session.add(
                ChatRecord(
                    meeting_id=message.meeting_id,
                    seq=message.seq,
                    from_participant_id=message.from_participant_id,
                    from_name=message.from_name,
                    to_participant_id=message.to_participant_id,
                    to_name=message.to_name,
                    from_user_id=from_user,
                    to_user_id=to_user,
                    text=message.text,
                    sent_at=message.sent_at,
                )
            )
            if now - self._purged_at > 3600:
                self._purged_at = now
                cutoff = now - self.config.retention_days * 86400
                await session.execute(delete(ChatRecord).where(ChatRecord.sent_at < cutoff))
            await session.commit()

    def seat_freed(self, meeting_id: str, participant_id: str) -> None:
        meeting = self.meetings.live.get(meeting_id)
        if meeting is None or not meeting.participants:
            self.numbers.forget(meeting_id)


def _message(r: ChatRecord) -> m.ChatMessage:
    return m.ChatMessage(
        seq=r.seq,
        meeting_id=r.meeting_id,
        from_participant_id=r.from_participant_id,
        from_name=r.from_name,
        text=r.text,
        sent_at=r.sent_at,
        to_participant_id=r.to_participant_id,
        to_name=r.to_name,
    )
