"""``parley``: the desktop app, and a headless participant for demos, tests and scripts.

    parley                      open the desktop app
    parley join LINK            open the app straight into a meeting
    parley join LINK --headless [--user U --password-stdin] [--duration S] [--stats FILE] ...
                                [--mic FILE.wav] [--speaker-out FILE.wav] [--audio-processing on|off]
    parley --self-test          check native dependencies and devices

Errors are sentences on stderr and exit status 1; nothing prints a traceback at a person.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from client.cli_support import (
    add_fingerprint_option,
    add_password_stdin_option,
    add_user_option,
    print_error,
    read_password,
)
from client.meetings_cli import register as register_meetings
from shared import memory
from shared.errors import ParleyError
from shared.links import BadLink, MeetingLink, parse_link
from shared.version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Parley meetings.")
    parser.add_argument("--version", action="version", version=f"parley {__version__}")
    parser.add_argument("--self-test", action="store_true", help="check dependencies and devices, then exit")
    sub = parser.add_subparsers(dest="command")

    join = sub.add_parser("join", help="join a meeting by its link")
    join.add_argument("meeting_link", metavar="LINK")
    join.add_argument("--headless", action="store_true", help="join without a window")
    add_user_option(join, "user name (headless)")
    add_password_stdin_option(join)
    add_fingerprint_option(join)
    join.add_argument("--duration", type=float, default=None, help="seconds to stay, then leave")
    join.add_argument("--stats", help="write statistics as JSON to this file on exit")
    join.add_argument("--camera", default="synthetic", help="synthetic, none, or a camera index/name")
    join.add_argument(
        "--mic", default="synthetic", help="synthetic, none, default, a microphone name, or a sound file (looped)"
    )
    join.add_argument("--speaker-out", help="write what this participant hears to this WAV file")
    join.add_argument(
        "--audio-processing",
        choices=("on", "off"),
        default="on",
        help="echo cancellation, noise suppression and gain on the microphone (default on)",
    )
    join.add_argument("--screen", action="store_true", help="share the screen as well")
    join.add_argument("--record", help="record the meeting to this file (host)")
    join.add_argument("--send-file", help="offer this file to the meeting")
    join.add_argument("--to", help="send the file only to this participant (display name)")
    join.add_argument("--download-dir", help="accept offered files into this folder")
    join.add_argument("--json-events", action="store_true", help="print events as JSON lines")
    register_meetings(sub)  # parley meetings list|book|edit|cancel|ics (client/meetings_cli.py)
    return parser


def run_headless(args: argparse.Namespace, link: MeetingLink) -> int:
    from client.headless import HeadlessOptions, run_participant

    options = HeadlessOptions(
        link=link,
        username=args.user,
        password=read_password(args),
        fingerprint=args.server_fingerprint,
        duration=args.duration,
        stats_path=Path(args.stats) if args.stats else None,
        camera=args.camera,
        mic=args.mic,
        speaker_out=Path(args.speaker_out) if args.speaker_out else None,
        audio_processing=args.audio_processing == "on",
        screen=args.screen,
        record=Path(args.record) if args.record else None,
        send_file=Path(args.send_file) if args.send_file else None,
        send_to=args.to,
        download_dir=Path(args.download_dir) if args.download_dir else None,
        json_events=args.json_events,
    )
    return asyncio.run(run_participant(options))


def run_app(link: MeetingLink | None) -> int:
    try:
        from client.ui.app import main as app_main
    except ImportError as exc:
        raise ParleyError(f"The desktop app cannot start: {exc}.") from None
    result: int = app_main(link)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and "://" in argv[0]:
        argv.insert(0, "join")  # the OS link handler starts `parley parley://...`
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    memory.limit_arenas()  # before any media thread starts (shared/memory.py)
    try:
        if args.self_test:
            from client.selftest import run_self_test

            return run_self_test()
        if args.command == "meetings":
            from client.meetings_cli import run as run_meetings

            return run_meetings(args)
        if args.command == "join":
            link = parse_link(args.meeting_link)  # the one place a command-line link is read
            if args.headless:
                return run_headless(args, link)
            return run_app(link)
        return run_app(None)
    except BadLink as exc:
        print_error(str(exc))
        return 2
    except ParleyError as exc:
        print_error(exc.message)
        return 1
    except (OSError, ValueError) as exc:
        print_error(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
