"""`MeetingRecorder`: a meeting composited, mixed and encoded to an MP4 on this machine, in a
worker thread at the recording's own clock. No Qt here.

It takes decoded frames from the media session's sinks on the event loop (it only keeps a
reference to the newest frames, or queues 20 ms of audio); the worker draws what the meeting
showed at each frame slot (`client.engine.compositor`), mixes the sound (`client.engine.audio_mix`)
and hands both to the file (`client.engine.mp4_writer`). A slow encoder makes the worker skip
recording frames (counted and logged); it never holds up the call.
"""

from __future__ import annotations

import fractions
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from client.engine import explain as ex
from client.engine.audio_mix import AUDIO_RATE, AudioMix, mono_s16
from client.engine.compositor import Compositor, Tile
from client.engine.mp4_writer import AAC_FRAME, VIDEO_RATE, VIDEO_TIME_BASE, Mp4Writer
from shared.errors import Unavailable

log = logging.getLogger("parley.recording")

AUDIO_LATENCY = 0.12  # seconds of audio held back so late packets still land in the mix
STALE_VIDEO = 1.5  # seconds without a frame before a tile shows the person's name instead
# A worker that wakes late (a loaded machine, the GIL) catches up on up to this many frame slots,
# each drawn from the frames that had arrived by its own time (so sync holds); only a longer
# stall drops recording frames. Frames kept per tile for that: 0.2 s at 30 fps and a spare.
CATCH_UP = 6
HISTORY = 8
# A tile whose newest frame is older than this (a share that stopped, a camera turned off, someone
# who left) lets its frames go; checked every PRUNE_EVERY seconds on the event loop.
FORGET_AFTER = 5.0
PRUNE_EVERY = 2.0
SPEAKING_LEVEL = 0.02
DISK_CHECK_SECONDS = 1.0
MIN_FREE_TO_START = 500 * 2**20
RESERVE_BYTES = 200 * 2**20  # stop while this much is still free


class RecordingError(Unavailable):
    """A recording could not start or continue; the message is for people (with its cause and
    technical details in ``explanation`` when it comes from one)."""

    def __init__(self, message: str | ex.Explanation) -> None:
        explanation = message if isinstance(message, ex.Explanation) else None
        super().__init__(str(explanation.sentence) if explanation else str(message))
        if explanation is not None:
            self.explanation = explanation


@dataclass
class RecorderStats:
    frames: int = 0
    dropped: int = 0
    audio_frames: int = 0
    encode_seconds: float = 0.0
    # The worker's own CPU time (time.thread_time), split by stage: what the recording costs.
    compose_cpu: float = 0.0
    encode_cpu: float = 0.0
    audio_cpu: float = 0.0
    cpu_seconds: float = 0.0

    def report(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "dropped_frames": self.dropped,
            "audio_frames": self.audio_frames,
            "worker_cpu_s": round(self.cpu_seconds, 3),
            "compose_cpu_s": round(self.compose_cpu, 3),
            "encode_cpu_s": round(self.encode_cpu, 3),
            "audio_cpu_s": round(self.audio_cpu, 3),
        }


