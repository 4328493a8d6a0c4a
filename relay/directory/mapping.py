"""Directory groups to Parley permissions, as ``[auth.ldap.groups]`` says."""

from __future__ import annotations

from dataclasses import dataclass

from relay.config import LdapGroupsConfig
from relay.directory.client import normalize_dn


@dataclass(frozen=True)
class Permissions:
    may_sign_in: bool
    may_host: bool  # create meetings and book rooms
    is_admin: bool


class GroupMapping:
    """An empty ``sign_in`` or ``host`` list allows everyone the user search finds; ``admin`` must
    name a group for anyone to be an administrator."""

    def __init__(self, groups: LdapGroupsConfig) -> None:
        self.sign_in = frozenset(normalize_dn(g) for g in groups.sign_in)
        self.host = frozenset(normalize_dn(g) for g in groups.host)
        self.admin = frozenset(normalize_dn(g) for g in groups.admin)

    def permissions(self, groups: frozenset[str]) -> Permissions:
        is_admin = bool(self.admin & groups)
        may_sign_in = is_admin or not self.sign_in or bool(self.sign_in & groups)
        may_host = is_admin or not self.host or bool(self.host & groups)
        return Permissions(may_sign_in=may_sign_in, may_host=may_sign_in and may_host, is_admin=is_admin)
