"""What went wrong, in a sentence for people that names the real cause, with the technical text
kept apart for the log and a "Details" disclosure. No Qt here.

A disk that is full is not "the network failed", a port where nothing listens is not a bad
certificate, and a relay that stopped answering is neither. `explain` sorts an exception by its
cause and gives a `Sentence`: an English template with its values, so the desktop app can
translate the template (client/ui/error_text.py) and fill in the same values; the headless CLI
prints it as it is. The technical text (errno, library messages) never goes into the sentence.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum

from websockets.exceptions import InvalidStatus

from shared.errors import ParleyError


class Cause(StrEnum):
    DISK_FULL = "disk_full"
    NO_PERMISSION = "no_permission"
    FILE = "file"  # another problem with a file or folder
    REFUSED = "refused"  # nothing listens at the address: the relay is not running, or a wrong port
    NAME = "name"  # the server's name does not resolve
    NETWORK = "network"  # unreachable, or no answer in time
    CERTIFICATE = "certificate"
    SERVER_GONE = "server_gone"  # the relay was there and stopped answering
    SERVER = "server"  # the relay answered with a refusal of its own (its sentence)
    MEDIA = "media"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sentence:
    """A sentence for people: an English ``template`` ({0}, {1}, ...) and its ``args``."""

    template: str
    args: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.template.format(*self.args)


@dataclass(frozen=True)
class Explanation:
    """Why something failed: its cause, a sentence for people, the technical details."""

    cause: Cause
    sentence: Sentence
    details: str = ""


class ExplainedError(ParleyError):
    """A ParleyError that carries its `Explanation` (the message is its English sentence)."""

    def __init__(self, explanation: Explanation) -> None:
        super().__init__(str(explanation.sentence), detail={"cause": explanation.cause.value})
        self.explanation = explanation


# --- the sentences (each is also in resources/translations/*.ts, context "errors") ------------

DISK_FULL = "The disk is full, so {0} could not be saved. Free some space and try again."
NO_PERMISSION = "Parley is not allowed to use {0}. Check its permissions, or choose another folder."
NO_SUCH_FILE = "{0} does not exist (any more)."
FILE_FAILED = "{0} could not be read or written."
SERVER_REFUSED = (
    "The server {0} refused the connection: Parley is not running there, or the port is wrong. "
    "Check the address, or ask your administrator whether the server is up."
)
SERVER_NAME_UNKNOWN = "The server name {0} could not be found. Check the address and your network connection."
SERVER_UNREACHABLE = "Your network cannot reach the server {0}. Check your network connection."
SERVER_NO_ANSWER = "The server {0} did not answer in time. Check your network connection, or try again later."
NOT_PARLEY = "{0} answered, but not as a Parley server. Check the address and port."
SERVER_BUSY = "The server {0} has too many connections right now. Try again in a minute."
BUSY_NAMELESS = "The server has too many connections right now. Try again in a minute."
TLS_FAILED = "A secure connection to {0} could not be set up. Ask your administrator to check its certificate."
CERTIFICATE_UNTRUSTED = (
    "The server {0} presented a certificate that is not signed by a trusted authority. Its SHA-256 "
    "fingerprint is {1}. Trust it only if your administrator gave you the same fingerprint."
)
CERTIFICATE_CHANGED = (
    "The certificate of {0} does not match the one you trusted. It has the fingerprint {1}, not {2}. "
    "Someone may be intercepting the connection."
)
REFUSED_NAMELESS = "The server refused the connection: Parley is not running there, or the port is wrong."
UNREACHABLE_NAMELESS = "Your network cannot reach the server. Check your network connection."
TLS_NAMELESS = "A secure connection to the server could not be set up. Ask your administrator to check its certificate."
SERVER_GONE = "The connection to the server was lost: it stopped answering."
CONNECTION_LOST = "The connection to the server was lost."
NOT_CONNECTED = "Not connected to the server."
NO_ANSWER = "The server did not answer in time."
SERVER_DEAD = (
    "The server {0} stopped answering and could not be reached again: it may have stopped. "
    "Rejoin when it is back, or tell your administrator."
)
NETWORK_LOST = (
    "Parley could not reach the server {0} again: your network does not reach it. Check your connection and rejoin."
)
SERVER_SLOW = "The server did not answer in time. Try again."
MEDIA_RECEIVING = (
    "Audio and video from the others stopped arriving and could not be reconnected yet. Parley keeps trying."
)
MEDIA_SENDING = (
    "Your audio and video stopped reaching the others and could not be reconnected yet. Parley keeps trying."
)
CAMERA_LOST = "Your camera stopped working. The call goes on without your video."
MIC_LOST = "Your microphone stopped working. The call goes on; others cannot hear you."
SCREEN_LOST = "Screen sharing stopped. The call goes on."
RECORDING_NO_SPACE = "There is not enough free disk space to record ({0} free in {1}; at least {2} is needed)."
RECORDING_STOPPED_FULL = "Recording stopped: the disk is full. The recording so far is saved in {0}."
RECORDING_STOPPED = "Recording stopped: the file could not be written. The recording so far is saved in {0}."
UNKNOWN = "Something went wrong. Try again; if it keeps happening, tell your administrator."
SYSTEM = "This computer refused an operation. Try again; if it keeps happening, tell your administrator."

_FULL = {errno.ENOSPC, errno.EDQUOT}
_PERMISSION = {errno.EACCES, errno.EPERM, errno.EROFS}
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
_GONE = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def technical(error: BaseException) -> str:
    """The technical text of ``error`` (and what it was raised from), for logs and Details."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        parts.append(f"{type(current).__name__}: {text}" if text else type(current).__name__)
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def _where(error: OSError, fallback: str) -> str:
    return str(error.filename) if error.filename else fallback


