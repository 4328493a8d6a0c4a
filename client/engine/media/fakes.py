"""Fakes of the media engine, shipped next to it: `SyntheticMediaSession`, a stand-in
`MediaSession` that fabricates decoded frames and audio levels on the event loop.

It follows the media engine's contract (client/engine/media/session.py) so the UI's tests and the
render benchmark can feed the call screen N remote 720p30 streams without cameras, networks or
decoders: the frames arrive exactly as the engine would deliver them (av.VideoFrame, on the loop).
No Qt here.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

import av
import numpy as np

from client.engine.media.audio_processing import ProcessingChoice
from shared.protocol import messages as m


class SeatedClient(Protocol):
    """What the fake reads of its client: a `ParleyClient`, or a stand-in with these four."""

    @property
    def participant_id(self) -> str | None: ...

    @property
    def participants(self) -> dict[str, m.ParticipantInfo]: ...

    @property
    def meeting(self) -> m.MeetingInfo | None: ...

    async def request(self, request: m.Request) -> m.Reply: ...


def make_frames(width: int, height: int, count: int = 8) -> list[av.VideoFrame]:
    """A few distinct yuv420p frames to cycle through (building a frame per tick would dominate CPU)."""
    frames = []
    y = np.arange(height, dtype=np.uint16)[:, None]
    x = np.arange(width, dtype=np.uint16)[None, :]
    for i in range(count):
        rgb = np.empty((height, width, 3), dtype=np.uint8)
        rgb[..., 0] = ((x + i * 16) % 256).astype(np.uint8)
        rgb[..., 1] = ((y + i * 8) % 256).astype(np.uint8)
        rgb[..., 2] = 128 + (i * 12) % 64
        frames.append(av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p"))
    return frames


class SyntheticMediaSession:
    """Every remote participant of ``client`` sends ``width``x``height`` at ``fps``; levels wander."""

    def __init__(
        self,
        client: SeatedClient,
        *,
        camera: str = "synthetic",
        mic: str = "synthetic",
        screen: bool = False,
        screen_monitor: int = 1,
        playback: bool = True,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        participants: Callable[[], list[str]] | None = None,
        audio_processing: ProcessingChoice | None = None,
    ) -> None:
        self.client = client
        self.fps = fps
        self.frames = make_frames(width, height)
        self._participants = participants or (
            lambda: [pid for pid in client.participants if pid != client.participant_id]
        )
        self.video_sinks: list[Callable[[str, str, av.VideoFrame], None]] = []
        self.local_sinks: list[Callable[[str, av.VideoFrame], None]] = []
        self.level_listeners: list[Callable[[str, float], None]] = []
        self.voice_listeners: list[Callable[[float, bool], None]] = []
        self.audio_processing = audio_processing or ProcessingChoice()
        self.muted = {"mic": False, "camera": False}
        self.sharing = False
        self.sent = 0
        self._task: asyncio.Task[None] | None = None
        self.started = False

    def add_video_sink(self, callback: Callable[[str, str, av.VideoFrame], None]) -> None:
        self.video_sinks.append(callback)

    def add_local_video_sink(self, callback: Callable[[str, av.VideoFrame], None]) -> None:
        self.local_sinks.append(callback)

    def add_audio_level_listener(self, callback: Callable[[str, float], None]) -> None:
        self.level_listeners.append(callback)

    def add_local_voice_listener(self, callback: Callable[[float, bool], None]) -> None:
        self.voice_listeners.append(callback)

    def set_audio_processing(self, choice: ProcessingChoice) -> None:
        self.audio_processing = choice

    def speak(self, speaking: bool, level: float = 0.5) -> None:
        """As if this participant's processed microphone heard a voice (or stopped hearing one)."""
        for listener in list(self.voice_listeners):
            listener(level if speaking else 0.0, speaking)

    async def start(self) -> None:
        self.started = True
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self.started = False
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def set_muted(self, source: str, muted: bool) -> None:
        """As the engine's: muted here at once, the relay told; a refused unmute stays muted."""
        self.muted[source] = muted
        if self.client.meeting is None:
            return
        try:
            await self.client.request(m.SetMuted(id=0, source=source, muted=muted))  # type: ignore[arg-type]
        except BaseException:
            if not muted:
                self.muted[source] = True
            raise

    async def start_screen_share(self, monitor: int = 1) -> None:
        self.sharing = True

    async def stop_screen_share(self) -> None:
        self.sharing = False

    def stats(self) -> dict[str, Any]:
        return {"frames_sent_to_ui": self.sent, "packet_loss": 0.0, "rtt_ms": 20.0}

    async def _run(self) -> None:
        period = 1.0 / self.fps
        next_at = time.monotonic()
        tick = 0
        while True:
            next_at += period
            frame = self.frames[tick % len(self.frames)]
            for pid in self._participants():
                for sink in self.video_sinks:
                    sink(pid, "camera", frame)
                self.sent += 1
            if not self.muted["camera"]:
                for local in self.local_sinks:
                    local("camera", frame)
            if tick % 3 == 0:
                for index, pid in enumerate(self._participants()):
                    level = max(0.0, math.sin(tick / 20 + index * 1.7)) * (0.5 if index == 0 else 0.2)
                    for listener in self.level_listeners:
                        listener(pid, level)
            tick += 1
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
