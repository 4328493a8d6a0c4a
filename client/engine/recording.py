"""Recording a meeting on the host's machine: an MP4 (H.264 + AAC) that survives a crash.

`MeetingRecorder` takes decoded frames from the media session's sinks on the event loop (it only
keeps a reference to the newest frame, or queues 20 ms of audio), and a worker thread composites,
mixes and encodes at the recording's own clock. A slow encoder makes the worker skip recording
frames (counted and logged); it never holds up the call. The file is fragmented MP4 (a fragment
at least every second), so whatever was written before a crash or SIGKILL still plays.

`RecordingService` is the part a UI or the headless participant drives: it asks the relay for
permission (the relay tells everyone, late joiners included), feeds the recorder from a
`MediaSession`, and stops cleanly with a warning before the disk fills.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fractions
import logging
import os
import re
import shutil
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import numpy as np

from client.engine import events as ev
from client.engine.compositor import Compositor, Tile
from shared.errors import Conflict, ParleyError, Unavailable
from shared.protocol import messages as m

if TYPE_CHECKING:
    from client.engine.call import ParleyClient
    from client.engine.media.session import MediaSession

log = logging.getLogger("parley.recording")

AUDIO_RATE = 48000
AAC_FRAME = 1024
VIDEO_RATE = 90000  # a fine time base, so the last frame can end exactly when recording stopped
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_RATE)
AUDIO_LATENCY = 0.12  # seconds of audio held back so late packets still land in the mix
# Decoded video reaches the recorder later than audio sent at the same instant (VP8's decode,
# the frame tick): audio is placed this much later to line up (measured: 40-60 ms on loopback).
AUDIO_ALIGN = 0.03
RESYNC = 0.08  # a lane this far behind the arrival clock jumps to it (a gap)
EARLY = 0.005  # a chunk this much earlier than its slot moves the lane back
STALE_VIDEO = 1.5  # seconds without a frame before a tile shows the person's name instead
# A worker that wakes late (a loaded machine, the GIL) catches up on up to this many frame slots,
# each drawn from the frames that had arrived by its own time (so sync holds); only a longer
# stall drops recording frames. Frames kept per tile for that: 0.2 s at 30 fps and a spare.
CATCH_UP = 6
HISTORY = 8
SPEAKING_LEVEL = 0.02
DISK_CHECK_SECONDS = 1.0
MIN_FREE_TO_START = 500 * 2**20
RESERVE_BYTES = 200 * 2**20  # stop while this much is still free
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


class RecordingError(Unavailable):
    """A recording could not start or continue; the message is for people."""


def recording_filename(title: str, started: dt.datetime) -> str:
    """``<meeting title> <YYYY-MM-DD HH-MM>.mp4``, safe on Windows, macOS and Linux."""
    name = unicodedata.normalize("NFC", title)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"/\\|?*]', "_", name).strip().strip(".")[:100] or "Meeting"
    return f"{name} {started:%Y-%m-%d %H-%M-%S}.mp4"


def default_recordings_dir() -> Path:
    """Where recordings go when the settings name no folder: the user's Videos/Parley."""
    import platformdirs

    return Path(platformdirs.user_videos_dir()) / "Parley"


