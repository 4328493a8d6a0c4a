"""Desktop client rendering: N remote 720p30 participants on the call screen.

Feeds the real call screen (CallView, MediaService, FrameConverter, VideoTile) with decoded 720p
frames at 30 fps per remote participant, exactly as the media engine delivers them (av.VideoFrame
on the event loop), and reports as JSON: process CPU, frames received vs painted per tile, frames
dropped by the converter, and the UI event loop's worst stall (a 10 ms ticker's lateness).

Decoding is not included (the media engine's benchmark measures it); this measures what the UI
adds on top. Runs offscreen by default; set QT_QPA_PLATFORM=xcb with DISPLAY for a real X server.

    .venv/bin/python bench/client_render.py [--participants 9] [--seconds 10] [--size 1600x900]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(args: argparse.Namespace, window: object) -> dict[str, object]:
    from shared.protocol import messages as m

    call = window.call  # type: ignore[attr-defined]
    ctx = window.ctx  # type: ignore[attr-defined]
    participants = [
        m.ParticipantInfo(participant_id=f"p{i}", user_id=f"u{i}", display_name=f"Participant {i + 1}")
        for i in range(args.participants)
    ]
    me = m.ParticipantInfo(participant_id="me", user_id="me", display_name="Me")
    # A stand-in client: the call screen only reads participant ids and the participant list (no
    # meeting: mute changes stay here).
    client = SimpleNamespace(
        participant_id="me", participants={p.participant_id: p for p in participants}, meeting=None
    )
    ctx.session.client = client
    for info in [me, *participants]:
        call._participant_present(info)

    from client.engine.media.fakes import SyntheticMediaSession

    w, h = args.video
    ctx.media.session_factory = partial(SyntheticMediaSession, width=w, height=h, fps=args.fps)
    await ctx.media.start(client, camera="synthetic", mic="synthetic", camera_on=False, mic_on=True)
    await asyncio.sleep(args.warmup)

    tiles = [call.grid.tile(p.participant_id) for p in participants]
    start_received = [t.frames_received for t in tiles]
    start_painted = [t.frames_painted for t in tiles]
    converter = ctx.media.converter
    start_conv = (converter.received, converter.dropped)
    worst_stall = 0.0
    stalls_over_50 = 0
    cpu0, t0 = cpu_seconds(), time.monotonic()
    expected = t0
    tick = 0.01
    while time.monotonic() - t0 < args.seconds:
        expected += tick
        await asyncio.sleep(max(0.0, expected - time.monotonic()))
        late = time.monotonic() - expected
        if late > worst_stall:
            worst_stall = late
        if late > 0.05:
            stalls_over_50 += 1
        if late > tick:
            expected = time.monotonic()
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds() - cpu0
    received = [t.frames_received - r for t, r in zip(tiles, start_received, strict=True)]
    painted = [t.frames_painted - p for t, p in zip(tiles, start_painted, strict=True)]
    tile_sizes = sorted({(t.width(), t.height()) for t in tiles})
    await ctx.media.stop()
    return {
        "benchmark": "client_render",
        "participants": args.participants,
        "video": f"{w}x{h}@{args.fps:g}",
        "window": f"{args.size[0]}x{args.size[1]}",
        "tile_sizes": [f"{a}x{b}" for a, b in tile_sizes],
        "seconds": round(elapsed, 2),
        "cpu_percent": round(100 * cpu / elapsed, 1),
        "cores": os.cpu_count(),
        "frames_sent_per_tile_per_s": args.fps,
        "frames_converted_per_tile_per_s": round(sum(received) / len(received) / elapsed, 1),
        "frames_painted_per_tile_per_s": round(sum(painted) / len(painted) / elapsed, 1),
        "min_painted_per_tile_per_s": round(min(painted) / elapsed, 1),
        "converter_dropped_fraction": round(
            (converter.dropped - start_conv[1]) / max(1, converter.received - start_conv[0]), 4
        )
        if converter
        else None,
        "worst_ui_stall_ms": round(worst_stall * 1000, 1),
        "ui_stalls_over_50ms": stalls_over_50,
        "qt_platform": os.environ.get("QT_QPA_PLATFORM"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--video", default="1280x720")
    parser.add_argument("--size", default="1600x900")
    args = parser.parse_args()
    args.video = tuple(int(v) for v in args.video.split("x"))
    args.size = tuple(int(v) for v in args.size.split("x"))

    from client.ui.app import make_application
    from client.ui.context import AppContext
    from client.ui.loop import new_event_loop
    from client.ui.main_window import MainWindow

    app = make_application()
    # The app's own loop (worker threads hand work over without touching Qt), as in `parley`.
    loop = new_event_loop(app)
    asyncio.set_event_loop(loop)
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    ctx = AppContext.create({"policy_dir": tmp, "machine_dir": tmp, "user_dir": tmp}, state_file=tmp / "state.ini")
    window = MainWindow(ctx)
    window.resize(*args.size)
    window.show()
    window.show_view(window.call)
    try:
        result = loop.run_until_complete(measure(args, window))
        result["load_average_1m"] = round(os.getloadavg()[0], 2)
        # Tear down in order while the loop still exists: widgets first, then the loop, then Qt.
        # (Leaving it to interpreter exit destroyed the loop's socket notifiers after the
        # QApplication and crashed on exit.)
        window.close()
        window.deleteLater()
        app.processEvents()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
