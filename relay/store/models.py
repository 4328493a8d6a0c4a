"""The relay's tables. Times are UTC seconds since the epoch (float), the same on every backend.

Schema changes go through an Alembic migration in ``relay/store/migrations/versions``; a test
checks that the migrations produce exactly these tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, false, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    # Company directory (migration 0009_directory_accounts): "local" accounts have a password
    # here; "directory" accounts are checked by binding to the directory and have none.
    # ``suspended_by`` is "directory" when the directory sync suspended the account (so only the
    # sync lifts it); ``may_host`` (create and book meetings) and ``is_admin`` come from groups.
    source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")
    suspended_by: Mapped[str] = mapped_column(String(16), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    may_host: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Session(Base):
    """A sign-in. Only the SHA-256 of the token is stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    client: Mapped[str] = mapped_column(String(120), default="")


class LoginThrottle(Base):
    """Failed sign-ins per account (``user:NAME``) or per address (``addr:IP``)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[float] = mapped_column(Float)
    next_attempt_at: Mapped[float] = mapped_column(Float, default=0.0)
    locked_until: Mapped[float] = mapped_column(Float, default=0.0)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    host_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # A booked meeting the length limit ended may not start again before this time (UTC seconds).
    closed_until: Mapped[float | None] = mapped_column(Float, nullable=True)


class AdminEvent(Base):
    """Changes made outside the serving process (CLI) that live connections must react to."""

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(32))  # user_suspended, session_revoked
    user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AuditEntry(Base):
    """Who did what and when, for administrator and host actions. Never meeting content."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- rooms, bookings, maintenance (migration 0002_rooms) -------------------------------------


class Room(Base):
    """A virtual meeting room that people book. ``booking_seq`` is bumped by every booking change
    of the room, which makes concurrent bookings of one room wait for each other."""

    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    capacity: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float)
    removed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    booking_seq: Mapped[int] = mapped_column(Integer, default=0)
    # A person's own "room" for meetings booked without one (migration 0011_deskb_personal_rooms).
    owner_user_id: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None, index=True)


class Booking(Base):
    """A booked meeting in a room: the first occurrence and how many weekly occurrences follow."""

    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), index=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    host_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[float] = mapped_column(Float)
    ends_at: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    weekly_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    cancelled_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class BookingOccurrence(Base):
    """One occurrence of a booking (UTC), kept so overlap checks are one indexed query."""

    __tablename__ = "booking_occurrences"
    __table_args__ = (Index("ix_occurrence_room_time", "room_id", "starts_at"),)

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[float] = mapped_column(Float)
    ends_at: Mapped[float] = mapped_column(Float)


class BookingInvitee(Base):
    __tablename__ = "booking_invitees"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class MaintenanceWindow(Base):
    """Announced maintenance: the relay refuses new meetings while one is in progress."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    starts_at: Mapped[float] = mapped_column(Float, index=True)
    ends_at: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[float] = mapped_column(Float)
    cancelled_at: Mapped[float | None] = mapped_column(Float, nullable=True)


# --- chat retention (migration 0002_chat) ------------------------------------------------------


class ChatRecord(Base):
    """A chat message, kept only when an administrator turned on ``[chat] retention``."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_meeting_seq", "meeting_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    from_participant_id: Mapped[str] = mapped_column(String(64))
    from_name: Mapped[str] = mapped_column(String(80))
    to_participant_id: Mapped[str] = mapped_column(String(64), default="")
    to_name: Mapped[str] = mapped_column(String(80), default="")
    from_user_id: Mapped[str] = mapped_column(String(32))
    to_user_id: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[float] = mapped_column(Float, index=True)


class ChatCounter(Base):
    """The last chat sequence number a meeting handed out (relay/chat_numbers.py). A counter, no
    content: kept whether retention is on or not, so numbers stay unique across restarts."""

    __tablename__ = "chat_counters"

    meeting_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


# --- uptime records for the availability report (migration 0002_ops) ---------------------------


class RelayRun(Base):
    """One run of ``parley-relay serve``: started, heartbeats while serving, how it ended.

    A run with no ``stopped_at`` whose heartbeat stopped ended without a clean stop (a crash,
    SIGKILL, power loss): the availability report counts from its last heartbeat."""

    __tablename__ = "relay_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    last_beat_at: Mapped[float] = mapped_column(Float)
    stopped_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # "" while running or after a crash; "clean" after SIGTERM/SIGINT.
    stop_reason: Mapped[str] = mapped_column(String(32), default="")
    heartbeat_seconds: Mapped[float] = mapped_column(Float)
    host: Mapped[str] = mapped_column(String(255), default="")
    version: Mapped[str] = mapped_column(String(32), default="")


class ListenerFault(Base):
    """A time when the relay ran but its listener did not accept connections (self-check failed)."""

    __tablename__ = "listener_faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("relay_runs.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[str] = mapped_column(String(200), default="")


# --- meeting state that survives a relay restart (migration 0004_meeting_state) -----------------


class MeetingStateRow(Base):
    """What hosts decided in a live meeting, written through on every change (relay/meeting_state.py)."""

    __tablename__ = "meeting_state"

    meeting_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    roles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # user id -> "cohost"
    admitted: Mapped[list[Any]] = mapped_column(JSON, default=list)  # user ids let in
    removed: Mapped[list[Any]] = mapped_column(JSON, default=list)  # user ids removed (need admission)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    unmute_allowed: Mapped[bool] = mapped_column(Boolean, default=True)  # False after "mute all" forbade it
    recording_by_user_id: Mapped[str] = mapped_column(String(32), default="")  # "" when not recording
    recording_by_name: Mapped[str] = mapped_column(String(80), default="")
    recording_started_at: Mapped[float] = mapped_column(Float, default=0.0)
    allow_cohost_recording: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[float] = mapped_column(Float)
    # user id -> sources a host muted (migration 0007_host_mutes)
    host_muted: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the user the host spotlighted for everyone, "" for nobody (migration 0013_views_spotlight)
    spotlight_user_id: Mapped[str] = mapped_column(String(32), default="")
