"""`SwitchableVideoTrack`: one publish m-line whose source can stop and start again (screen share).

aiortc's sender reads one track in a loop that ends for good when the track ends, and its VP8
encoder refuses a frame whose timestamp goes backwards. So a screen share that stops and starts
again on the same m-line (stopped transceivers are never removed from later offers) cannot just
swap tracks: this proxy is the sender's track for the connection's life. Without a source it
waits (nothing is sent, the loop lives on); with one it passes its frames on, timestamps rebased
so they keep increasing. No Qt here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

VIDEO_CLOCK = 90000


class SwitchableVideoTrack(MediaStreamTrack):
    """Frames of the current source, or none while there is no source."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack | None = None) -> None:
        super().__init__()
        self._source: MediaStreamTrack | None = None
        self._changed = asyncio.Event()
        self._offset: int | None = None  # added to the current source's timestamps
        self._last_pts = 0
        self._last_time = 0.0
        self.switch(source)

    @property
    def source(self) -> MediaStreamTrack | None:
        return self._source

    def switch(self, source: MediaStreamTrack | None) -> None:
        """Send ``source`` from now on (None: pause); the previous source is stopped."""
        old, self._source = self._source, source
        self._offset = None
        self._changed.set()
        if old is not None and old is not source:
            old.stop()

    async def recv(self) -> Any:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:
                if self._source is source:  # it ended by itself (not switched away): so do we
                    raise
                continue
            if self._source is not source:
                continue  # switched while this frame was on its way
            now = time.monotonic()
            if frame.pts is not None:
                if self._offset is None:
                    elapsed = int((now - self._last_time) * VIDEO_CLOCK) if self._last_time else 0
                    self._offset = self._last_pts + max(1, elapsed) - frame.pts
                frame.pts += self._offset
                self._last_pts = frame.pts
            self._last_time = now
            return frame

    def stop(self) -> None:
        super().stop()
        source, self._source = self._source, None
        if source is not None:
            source.stop()
        self._changed.set()
