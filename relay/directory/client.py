"""Asking the company directory: find a user, check a password by binding as them, search people.

ldap3 is synchronous, so every call runs in this module's own small thread pool (a slow directory
never takes the threads password hashing and the database use) and is bounded twice: ldap3's
socket timeouts, and an overall deadline here. Nothing in this module decides who may do what;
it reports what the directory says. Every failure to ask becomes a `DirectoryError` whose
``reason`` the caller turns into a sentence (the relay log and ``directory check`` say more than a
client is ever told: directory structure never reaches a client).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import ssl
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPCertificateError, LDAPException, LDAPSocketReceiveError, LDAPStartTLSError
from ldap3.utils.conv import escape_filter_chars

from relay.config import ConfigError, LdapConfig

log = logging.getLogger("parley.relay.directory")

T = TypeVar("T")

FailureReason = Literal["unreachable", "timeout", "certificate", "service_account", "base", "refused"]
BindResult = Literal["ok", "wrong_password", "disabled", "locked", "expired"]

# Active Directory explains a refused bind in the diagnostic text ("... data 533, v4563").
_AD_DATA = re.compile(r"\bdata ([0-9a-f]{3})\b", re.IGNORECASE)
_AD_BIND: dict[str, BindResult] = {
    "533": "disabled",
    "701": "expired",  # account expired
    "532": "expired",  # password expired
    "773": "expired",  # must change password
    "775": "locked",
}
_UAC_DISABLED = 0x2
_LOCKED_ATTRIBUTE = "pwdAccountLockedTime"  # OpenLDAP ppolicy


class DirectoryError(Exception):
    """The directory could not be asked. ``reason`` is stable; the message is for the relay log and
    for administrators (it may name servers and DNs), never for clients."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class DirectoryEntry:
    """A user as the directory describes them."""

    dn: str
    username: str
    display_name: str
    email: str
    disabled: bool
    locked: bool
    groups: frozenset[str]  # normalized DNs


@dataclass(frozen=True)
class DirectoryPerson:
    username: str
    display_name: str


def normalize_dn(dn: str) -> str:
    """A DN for comparison: lower case, no spaces around separators."""
    return re.sub(r"\s*([,=+])\s*", r"\1", dn.strip()).lower()


def classify_bind_refusal(diagnostic: str) -> BindResult:
    """What a refused bind means; Active Directory says so in its diagnostic text."""
    match = _AD_DATA.search(diagnostic or "")
    return _AD_BIND.get(match.group(1).lower(), "wrong_password") if match else "wrong_password"


