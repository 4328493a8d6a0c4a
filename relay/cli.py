"""``parley-relay``: serve, and administer accounts and meetings.

Every command takes ``--data-dir`` and ``--config``. Errors are sentences on stderr with exit
status 1 (2 for usage errors); nothing prints a traceback at an operator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from typing import Any

from relay.admin_cli import register as register_admin
from relay.cli_support import RUNTIME_FILE, Admin, config_of, read_password, when, with_admin, write_runtime
from relay.config import ConfigError
from relay.directory.cli import register as register_directory
from relay.ops.private_files import keep_private
from relay.ops_cli import register as register_ops
from relay.store.models import User
from shared import memory
from shared.errors import ParleyError
from shared.version import __version__


class JsonFormatter(logging.Formatter):
    """One JSON object per line: easy to ship, and no content or secrets are ever logged."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("websockets", "aioice", "aiortc", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# --- serve ----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    config = config_of(args)
    if args.host:
        config.server.host = args.host
    if args.port is not None:
        config.server.port = args.port
    setup_logging(args.log_level)

    from relay.server import RelayServer, run

    runtime = config.data_dir / RUNTIME_FILE

    held: list[int] = []

    def ready(server: RelayServer) -> None:
        assert server.certificate is not None
        host = config.server.host
        print(f"listening on wss://{host}:{server.port}", flush=True)
        if server.metrics_server is not None:
            metrics_host = config.server.metrics_listen.rpartition(":")[0]
            print(f"metrics on http://{metrics_host}:{server.metrics_port}/metrics", flush=True)
        print(f"certificate SHA-256 fingerprint: {server.certificate.fingerprint}", flush=True)
        info = {
            "host": host,
            "link_host": config.link_host,
            "port": server.port,
            "fingerprint": server.certificate.fingerprint,
            "pid": os.getpid(),
            "started_at": time.time(),
        }
        held.append(write_runtime(config, info))

    memory.limit_arenas()  # before the codec and database threads start (shared/memory.py)
    if sys.platform == "linux":
        try:
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:  # pragma: no cover
            pass
    try:
        asyncio.run(run(config, ready=ready))
    finally:
        runtime.unlink(missing_ok=True)
        for fd in held:
            os.close(fd)
    print("stopped", flush=True)
    return 0


# --- administration -------------------------------------------------------------------------


def cmd_user(args: argparse.Namespace) -> int:
    async def work(admin: Admin) -> int:
        accounts = admin.accounts
        if args.action == "add":
            user = await accounts.add_user(args.username, read_password(), args.display_name or "")
            print(f"added {user.username} ({user.display_name})")
        elif args.action == "list":
            users = await accounts.list_users()
            if args.json:
                print(json.dumps([_user_row(u) for u in users], indent=2))
            else:
                for u in users:
                    state = "suspended" if u.suspended else "active"
                    print(f"{u.username:24} {state:10} {u.display_name}")
        elif args.action == "suspend":
            await accounts.set_suspended(args.username, True)
            print(f"suspended {args.username}; their sessions are ended")
        elif args.action == "resume":
            await accounts.set_suspended(args.username, False)
            print(f"resumed {args.username}")
        elif args.action == "reset-password":
            await accounts.reset_password(args.username, read_password("New password: "))
            print(f"password of {args.username} reset; their sessions are ended")
        elif args.action == "sessions":
            user = await accounts.get_user(args.username)
            for s in await accounts.list_sessions(user.id):
                print(f"{s.id}  from {s.address or '?':15}  since {when(s.created_at)}  expires {when(s.expires_at)}")
        elif args.action == "revoke-session":
            await accounts.revoke_session(None, args.session_id, actor="admin")
            print(f"revoked session {args.session_id}")
        return 0

    return with_admin(args, work)


def cmd_meeting(args: argparse.Namespace) -> int:
    async def work(admin: Admin) -> int:
        host = await admin.accounts.get_user(args.host)
        meeting = await admin.meetings.create(host, args.title or "", actor="admin")
        print(meeting.link)
        return 0

    return with_admin(args, work)


def _user_row(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "suspended": u.suspended,
        "id": u.id,
        "source": u.source,  # "local" or "directory"
        "may_host": u.may_host,
        "is_admin": u.is_admin,
    }


# --- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML configuration file")
    common.add_argument("--data-dir", help="folder for the database, certificate and backups")

    parser = argparse.ArgumentParser(prog="parley-relay", description="The Parley relay server.")
    parser.add_argument("--version", action="version", version=f"parley-relay {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the relay")
    serve.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (0 picks a free one)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="action", required=True)
    add = user_sub.add_parser("add", parents=[common], help="add an account (password on stdin)")
    add.add_argument("username")
    add.add_argument("--display-name")
    lst = user_sub.add_parser("list", parents=[common], help="list accounts")
    lst.add_argument("--json", action="store_true")
    for action, text in (
        ("suspend", "suspend an account and end its sessions"),
        ("resume", "resume a suspended account"),
        ("reset-password", "set a new password (on stdin) and end its sessions"),
        ("sessions", "list an account's active sessions"),
    ):
        p = user_sub.add_parser(action, parents=[common], help=text)
        p.add_argument("username")
    rev = user_sub.add_parser("revoke-session", parents=[common], help="end one session")
    rev.add_argument("session_id")
    user.set_defaults(func=cmd_user)

    meeting = sub.add_parser("meeting", help="manage meetings")
    meeting_sub = meeting.add_subparsers(dest="action", required=True)
    create = meeting_sub.add_parser("create", parents=[common], help="create a meeting and print its link")
    create.add_argument("--host", required=True, help="user name of the host")
    create.add_argument("--title")
    meeting.set_defaults(func=cmd_meeting)
    register_admin(sub, common)  # room, maintenance, audit (relay/admin_cli.py)
    register_ops(sub, common)  # backup, report availability (relay/ops_cli.py)
    register_directory(sub, common)  # directory check, directory sync (relay/directory/cli.py)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    keep_private()  # every command: the data folder's files are 0600 whatever the umask
    try:
        result: int = args.func(args)
        return result
    except (ConfigError, ParleyError, ValueError, OSError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        print(f"parley-relay: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