def explain_file_error(error: OSError, what: str = "a file") -> Explanation:
    """A failure to read or write a file or folder (``what`` names it when the error does not)."""
    where = _where(error, what)
    if error.errno in _FULL:
        return Explanation(Cause.DISK_FULL, Sentence(DISK_FULL, (where,)), technical(error))
    if error.errno in _PERMISSION or isinstance(error, PermissionError):
        return Explanation(Cause.NO_PERMISSION, Sentence(NO_PERMISSION, (where,)), technical(error))
    if isinstance(error, FileNotFoundError):
        return Explanation(Cause.FILE, Sentence(NO_SUCH_FILE, (where,)), technical(error))
    return Explanation(Cause.FILE, Sentence(FILE_FAILED, (where,)), technical(error))


def explain_connection(error: BaseException, server: str | None = None) -> Explanation:
    """Why a connection to ``server`` (host:port, when known) could not be opened or was lost."""
    details = technical(error)

    def said(named: str, nameless: str, value: str | None = server) -> Sentence:
        return Sentence(named, (value,)) if value else Sentence(nameless)

    if isinstance(error, ssl.SSLError):
        return Explanation(Cause.CERTIFICATE, said(TLS_FAILED, TLS_NAMELESS), details)
    if isinstance(error, ConnectionRefusedError) or getattr(error, "errno", None) == errno.ECONNREFUSED:
        return Explanation(Cause.REFUSED, said(SERVER_REFUSED, REFUSED_NAMELESS), details)
    if isinstance(error, socket.gaierror):
        host = server.rsplit(":", 1)[0] if server else None
        return Explanation(Cause.NAME, said(SERVER_NAME_UNKNOWN, UNREACHABLE_NAMELESS, host), details)
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return Explanation(Cause.NETWORK, said(SERVER_NO_ANSWER, SERVER_SLOW), details)
    if isinstance(error, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or (
        isinstance(error, OSError) and error.errno in _GONE
    ):
        return Explanation(Cause.SERVER_GONE, Sentence(SERVER_GONE), details)
    if isinstance(error, OSError):
        return Explanation(Cause.NETWORK, said(SERVER_UNREACHABLE, UNREACHABLE_NAMELESS), details)
    if isinstance(error, InvalidStatus) and error.response.status_code == 503:  # the relay's connection caps
        return Explanation(Cause.SERVER, said(SERVER_BUSY, BUSY_NAMELESS), details)
    return Explanation(Cause.SERVER, said(NOT_PARLEY, UNKNOWN), details)  # e.g. an HTTP answer


def explain_media(template: str, error: BaseException | None) -> Explanation:
    """Audio or video machinery failed: ``template`` for people, ``error`` for the log/Details."""
    return Explanation(Cause.MEDIA, Sentence(template), technical(error) if error is not None else "")


def explain(error: BaseException) -> Explanation:
    """Sort ``error`` by its cause: a sentence for people and the technical details."""
    carried = getattr(error, "explanation", None)
    if isinstance(carried, Explanation):
        return carried
    if isinstance(error, ParleyError):
        return Explanation(Cause.SERVER, Sentence(error.message), f"{type(error).__name__} ({error.code.value})")
    if isinstance(error, ssl.SSLError):
        return explain_connection(error)
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        return Explanation(Cause.NETWORK, Sentence(SERVER_SLOW), technical(error))
    if isinstance(error, OSError):
        if error.filename is not None or error.errno in _FULL | _PERMISSION:
            return explain_file_error(error)
        if isinstance(error, ConnectionError) or error.errno in _UNREACHABLE | _GONE | {errno.ECONNREFUSED}:
            return explain_connection(error)
        return Explanation(Cause.UNKNOWN, Sentence(SYSTEM), technical(error))
    return Explanation(Cause.UNKNOWN, Sentence(UNKNOWN), technical(error))