class MeetingRecorder:
    """Composites, mixes and encodes a meeting to ``path`` in a worker thread.

    ``video``/``audio``/``set_roster`` are called on the event loop and stay cheap; ``on_stopped``
    is called from the worker thread with a sentence when the recording stops by itself (disk
    nearly full, write error).
    """

    def __init__(
        self,
        path: Path,
        *,
        size: tuple[int, int] = (1280, 720),
        fps: int = 30,
        min_free: int = MIN_FREE_TO_START,
        reserve: int = RESERVE_BYTES,
        on_stopped: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        yield_to_call: bool = True,
    ) -> None:
        self.path = Path(path)
        # When the machine is short of CPU the call comes first: the worker thread runs at a lower
        # priority, so it is the recording that drops frames, not the call's decoders.
        self.yield_to_call = yield_to_call
        self.width, self.height = size
        self.fps = fps
        self.min_free, self.reserve = min_free, reserve
        self.on_stopped = on_stopped
        self.clock = clock
        self.stats = RecorderStats()
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self.stop_reason = ""
        # The newest frames of each (participant, source), with their arrival times.
        self._latest: dict[tuple[str, str], deque[tuple[av.VideoFrame, float]]] = {}
        self._roster: list[tuple[str, str, bool]] = []  # (participant_id, name, camera on)
        self._roster_version = 0  # the worker lets the compositor forget people when it changes
        self._pruned_at = 0.0
        self._audio_mix = AudioMix()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._file: Mp4Writer | None = None
        self._audio_emitted = 0
        self._last_dropped_log = 0.0

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Check the disk, open the file and start the worker. Raises RecordingError."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(folder).free
        except OSError as exc:
            raise RecordingError(ex.explain_file_error(exc, str(folder))) from None
        if free < self.min_free:
            sentence = ex.Sentence(ex.RECORDING_NO_SPACE, (_mb(free), str(folder), _mb(self.min_free)))
            raise RecordingError(ex.Explanation(ex.Cause.DISK_FULL, sentence))
        try:
            self._file = Mp4Writer(self.path, self.width, self.height, self.fps)
        except OSError as exc:
            raise RecordingError(ex.explain_file_error(exc, str(self.path))) from None
        except av.FFmpegError as exc:
            sentence = ex.Sentence(ex.FILE_FAILED, (str(self.path),))
            raise RecordingError(ex.Explanation(ex.Cause.FILE, sentence, ex.technical(exc))) from None
        self.started_at = self.clock()
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()
        log.info("recording to %s at %dx%d@%d", self.path, self.width, self.height, self.fps)

    def stop(self, reason: str = "") -> None:
        """Finish the file (blocking: call it from an executor on the event loop)."""
        if not self.stop_reason:
            self.stop_reason = reason or "stopped"
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- inputs (event loop) -----------------------------------------------------------------

    def video(self, participant_id: str, source: str, frame: av.VideoFrame) -> None:
        key = (participant_id, source)
        history = self._latest.get(key)
        if history is None:
            history = self._latest[key] = deque(maxlen=HISTORY)
        now = self.clock()
        history.append((frame, now))
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            self._forget(lambda key, newest: now - newest > FORGET_AFTER)

    @property
    def tiles_held(self) -> set[tuple[str, str]]:
        """The (participant, source) tiles whose recent frames are held for the recording."""
        return set(self._latest)

    def _forget(self, gone: Callable[[tuple[str, str], float], bool]) -> None:
        """Drop the frames of tiles ``gone(key, newest arrival)`` says are gone (event loop; the
        worker reads a snapshot of the dict, so it never sees one half removed)."""
        for key, history in list(self._latest.items()):
            if not history or gone(key, history[-1][1]):
                del self._latest[key]

    def audio(self, participant_id: str, frame: av.AudioFrame) -> None:
        if self.started_at is None or self._stop.is_set():
            return
        samples = mono_s16(frame)
        if samples is None:
            return
        self._audio_mix.add(participant_id, samples, int((self.clock() - self.started_at) * AUDIO_RATE))

    def set_roster(self, roster: list[tuple[str, str, bool]]) -> None:
        """Who is in the meeting, in display order: (participant_id, name, camera on)."""
        self._roster = list(roster)
        self._roster_version += 1
        present = {pid for pid, _, _ in roster}
        self._forget(lambda key, newest: key[0] not in present)

    # --- worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        assert self.started_at is not None
        if self.yield_to_call:
            _lower_this_threads_priority()
        compositor = Compositor(self.width, self.height)
        seen_roster = self._roster_version
        period = 1.0 / self.fps
        n = 0
        next_disk_check = 0.0
        cpu0 = time.thread_time()
        try:
            while not self._stop.is_set():
                target = self.started_at + n * period
                wait = target - self.clock()
                if wait > 0 and self._stop.wait(wait):
                    break
                now = self.clock()
                behind = int((now - target) / period)
                if behind > CATCH_UP:  # the encoder could not keep up: skip, never queue
                    self.stats.dropped += behind - CATCH_UP
                    n += behind - CATCH_UP
                    target = self.started_at + n * period
                    if now - self._last_dropped_log > 5.0:
                        self._last_dropped_log = now
                        log.warning("recording encoder is slow: %d frames dropped so far", self.stats.dropped)
                if seen_roster != self._roster_version:
                    seen_roster = self._roster_version
                    present = [pid for pid, _, _ in self._roster]
                    compositor.forget({*present, *(f"{pid}/screen" for pid in present)})
                self._write_video(compositor, n, target)
                cpu = time.thread_time()
                self._write_audio(int((now - self.started_at - AUDIO_LATENCY) * AUDIO_RATE))
                self.stats.audio_cpu += time.thread_time() - cpu
                n += 1
                if now >= next_disk_check:
                    next_disk_check = now + DISK_CHECK_SECONDS
                    free = shutil.disk_usage(self.path.parent).free
                    if free < self.reserve:
                        self._stopped_by_itself(
                            f"Recording stopped: the disk is nearly full ({_mb(free)} left). "
                            f"The recording so far is saved in {self.path}."
                        )
                        break
            end = self.clock()
            # Close both streams at the wall-clock end: the last frame lasts until then.
            self._writer().end_video(round((end - self.started_at) * VIDEO_RATE))
            self._write_audio(int((end - self.started_at) * AUDIO_RATE), final=True)
            self.stopped_at = end
        except Exception as exc:  # a full disk, an encoder failure: keep what was written
            log.exception("recording failed")
            full = isinstance(exc, OSError) and ex.explain_file_error(exc).cause is ex.Cause.DISK_FULL
            template = ex.RECORDING_STOPPED_FULL if full else ex.RECORDING_STOPPED
            self._stopped_by_itself(str(ex.Sentence(template, (str(self.path),))))
            self.stopped_at = self.clock()
        finally:
            self.stats.cpu_seconds = time.thread_time() - cpu0
            self._close()

    def _stopped_by_itself(self, message: str) -> None:
        if not self.stop_reason:
            self.stop_reason = message
        log.warning(message)
        self._stop.set()
        if self.on_stopped is not None:
            try:
                self.on_stopped(message)
            except Exception:
                log.exception("on_stopped failed")

    def _tiles(self, now: float) -> tuple[list[Tile], Tile | None]:
        """What the meeting showed at ``now`` (a frame slot's time, maybe a little in the past)."""
        latest = {key: _at(list(history), now) for key, history in list(self._latest.items())}
        levels = self._audio_mix.levels()
        people: list[Tile] = []
        screen: Tile | None = None
        for pid, name, camera_on in self._roster:
            cam = latest.get((pid, "camera"))
            frame = cam[0] if camera_on and cam is not None and now - cam[1] < STALE_VIDEO else None
            people.append(Tile(pid, name, frame, speaking=levels.get(pid, 0.0) > SPEAKING_LEVEL))
            shared = latest.get((pid, "screen"))
            if screen is None and shared is not None and now - shared[1] < STALE_VIDEO * 2:
                screen = Tile(f"{pid}/screen", f"{name}'s screen", shared[0])
        if screen is not None:
            # Speakers beside the screen: whoever is talking first.
            people.sort(key=lambda t: (not t.speaking, -levels.get(t.key, 0.0)))
        return people, screen

    def _write_video(self, compositor: Compositor, n: int, now: float) -> None:
        cpu = time.thread_time()
        people, screen = self._tiles(now)
        # The canvas is I420 already: one copy into the frame, no colour conversion.
        frame = av.VideoFrame.from_ndarray(compositor.compose(people, screen), format="yuv420p")
        frame.pts = round(n * VIDEO_RATE / self.fps)
        frame.time_base = VIDEO_TIME_BASE
        t, composed = time.perf_counter(), time.thread_time()
        self.stats.compose_cpu += composed - cpu
        self._writer().write_video(frame)
        self.stats.encode_seconds += time.perf_counter() - t
        self.stats.encode_cpu += time.thread_time() - composed
        self.stats.frames += 1

    def _write_audio(self, upto: int, final: bool = False) -> None:
        # Whole AAC frames only: the encoder's priming frame makes up for the last one's rounding.
        limit = upto - AAC_FRAME // 2 if final else upto
        while self._audio_emitted + AAC_FRAME <= limit:
            start = self._audio_emitted
            count = AAC_FRAME
            mix = self._audio_mix.mix(start, count)
            frame = av.AudioFrame.from_ndarray(mix.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = start
            frame.time_base = fractions.Fraction(1, AUDIO_RATE)
            self._writer().write_audio(frame)
            self._audio_emitted += count
            self.stats.audio_frames += 1

    def _writer(self) -> Mp4Writer:
        assert self._file is not None, "start() opens the file"
        return self._file

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()


def _lower_this_threads_priority() -> None:
    """Best effort: nice +10 for this thread (Linux), or below normal (Windows)."""
    try:
        if hasattr(os, "setpriority") and os.uname().sysname == "Linux":
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + 10))
        elif os.name == "nt":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetThreadPriority(kernel32.GetCurrentThread(), -1)  # THREAD_PRIORITY_BELOW_NORMAL
    except (OSError, AttributeError):
        log.debug("could not lower the recorder's priority", exc_info=True)


def _at(history: list[tuple[av.VideoFrame, float]], when: float) -> tuple[av.VideoFrame, float] | None:
    """The newest (frame, arrival) that had arrived by ``when`` (else the oldest one kept)."""
    for frame, at in reversed(history):
        if at <= when:
            return frame, at
    return history[0] if history else None


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"
