"""``parley-relay directory check [USER]`` and ``parley-relay directory sync``.

``check`` tests the ``[auth.ldap]`` configuration the way the relay will use it (service account,
certificate, search base, one user's entry and groups) and prints what it found in sentences, for
an administrator: unlike a client, it may name DNs. ``sync`` runs one round of the periodic sync
now (a serving relay notices the suspensions within a second and signs the people out).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from relay.cli_support import config_of
from relay.config import Config, ConfigError
from relay.directory.client import DirectoryClient, DirectoryError
from relay.directory.config import service_password
from relay.directory.linked import DirectoryAccounts
from relay.directory.mapping import GroupMapping
from relay.directory.sync import DirectorySync
from relay.store.db import Database

_WHY = {
    "unreachable": "Check the server addresses in urls, the port, and that a firewall lets the relay through.",
    "timeout": "The directory (or the network to it) is too slow; check it, or raise timeout_seconds.",
    "certificate": (
        "Check that ca_file holds the CA that signed the directory's certificate and that the names in urls "
        "match the certificate."
    ),
    "service_account": "Check bind_dn and the password in bind_password_file or bind_password_env.",
    "base": "Check user_base (and group_base): the directory has no such entry.",
    "refused": "The directory refused the request; its own log says why.",
}


def _directory(config: Config) -> DirectoryClient:
    if config.auth.mode == "local":
        raise ConfigError('Sign-in with the company directory is off: [auth] mode is "local".')
    return DirectoryClient(config.auth.ldap, service_password(config.auth.ldap))


async def check(config: Config, username: str | None) -> tuple[bool, list[str]]:
    """Whether the configuration works, and sentences saying what was found."""
    ldap = config.auth.ldap
    directory = _directory(config)
    lines: list[str] = []
    try:
        count = await directory.check_base()
        lines.append(
            f"The directory answered at {', '.join(ldap.urls)}, the service account "
            f"{ldap.bind_dn or '(anonymous)'} was accepted, and the user search base {ldap.user_base} exists"
            + (" and holds entries." if count else " (but holds no entries).")
        )
        if username is None:
            return True, lines
        entry = await directory.find_user(username)
        if entry is None:
            lines.append(
                f"No single entry for {username!r} was found under {ldap.user_base} with the filter "
                f"{ldap.user_filter}: that person cannot sign in."
            )
            return False, lines
        perms = GroupMapping(ldap.groups).permissions(entry.groups)
        lines.append(
            f"{username} is {entry.dn}: display name {entry.display_name or '(none)'!r}, "
            f"e-mail {entry.email or '(none)'}, Parley user name {entry.username}."
        )
        lines.append(f"Groups found: {', '.join(sorted(entry.groups))}." if entry.groups else "No groups were found.")
        if entry.disabled:
            lines.append("The account is disabled in the directory: sign-in is refused and live sessions end.")
        elif not perms.may_sign_in:
            lines.append("The account is in none of the groups allowed to sign in ([auth.ldap.groups] sign_in).")
        else:
            what = "may sign in" + (", create and book meetings" if perms.may_host else ", but not host")
            lines.append(f"The account {what}" + (" and is an administrator." if perms.is_admin else "."))
        return entry.disabled is False and perms.may_sign_in, lines
    except DirectoryError as exc:
        lines.append(f"The directory check failed: {exc.message}. {_WHY[exc.reason]}")
        return False, lines
    finally:
        directory.close()


async def sync_now(config: Config) -> list[str]:
    directory = _directory(config)
    db = Database(config.database_url)
    try:
        await db.migrate()
        accounts = DirectoryAccounts(db, time.time)
        sync = DirectorySync(directory, accounts, GroupMapping(config.auth.ldap.groups), 0)
        report = await sync.run_once()
    finally:
        directory.close()
        await db.close()
    if report.error:
        return [f"The directory could not be asked, so nothing changed: {report.error}."]
    lines = [
        f"Checked {report.checked} directory account{'s' if report.checked != 1 else ''}; updated {report.updated}."
    ]
    if report.disabled:
        lines.append(f"Suspended (signed out everywhere): {', '.join(report.disabled)}.")
    return lines


def cmd_directory(args: argparse.Namespace) -> int:
    config = config_of(args)
    if args.action == "check":
        ok, lines = asyncio.run(check(config, args.username))
        print("\n".join(lines))
        return 0 if ok else 1
    print("\n".join(asyncio.run(sync_now(config))))
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    directory = sub.add_parser("directory", help="the company directory (LDAP / Active Directory)")
    directory_sub = directory.add_subparsers(dest="action", required=True)
    chk = directory_sub.add_parser(
        "check", parents=[common], help="test [auth.ldap] and show what the directory says about one user"
    )
    chk.add_argument("username", nargs="?")
    directory_sub.add_parser("sync", parents=[common], help="check every directory account now")
    directory.set_defaults(func=cmd_directory)