@dataclass
class _AudioLane:
    """One person's audio placed on the recording's timeline (in samples since the start)."""

    next_pos: int | None = None
    chunks: deque[tuple[int, np.ndarray[Any, Any]]] = field(default_factory=deque)
    level: float = 0.0


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
        self._latest: dict[tuple[str, str], deque[tuple[Any, float]]] = {}
        self._roster: list[tuple[str, str, bool]] = []  # (participant_id, name, camera on)
        self._lanes: dict[str, _AudioLane] = {}
        self._audio_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._container: Any = None
        self._vstream: Any = None
        self._astream: Any = None
        self._audio_emitted = 0
        self._held: list[Any] = []
        self._last_dropped_log = 0.0

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Check the disk, open the file and start the worker. Raises RecordingError."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(folder).free
        except OSError as exc:
            raise RecordingError(f"The recordings folder {folder} cannot be used: {exc.strerror or exc}.") from None
        if free < self.min_free:
            raise RecordingError(
                f"There is not enough free disk space to record ({_mb(free)} free in {folder}; "
                f"at least {_mb(self.min_free)} is needed)."
            )
        try:
            self._open()
        except (OSError, av.FFmpegError) as exc:
            raise RecordingError(f"The recording file {self.path} cannot be written: {exc}.") from None
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

    def video(self, participant_id: str, source: str, frame: Any) -> None:
        key = (participant_id, source)
        history = self._latest.get(key)
        if history is None:
            history = self._latest[key] = deque(maxlen=HISTORY)
        history.append((frame, self.clock()))

    def audio(self, participant_id: str, frame: Any) -> None:
        if self.started_at is None or self._stop.is_set():
            return
        samples = _mono_s16(frame)
        if samples is None:
            return
        now_pos = int((self.clock() - self.started_at) * AUDIO_RATE)
        level = float(np.sqrt(np.mean(np.square(samples.astype(np.float32) / 32768.0)))) if samples.size else 0.0
        with self._audio_lock:
            lane = self._lanes.setdefault(participant_id, _AudioLane())
            lane.level = max(level, lane.level * 0.8)
            # Chunks are laid end to end. Jitter only ever delays a chunk, so the earliest arrival
            # is the true clock: a chunk arriving earlier than its slot pulls the lane back to it;
            # one arriving far later (a stall, a network drop) moves it on and leaves a gap.
            arrival = now_pos - len(samples) + int(AUDIO_ALIGN * AUDIO_RATE)
            if (
                lane.next_pos is None
                or arrival < lane.next_pos - EARLY * AUDIO_RATE
                or arrival > lane.next_pos + RESYNC * AUDIO_RATE
            ):
                lane.next_pos = arrival
            lane.chunks.append((lane.next_pos, samples))
            lane.next_pos += len(samples)

    def set_roster(self, roster: list[tuple[str, str, bool]]) -> None:
        """Who is in the meeting, in display order: (participant_id, name, camera on)."""
        self._roster = list(roster)

    # --- worker ------------------------------------------------------------------------------

    def _open(self) -> None:
        container = av.open(
            str(self.path),
            mode="w",
            format="mp4",
            options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "frag_duration": "1000000",
                "flush_packets": "1",  # each fragment reaches the file whole, not in 256 KB pieces
                "avoid_negative_ts": "disabled",
            },
        )
        try:
            vstream = container.add_stream("libx264", rate=self.fps)
            vstream.width, vstream.height = self.width, self.height
            vstream.pix_fmt = "yuv420p"
            vstream.codec_context.time_base = VIDEO_TIME_BASE
            vstream.codec_context.gop_size = self.fps  # a keyframe, so a fragment, every second
            vstream.codec_context.thread_count = 1
            # Quality-based, capped so busy pictures cannot fill the disk: ~4 Mbit/s at 720p.
            cap = self.width * self.height * 9 // 2000  # kbit/s
            vstream.options = {
                "preset": "ultrafast",
                "tune": "zerolatency",
                "crf": "26",
                "maxrate": f"{cap}k",
                "bufsize": f"{cap * 2}k",
            }
            astream = container.add_stream("aac", rate=AUDIO_RATE)
            astream.codec_context.layout = "mono"
            astream.codec_context.bit_rate = 96000
        except Exception:
            container.close()
            raise
        self._container, self._vstream, self._astream = container, vstream, astream

    def _run(self) -> None:
        assert self.started_at is not None
        if self.yield_to_call:
            _lower_this_threads_priority()
        compositor = Compositor(self.width, self.height)
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
            # The last frame lasts until the wall-clock end, so the file is as long as the recording.
            end_pts = round((end - self.started_at) * VIDEO_RATE)
            held, self._held = self._held, []
            for packet in held:
                if packet.pts is not None:
                    packet.duration = max(1, end_pts - packet.pts)
                self._container.mux(packet)
            self._write_audio(int((end - self.started_at) * AUDIO_RATE), final=True)
            self.stopped_at = end
        except Exception as exc:  # a full disk, an encoder failure: keep what was written
            log.exception("recording failed")
            self._stopped_by_itself(f"Recording stopped: the file could not be written ({exc}).")
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
        with self._audio_lock:
            levels = {pid: lane.level for pid, lane in self._lanes.items()}
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
        packets = self._vstream.encode(frame)
        # One frame's packets are held back until the next, so the last can be given its length.
        held, self._held = self._held, packets
        for packet in held:
            self._container.mux(packet)
        self.stats.encode_seconds += time.perf_counter() - t
        self.stats.encode_cpu += time.thread_time() - composed
        self.stats.frames += 1

    def _write_audio(self, upto: int, final: bool = False) -> None:
        # Whole AAC frames only: the encoder's priming frame makes up for the last one's rounding.
        limit = upto - AAC_FRAME // 2 if final else upto
        while self._audio_emitted + AAC_FRAME <= limit:
            start = self._audio_emitted
            count = AAC_FRAME
            mix = self._mix(start, count)
            frame = av.AudioFrame.from_ndarray(mix.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = start
            frame.time_base = fractions.Fraction(1, AUDIO_RATE)
            for packet in self._astream.encode(frame):
                self._container.mux(packet)
            self._audio_emitted += count
            self.stats.audio_frames += 1

    def _mix(self, start: int, count: int) -> np.ndarray[Any, Any]:
        out = np.zeros(count, np.int32)
        end = start + count
        with self._audio_lock:
            for lane in self._lanes.values():
                while lane.chunks:
                    pos, chunk = lane.chunks[0]
                    if pos >= end:
                        break
                    lo, hi = max(pos, start), min(pos + len(chunk), end)
                    if hi > lo:
                        out[lo - start : hi - start] += chunk[lo - pos : hi - pos]
                    if pos + len(chunk) <= end:
                        lane.chunks.popleft()
                    else:
                        break
                lane.level *= 0.9
        return np.clip(out, -32768, 32767).astype(np.int16)

    def _close(self) -> None:
        container, self._container = self._container, None
        if container is None:
            return
        try:
            for packet in self._held:
                container.mux(packet)
            for stream in (self._vstream, self._astream):
                for packet in stream.encode(None):
                    container.mux(packet)
        except Exception:
            log.exception("flushing the recording encoders failed")
        finally:
            with contextlib.suppress(Exception):
                container.close()


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


def _at(history: list[tuple[Any, float]], when: float) -> tuple[Any, float] | None:
    """The newest (frame, arrival) that had arrived by ``when`` (else the oldest one kept)."""
    for frame, at in reversed(history):
        if at <= when:
            return frame, at
    return history[0] if history else None


def _mono_s16(frame: Any) -> np.ndarray[Any, Any] | None:
    if frame.sample_rate != AUDIO_RATE:
        return None
    samples = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    if frame.format.is_planar:
        samples = samples[0] if channels >= 1 else samples.reshape(-1)
    else:
        samples = samples.reshape(-1, channels)[:, 0] if channels > 1 else samples.reshape(-1)
    return np.ascontiguousarray(samples, dtype=np.int16)


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


class RecordingService:
    """Records the current meeting on this machine, with the relay's permission and notice.

    Also keeps ``state``, the meeting's recording state as the relay announced it (whoever
    records), for the indicator. Drives one `MeetingRecorder` at a time.
    """

    def __init__(
        self,
        client: ParleyClient,
        media: MediaSession | None = None,
        *,
        folder: Path | None = None,
        size: tuple[int, int] = SIZES["720p"],
        fps: int = 30,
        min_free: int = MIN_FREE_TO_START,
        reserve: int = RESERVE_BYTES,
    ) -> None:
        self.client = client
        self.media: MediaSession | None = None
        self.folder = folder
        self.size, self.fps = size, fps
        self.min_free, self.reserve = min_free, reserve
        self.state: m.RecordingState | None = None
        self.recorder: MeetingRecorder | None = None
        self.last_path: Path | None = None
        self.last_wall_seconds = 0.0  # how long the last recording ran, by the wall clock
        self.last_stats: dict[str, Any] = {}
        self._stopping: asyncio.Task[Path] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._early: m.RecordingChanged | None = None
        self._rejoining = False  # back after a reconnect, and not yet said again that we record
        client.push_handlers.append(self._on_push)
        client.add_listener(self._on_event)
        if media is not None:
            self.attach(media)

    @property
    def meeting_recorded(self) -> bool:
        """Someone (maybe this machine) records the meeting: show the indicator."""
        return self.state is not None and self.state.recording

    @property
    def recording_here(self) -> bool:
        return self.recorder is not None

    def attach(self, media: MediaSession) -> None:
        """Feed recordings from ``media`` (the meeting's media session, once it exists)."""
        self.media = media
        media.add_video_sink(self._remote_video)
        media.add_audio_sink(self._remote_audio)
        media.add_local_video_sink(self._local_video)
        media.add_local_audio_sink(self._local_audio)

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.client.push_handlers.remove(self._on_push)
        self.client.remove_listener(self._on_event)

    async def start(self, path: Path | None = None) -> Path:
        """Start recording to ``path`` (default: the recordings folder, named from the meeting's
        title and the time). Raises RecordingError, or the relay's Forbidden/Conflict."""
        meeting = self.client.meeting
        if meeting is None:
            raise RecordingError("Join a meeting before recording it.")
        if self.recorder is not None:
            raise Conflict("This meeting is already being recorded here.")
        if path is None:
            folder = self.folder or default_recordings_dir()
            path = folder / recording_filename(meeting.title, dt.datetime.now())
        self._loop = asyncio.get_running_loop()
        recorder = MeetingRecorder(
            path,
            size=self.size,
            fps=self.fps,
            min_free=self.min_free,
            reserve=self.reserve,
            on_stopped=self._stopped_by_itself,
        )
        await self.client.request(m.StartRecording(id=0))  # the relay decides who may
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, recorder.start)
        except RecordingError as exc:
            with contextlib.suppress(ParleyError, OSError):
                await self.client.request(m.StopRecording(id=0, reason=exc.message))
            raise
        self.recorder = recorder
        self._update_roster()
        return recorder.path

    async def stop(self, reason: str = "", *, tell_relay: bool = True) -> Path | None:
        """Finish the file and tell the meeting; returns the file's path (None if not recording)."""
        if self._stopping is not None:
            return await asyncio.shield(self._stopping)
        recorder = self.recorder
        if recorder is None:
            return None
        self._stopping = asyncio.get_running_loop().create_task(self._stop(recorder, reason, tell_relay))
        try:
            return await asyncio.shield(self._stopping)
        finally:
            self._stopping = None

    async def _stop(self, recorder: MeetingRecorder, reason: str, tell_relay: bool) -> Path:
        await asyncio.get_running_loop().run_in_executor(None, recorder.stop, reason)
        self.recorder = None
        self.last_path = recorder.path
        self.last_wall_seconds = (recorder.stopped_at or 0.0) - (recorder.started_at or 0.0)
        self.last_stats = recorder.stats.report()
        if tell_relay and self.client.meeting is not None:
            with contextlib.suppress(ParleyError, OSError):
                await self.client.request(m.StopRecording(id=0, reason=reason))
        log.info("recording saved to %s (%s)", recorder.path, recorder.stats.report())
        self.client.emit(ev.RecordingFinished(path=str(recorder.path), message=reason))
        return recorder.path

    # --- from the worker thread ----------------------------------------------------------------

    def _stopped_by_itself(self, message: str) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already closed: nothing to tell
            loop.call_soon_threadsafe(lambda: loop.create_task(self.stop(message)))

    # --- media sinks (event loop, cheap) -------------------------------------------------------

    def _remote_video(self, participant_id: str, source: str, frame: Any) -> None:
        if self.recorder is not None:
            self.recorder.video(participant_id, source, frame)

    def _remote_audio(self, participant_id: str, source: str, frame: Any) -> None:
        if self.recorder is not None:
            self.recorder.audio(participant_id, frame)

    def _local_video(self, source: str, frame: Any) -> None:
        if self.recorder is not None and self.client.participant_id:
            self.recorder.video(self.client.participant_id, source, frame)

    def _local_audio(self, source: str, frame: Any) -> None:
        if self.recorder is not None and self.client.participant_id:
            self.recorder.audio(self.client.participant_id, frame)

    # --- relay pushes and engine events --------------------------------------------------------

    def _update_roster(self) -> None:
        if self.recorder is None:
            return
        roster: list[tuple[str, str, bool]] = []
        me = self.client.participant_id
        for p in self.client.participants.values():
            if p.participant_id == me:
                camera = self.media is not None and "camera" in self.media.local_tracks
                camera = camera and not getattr(self.media.local_tracks.get("camera"), "muted", False)  # type: ignore[union-attr]
            else:
                camera = not p.muted.get("camera", False)
            roster.append((p.participant_id, p.display_name, camera))
        self.recorder.set_roster(roster)

    def _on_push(self, event: m.Event) -> None:
        if not isinstance(event, m.RecordingChanged):
            return
        meeting = self.client.meeting
        if meeting is None or event.state.meeting_id != meeting.meeting_id:
            # Sent right after the join reply, it can be read before join() has taken its seat.
            self._early = event
            return
        self._apply(event)

    def _apply(self, event: m.RecordingChanged) -> None:
        unchanged = event.state == self.state or (self.state is None and not event.state.recording)
        self.state = event.state
        if unchanged and not event.message:
            return  # the relay's state on joining, and nothing new in it
        self.client.emit(ev.RecordingStateChanged(state=event.state, message=event.message))
        here = self.client.participant_id
        if self._rejoining:
            return  # a restarted relay does not know yet that we record: we are telling it
        if self.recorder is not None and (not event.state.recording or event.state.by_participant_id != here):
            # The host stopped our recording from their machine: finish the file here.
            asyncio.get_running_loop().create_task(self.stop(tell_relay=False))

    def _on_event(self, event: ev.EngineEvent) -> None:
        if isinstance(event, (ev.ParticipantChanged, ev.ParticipantDeparted)):
            self._update_roster()
        elif isinstance(event, ev.Reconnecting):
            self._rejoining = self.recorder is not None
        elif isinstance(event, ev.MeetingEntered):
            if self.recorder is not None:
                # Back after a reconnect (or a relay restart): say again that we record.
                asyncio.get_running_loop().create_task(self._announce_again())
            elif self.state is not None and self.state.meeting_id != event.meeting.meeting_id:
                self.state = None  # another meeting (back in the same one, the relay says)
            early, self._early = self._early, None
            if early is not None and early.state.meeting_id == event.meeting.meeting_id:
                self._apply(early)
        elif isinstance(event, ev.MeetingLeft):
            self.state = None
            if self.recorder is not None:
                asyncio.get_running_loop().create_task(self.stop(tell_relay=False))

    async def stop_meeting_recording(self, reason: str = "") -> None:
        """Stop the meeting's recording, wherever it is made: here, or (host, or an allowed
        co-host) on the recorder's machine, which finishes its file when the relay tells it."""
        if self.recorder is not None:
            await self.stop(reason)
            return
        reply = await self.client.request(m.StopRecording(id=0, reason=reason))
        assert isinstance(reply, m.RecordingStatus)
        self.state = reply.state

    async def allow_cohosts(self, allowed: bool) -> m.RecordingState:
        """The host lets co-hosts start and stop recording (or stops letting them); the relay
        tells everyone. Raises Forbidden for anyone but the host."""
        reply = await self.client.request(m.AllowCohostRecording(id=0, allowed=allowed))
        assert isinstance(reply, m.RecordingStatus)
        self.state = reply.state
        return reply.state

    async def _announce_again(self) -> None:
        try:
            reply = await self.client.request(m.StartRecording(id=0))
            if isinstance(reply, m.RecordingStatus):
                self.state = reply.state
        except (ParleyError, OSError) as exc:
            log.warning("could not tell the meeting again that it is recorded: %s", exc)
        finally:
            self._rejoining = False
