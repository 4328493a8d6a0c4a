"""Checking a sign-in's password against the company directory (``auth.mode`` ldap or both).

`relay.accounts.Accounts.login` keeps its throttle (delays, lockout) around this check: returning
None counts as a failed sign-in, exactly like a wrong local password, so the directory cannot be
brute-forced through Parley. A wrong password and an unknown name read the same to the client
(no list of valid names to harvest); the relay's log names which it was. Directory faults become
sentences that name the cause but never the directory's servers, DNs or attributes.
"""

from __future__ import annotations

import logging

from relay.accounts import PasswordCheck
from relay.directory.client import DirectoryClient, DirectoryEntry, DirectoryError
from relay.directory.linked import SOURCE, DirectoryAccounts
from relay.directory.mapping import GroupMapping
from relay.ops.metrics import RelayMetrics
from relay.store.models import User
from shared.errors import BadRequest, Forbidden, Unavailable

log = logging.getLogger("parley.relay.directory")


def unavailable(error: DirectoryError) -> Unavailable:
    """The sentence a client sees when the directory cannot be asked."""
    if error.reason == "certificate":
        text = (
            "The company directory's certificate could not be verified, so company accounts cannot sign in "
            "right now. Tell your IT department."
        )
    elif error.reason == "timeout":
        text = (
            "The company directory is answering too slowly, so company accounts cannot sign in right now. "
            "Try again in a few minutes."
        )
    elif error.reason in ("service_account", "base", "refused"):
        text = (
            "The relay's connection to the company directory is misconfigured, so company accounts cannot "
            "sign in. Tell your IT department."
        )
    else:
        text = (
            "The company directory cannot be reached, so company accounts cannot sign in right now. Try again "
            "in a few minutes; if it goes on, tell your IT department."
        )
    return Unavailable(text)


class DirectorySignIn:
    """The `PasswordCheck` for ``auth.mode`` "ldap" or "both"."""

    def __init__(
        self,
        mode: str,
        directory: DirectoryClient,
        accounts: DirectoryAccounts,
        mapping: GroupMapping,
        local: PasswordCheck,
        metrics: RelayMetrics,
    ) -> None:
        self.both = mode == "both"
        self.metrics = metrics
        self.directory = directory
        self.accounts = accounts
        self.mapping = mapping
        self.local = local

    async def check_password(self, name: str, password: str) -> User | None:
        try:
            user = await self._check(name, password)
        except Unavailable:
            self.metrics.directory_signins.labels("unavailable").inc()
            raise
        except Forbidden:
            self.metrics.directory_signins.labels("refused").inc()
            raise
        if user is not None and user.source == SOURCE:
            self.metrics.directory_signins.labels("ok").inc()
        elif user is None:
            self.metrics.directory_signins.labels("wrong_password_or_unknown").inc()
        return user

    async def _check(self, name: str, password: str) -> User | None:
        known = await self.accounts.by_name(name)
        local_account = known is not None and known.source != SOURCE
        if local_account and self.both:
            user = await self.local.check_password(name, password)
            if user is not None:
                return user
        try:
            entry = await self.directory.find_user(name)
        except DirectoryError as exc:
            self.metrics.directory_errors.labels(exc.reason).inc()
            log.warning("directory sign-in could not ask the directory: %s", exc.message)
            if local_account and self.both:
                return None  # a wrong local password; the directory being down changes nothing
            raise unavailable(exc) from None
        if entry is None:
            log.info("directory sign-in refused: the directory has no entry for the name")
            if known is not None and known.source == SOURCE:
                await self.accounts.disable(known, "no longer in the directory")
            return None
        return await self._bind(entry, password, known)

    async def _bind(self, entry: DirectoryEntry, password: str, known: User | None) -> User | None:
        try:
            result = await self.directory.verify_password(entry.dn, password)
        except DirectoryError as exc:
            self.metrics.directory_errors.labels(exc.reason).inc()
            log.warning("directory sign-in could not check the password: %s", exc.message)
            raise unavailable(exc) from None
        if result == "wrong_password":
            log.info("directory sign-in refused: wrong password%s", " (entry locked)" if entry.locked else "")
            if entry.locked:
                raise Forbidden(
                    "Your company account is locked after too many failed sign-ins. Wait for it to unlock "
                    "or ask your IT department."
                )
            return None
        if result == "locked":
            raise Forbidden(
                "Your company account is locked after too many failed sign-ins. Wait for it to unlock or ask "
                "your IT department."
            )
        if result == "expired":
            raise Forbidden(
                "Your company password or account has expired. Change your password the way your company "
                "does (for example by signing in to your computer), then try again."
            )
        if result == "disabled" or entry.disabled:
            if known is not None and known.source == SOURCE:
                await self.accounts.disable(known, "disabled in the directory")
            raise Forbidden("Your company account is disabled, so you cannot sign in. Ask your IT department.")
        perms = self.mapping.permissions(entry.groups)
        if not perms.may_sign_in:
            if known is not None and known.source == SOURCE:
                await self.accounts.disable(known, "not in a group allowed to sign in")
            raise Forbidden(
                "Your company account is not among those allowed to use Parley. Ask your IT department to "
                "give you access."
            )
        try:
            return await self.accounts.link(entry, perms)
        except BadRequest:
            raise Forbidden(
                "Your company user name cannot be used in Parley (it has characters Parley does not allow). "
                "Ask your IT department."
            ) from None