class DirectoryClient:
    """The directory's servers as the configuration names them, asked in order."""

    def __init__(self, ldap: LdapConfig, service_password: str, *, workers: int = 4) -> None:
        self.ldap = ldap
        self._service_password = service_password
        self._timeout = ldap.timeout_seconds
        if ldap.ca_file and not Path(ldap.ca_file).is_file():
            raise ConfigError(f"[auth.ldap] ca_file {ldap.ca_file} does not exist or is not a file.")
        try:
            # Certificates are always verified, and the host name in the URL must match.
            self._tls = Tls(
                validate=ssl.CERT_REQUIRED, ca_certs_file=ldap.ca_file or None, version=ssl.PROTOCOL_TLS_CLIENT
            )
            self._servers = [
                Server(
                    url,
                    use_ssl=url.lower().startswith("ldaps://"),
                    tls=self._tls,
                    get_info=NONE,
                    connect_timeout=self._timeout,
                )
                for url in ldap.urls
            ]
        except LDAPException as exc:
            raise ConfigError(f"[auth.ldap] cannot be used: {exc}.") from None
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="parley-ldap")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- the questions ----------------------------------------------------------------------

    async def find_user(self, username: str) -> DirectoryEntry | None:
        """The entry for a name typed at sign-in (``user_filter``), or None when the directory has
        none (or more than one)."""
        found = await self._run(lambda: self._find_users([username], typed=True))
        return found[username]

    async def find_users(self, usernames: Iterable[str]) -> dict[str, DirectoryEntry | None]:
        """Entries by Parley user name (``username_attribute``), over one service connection: the
        periodic sync and invitees. Also right when ``user_filter`` lets people type their e-mail."""
        names = list(usernames)
        return await self._run(lambda: self._find_users(names, typed=False), deadline=self._timeout * (2 + len(names)))

    async def verify_password(self, dn: str, password: str) -> BindResult:
        """Bind as ``dn`` with ``password``: the directory checks it; nothing is kept."""
        if not password:
            # An empty password is an anonymous ("unauthenticated") bind, which succeeds.
            return "wrong_password"
        return await self._run(lambda: self._bind_as(dn, password))

    async def search_people(self, query: str, limit: int) -> list[DirectoryPerson]:
        return await self._run(lambda: self._search_people(query, limit))

    async def check_base(self) -> int:
        """How many entries the user search base holds directly (raises when it does not exist)."""
        return await self._run(self._check_base)

    # --- in the worker threads --------------------------------------------------------------

    async def _run(self, work: Callable[[], T], deadline: float | None = None) -> T:
        loop = asyncio.get_running_loop()
        limit = deadline or self._timeout * 3
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, lambda: self._guarded(work)), limit)
        except TimeoutError:
            raise DirectoryError("timeout", f"the directory did not answer within {limit:.0f} seconds") from None

    def _guarded(self, work: Callable[[], T]) -> T:
        """Socket time-outs and ldap3's errors mid-conversation, as DirectoryErrors."""
        try:
            return work()
        except TimeoutError:
            raise DirectoryError("timeout", f"the directory did not answer within {self._timeout:g} seconds") from None
        except LDAPException as exc:
            raise _open_failure("the directory", exc) from None

    def _connect(self, user: str | None, password: str | None) -> Connection:
        """An open, bound connection to the first server that answers."""
        failures: list[str] = []
        first: DirectoryError | None = None
        for server in self._servers:
            conn = Connection(
                server,
                user=user,
                password=password,
                read_only=True,
                raise_exceptions=False,
                receive_timeout=max(1, math.ceil(self._timeout)),
            )
            try:
                conn.open()
                # A refused StartTLS must never fall back to sending the password in the clear.
                if self.ldap.start_tls and not server.ssl and not (conn.start_tls() and conn.tls_started):
                    conn.unbind()
                    raise LDAPStartTLSError("the server did not start TLS")
            except LDAPException as exc:
                error = _open_failure(server.name, exc)
                failures.append(error.message)
                first = first or error
                continue
            if not conn.bind():
                result = conn.result or {}
                conn.unbind()
                if result.get("result") == 49:
                    raise _BindRefused(str(result.get("message", "")))
                raise DirectoryError("refused", f"{server.name} refused the bind: {result.get('description')}")
            return conn
        assert first is not None
        raise DirectoryError(first.reason, "; ".join(failures))

    def _service(self) -> Connection:
        try:
            return self._connect(self.ldap.bind_dn or None, self._service_password or None)
        except _BindRefused:
            raise DirectoryError(
                "service_account", f"the directory refused the service account {self.ldap.bind_dn or '(anonymous)'}"
            ) from None

    def _search(self, conn: Connection, base: str, query: str, attributes: list[str], size: int = 0) -> list[Any]:
        ok = conn.search(
            base, query, SUBTREE, attributes=attributes, size_limit=size, time_limit=max(1, math.ceil(self._timeout))
        )
        code = (conn.result or {}).get("result", 0)
        if not ok and code == 32:
            raise DirectoryError("base", f"the search base {base} does not exist in the directory")
        if not ok and code not in (0, 4):  # 4: size limit reached, the entries so far are kept
            raise DirectoryError("refused", f"the search in {base} failed: {(conn.result or {}).get('description')}")
        return [r for r in conn.response or [] if r.get("type") == "searchResEntry"]

    def _find_users(self, names: list[str], *, typed: bool) -> dict[str, DirectoryEntry | None]:
        conn = self._service()
        try:
            return {name: self._find_one(conn, name, typed) for name in names}
        finally:
            conn.unbind()

    def _find_one(self, conn: Connection, name: str, typed: bool) -> DirectoryEntry | None:
        ldap = self.ldap
        escaped = escape_filter_chars(name)
        if typed:
            query = ldap.user_filter.replace("{username}", escaped)
        else:
            people = ldap.user_filter.replace("{username}", "*")
            query = f"(&{people}({ldap.username_attribute}={escaped}))"
        attributes = [
            ldap.username_attribute,
            ldap.display_name_attribute,
            ldap.email_attribute,
            "userAccountControl",
            "memberOf",
            _LOCKED_ATTRIBUTE,
        ]
        if ldap.disabled_attribute:
            attributes.append(ldap.disabled_attribute)
        found = self._search(conn, ldap.user_base, query, attributes, size=2)
        if len(found) != 1:
            if found:
                log.warning("the user filter found more than one directory entry for one name; refused")
            return None
        dn, attrs = str(found[0]["dn"]), _lower_keys(found[0].get("attributes", {}))
        groups = self._groups(conn, dn, name, attrs)
        return DirectoryEntry(
            dn=dn,
            username=(_first(attrs, ldap.username_attribute) or name).lower(),
            display_name=_first(attrs, ldap.display_name_attribute),
            email=_first(attrs, ldap.email_attribute),
            disabled=self._disabled(attrs),
            locked=bool(_values(attrs, _LOCKED_ATTRIBUTE)),
            groups=groups,
        )

    def _groups(self, conn: Connection, dn: str, name: str, attrs: dict[str, Any]) -> frozenset[str]:
        ldap = self.ldap
        if not ldap.group_base:
            return frozenset(normalize_dn(g) for g in _values(attrs, "memberOf"))
        query = ldap.group_filter.replace("{dn}", escape_filter_chars(dn)).replace(
            "{username}", escape_filter_chars(name)
        )
        return frozenset(normalize_dn(str(g["dn"])) for g in self._search(conn, ldap.group_base, query, ["cn"]))

    def _disabled(self, attrs: dict[str, Any]) -> bool:
        uac = _first(attrs, "userAccountControl")
        if uac.isdigit() and int(uac) & _UAC_DISABLED:
            return True
        if not self.ldap.disabled_attribute:
            return False
        values = {v.lower() for v in _values(attrs, self.ldap.disabled_attribute)}
        wanted = {v.lower() for v in self.ldap.disabled_values}
        return bool(values & wanted) if wanted else bool(values)

    def _bind_as(self, dn: str, password: str) -> BindResult:
        try:
            conn = self._connect(dn, password)
        except _BindRefused as refused:
            return classify_bind_refusal(refused.diagnostic)
        conn.unbind()
        return "ok"

    def _search_people(self, query: str, limit: int) -> list[DirectoryPerson]:
        ldap = self.ldap
        q = escape_filter_chars(query)
        match = f"(|({ldap.username_attribute}={q}*)({ldap.display_name_attribute}=*{q}*)({ldap.email_attribute}={q}*))"
        objects = ldap.user_filter.replace("{username}", "*")
        conn = self._service()
        try:
            found = self._search(
                conn,
                ldap.user_base,
                f"(&{objects}{match})",
                [
                    ldap.username_attribute,
                    ldap.display_name_attribute,
                    "userAccountControl",
                    *([ldap.disabled_attribute] if ldap.disabled_attribute else []),
                ],
                size=limit,
            )
        finally:
            conn.unbind()
        people = []
        for entry in found:
            attrs = _lower_keys(entry.get("attributes", {}))
            username = _first(attrs, ldap.username_attribute)
            if username and not self._disabled(attrs):
                people.append(DirectoryPerson(username.lower(), _first(attrs, ldap.display_name_attribute) or username))
        return people[:limit]

    def _check_base(self) -> int:
        conn = self._service()
        try:
            ok = conn.search(
                self.ldap.user_base,
                "(objectClass=*)",
                SUBTREE,
                attributes=[],
                size_limit=1,
                time_limit=max(1, math.ceil(self._timeout)),
            )
            code = (conn.result or {}).get("result", 0)
            if not ok and code == 32:
                raise DirectoryError("base", f"the search base {self.ldap.user_base} does not exist in the directory")
            return len(conn.response or [])
        finally:
            conn.unbind()


class _BindRefused(Exception):
    """invalidCredentials (49): wrong password, or Active Directory's disabled/locked/expired."""

    def __init__(self, diagnostic: str) -> None:
        super().__init__(diagnostic)
        self.diagnostic = diagnostic


def _open_failure(server: str, exc: LDAPException) -> DirectoryError:
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, LDAPSocketReceiveError) or "timed out" in lowered:
        return DirectoryError("timeout", f"{server}: no answer within the timeout")
    if isinstance(exc, LDAPCertificateError) or "certificate" in lowered or "handshake" in lowered:
        return DirectoryError("certificate", f"{server}: its certificate was not accepted ({text[:200]})")
    if isinstance(exc, LDAPStartTLSError):
        return DirectoryError("certificate", f"{server}: StartTLS failed ({text[:200]})")
    return DirectoryError("unreachable", f"{server}: cannot be reached ({text[:200]})")


def _lower_keys(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in attrs.items()}


def _values(attrs: dict[str, Any], name: str) -> list[str]:
    value = attrs.get(name.lower())
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _first(attrs: dict[str, Any], name: str) -> str:
    values = _values(attrs, name)
    return values[0] if values else ""
