"""The desktop app under soak (started by bench/soak.py): the real MainWindow, offscreen.

Signs in, opens the meeting link, joins from the pre-join screen, records with the Record button and
accepts every file offered into a folder. Prints one JSON line when it is in the call, then waits
for ``stop`` on standard input, stops recording, leaves and prints a JSON report (the recording's
size, files received, frames painted and, with ``--trace``, what grew in Python's heap).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import os
import sys
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mib(pid: int | None = None) -> float:
    """Resident memory of ``pid`` (this process by default) in MiB, from /proc."""
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def heap_mib() -> dict[str, float]:
    """glibc's view of the C heap (mallinfo2): in use, free but kept, and mmapped, in MiB; empty
    where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    mib = 2**20
    return {
        "in_use": round(info.uordblks / mib, 1),
        "free_kept": round(info.fordblks / mib, 1),
        "mmapped": round(info.hblkhd / mib, 1),
    }


def trimmed_rss_mib() -> float | None:
    """RSS after asking glibc to give its free memory back to the system (malloc_trim)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return None
    return rss_mib()


def object_counts() -> Counter[str]:
    return Counter(type(o).__name__ for o in gc.get_objects())


async def until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def soak(args: argparse.Namespace, window: Any, stop: asyncio.Event) -> dict[str, Any]:
    from client.engine.media.session import MediaSession
    from shared.links import parse_link

    width, _, rest = args.video.partition("x")
    height, _, fps = rest.partition("@")
    window.ctx.media.session_factory = partial(
        MediaSession, video_size=(int(width), int(height)), fps=float(fps or 30), playback=False
    )
    window.ctx.trust(args.server, args.fingerprint)
    view = window.sign_in
    view.server_edit.setText(args.server)
    view.username_edit.setText(args.user)
    view.password_edit.setText("correct horse")
    view.submit()
    await until(lambda: window.stack.currentWidget() is window.home, 60, "home")
    window.open_link(parse_link(args.link))
    await until(lambda: window.stack.currentWidget() is window.prejoin, 30, "pre-join")
    window.prejoin.join_button.click()
    await until(lambda: window.stack.currentWidget() is window.call and window.ctx.session.meeting, 60, "the call")
    await until(lambda: window.ctx.media.active, 60, "media")
    downloads = Path(args.work) / "downloads"
    downloads.mkdir(exist_ok=True)
    await until(lambda: window.chat_files.files is not None, 60, "file transfers")
    files = window.chat_files.files
    files.download_dir, files.auto_accept = downloads, True
    recording = window.call.recording
    recording.button.click()
    await until(lambda: recording.service.recording_here, 60, "the recording")
    tracing = None
    if args.trace:
        import tracemalloc

        tracemalloc.start(12)
        tracing = (tracemalloc.take_snapshot(), object_counts())
    print(json.dumps({"in_call": True, "rss_mib": rss_mib()}), flush=True)
    await stop.wait()
    report: dict[str, Any] = {"rss_mib_before_leaving": rss_mib(), "c_heap_mib": heap_mib()}
    report["rss_mib_after_malloc_trim"] = trimmed_rss_mib()
    session = window.ctx.media.session
    if session is not None:
        report["remote_tracks"] = [
            {k: v for k, v in track.items() if k in ("source", "frames", "fps", "frames_skipped", "width")}
            for track in session.stats().get("remote_tracks", [])
        ]
    if tracing is not None:
        import tracemalloc

        gc.collect()
        grown = tracemalloc.take_snapshot().compare_to(tracing[0], "traceback")[:8]
        report["python_heap_growth"] = [
            {"kib": round(stat.size_diff / 1024), "count": stat.count_diff, "where": stat.traceback.format()[-6:]}
            for stat in grown
        ]
        counts = object_counts()
        report["object_count_growth"] = dict((counts - tracing[1]).most_common(15))
    recorder = recording.service.recorder
    path = recorder.path if recorder is not None else None
    recording.button.click()
    await until(lambda: not recording.service.recording_here, 120, "the recording to stop")
    report["recording_mib"] = round(path.stat().st_size / 2**20, 1) if path and path.exists() else None
    report["files_received"] = len(list(downloads.glob("slides*.bin")))
    report["tiles_painted"] = {
        f"{pid}/{source}": tile.frames_painted for (pid, source), tile in window.call.grid.tiles.items()
    }
    window.call.leave()
    await until(lambda: window.stack.currentWidget() is window.home, 60, "home after leaving")
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    for option in ("--server", "--fingerprint", "--user", "--link", "--work"):
        parser.add_argument(option, required=True)
    parser.add_argument("--video", default="1280x720@30")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    from shared import memory

    memory.limit_arenas()  # as client/cli.py does before the app starts

    from PySide6.QtWidgets import QApplication

    from client.engine.credentials import TokenStore
    from client.ui.context import AppContext
    from client.ui.loop import new_event_loop
    from client.ui.main_window import MainWindow

    app = QApplication([])
    loop = new_event_loop(app)
    asyncio.set_event_loop(loop)
    work = Path(args.work) / "app"
    dirs: dict[str, Path | None] = {}
    for key in ("policy_dir", "machine_dir", "user_dir"):
        folder = dirs[key] = work / key
        folder.mkdir(parents=True, exist_ok=True)
    ctx = AppContext.create(dirs, state_file=work / "state.ini")
    ctx.settings.recordings_dir = str(Path(args.work) / "recordings")
    ctx.session.token_store = TokenStore(work / "tokens.json", use_keyring=False)
    window = MainWindow(ctx)
    window.resize(1600, 900)
    window.show()
    stop = asyncio.Event()

    def wait_for_stop() -> None:
        sys.stdin.readline()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_stop, daemon=True).start()
    try:
        report = loop.run_until_complete(soak(args, window, stop))
    except Exception as exc:
        print(json.dumps({"in_call": False, "error": repr(exc)}), flush=True)
        return 1
    finally:
        loop.run_until_complete(asyncio.wait_for(ctx.media.stop(), 10))
        loop.run_until_complete(asyncio.wait_for(ctx.session.close(), 10))
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
