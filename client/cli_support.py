"""What the ``parley`` commands share (``parley join --headless``, ``parley meetings``): the
credential options, the password read from standard input, signing in with it or with a
remembered sign-in, and errors printed as sentences."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from shared.errors import ParleyError, Unauthorized

if TYPE_CHECKING:
    from client.engine.call import ParleyClient
    from shared.protocol import messages as m


def add_user_option(parser: argparse.ArgumentParser, help: str, *, required: bool = False) -> None:
    parser.add_argument("--user", required=required, help=help)


def add_password_stdin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def add_fingerprint_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server-fingerprint", help="SHA-256 fingerprint of a self-signed relay certificate")


def read_password(args: argparse.Namespace) -> str | None:
    """One line of standard input with ``--password-stdin``, else None (use a remembered sign-in)."""
    if not args.password_stdin:
        return None
    line = sys.stdin.readline()
    if not line:
        raise ParleyError("--password-stdin was given but standard input is empty.")
    return line.rstrip("\r\n")


async def sign_in(client: ParleyClient, username: str, password: str | None) -> m.UserInfo:
    """Sign ``client`` in with ``password``, or with the sign-in remembered for ``username``."""
    if password is not None:
        return await client.sign_in(username, password)
    user = await client.resume(username)
    if user is None:
        raise Unauthorized(f"No remembered sign-in for {username} on {client.server}; use --password-stdin.")
    return user


def print_error(sentence: str) -> None:
    """What went wrong, as a sentence on standard error (never a traceback)."""
    print(f"parley: {sentence}", file=sys.stderr)
