"""The recording's file: H.264 and AAC encoders muxed into a fragmented MP4 that survives a crash
(a fragment at least every second, each written whole). No Qt here; used from the recorder's
worker thread only.
"""

from __future__ import annotations

import contextlib
import fractions
import logging
from pathlib import Path

import av
from av.container import OutputContainer
from av.packet import Packet
from av.stream import Stream

from client.engine.audio_mix import AUDIO_RATE

log = logging.getLogger("parley.recording")

AAC_FRAME = 1024
VIDEO_RATE = 90000  # a fine time base, so the last frame can end exactly when recording stopped
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_RATE)


class Mp4Writer:
    """Opens ``path`` for writing (raises OSError or av.FFmpegError), encodes and muxes."""

    def __init__(self, path: Path, width: int, height: int, fps: int) -> None:
        container = av.open(
            str(path),
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
            vstream = container.add_stream("libx264", rate=fps)
            vstream.width, vstream.height = width, height
            vstream.pix_fmt = "yuv420p"
            vstream.codec_context.time_base = VIDEO_TIME_BASE
            vstream.codec_context.gop_size = fps  # a keyframe, so a fragment, every second
            vstream.codec_context.thread_count = 1
            # Quality-based, capped so busy pictures cannot fill the disk: ~4 Mbit/s at 720p.
            cap = width * height * 9 // 2000  # kbit/s
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
        self._container: OutputContainer | None = container
        self._vstream, self._astream = vstream, astream
        self._held: list[Packet[Stream]] = []

    def write_video(self, frame: av.VideoFrame) -> None:
        packets = self._vstream.encode(frame)
        # One frame's packets are held back until the next, so the last can be given its length.
        held, self._held = self._held, packets
        for packet in held:
            self._mux(packet)

    def end_video(self, end_pts: int) -> None:
        """The last frame lasts until ``end_pts``, so the file is as long as the recording."""
        held, self._held = self._held, []
        for packet in held:
            if packet.pts is not None:
                packet.duration = max(1, end_pts - packet.pts)
            self._mux(packet)

    def write_audio(self, frame: av.AudioFrame) -> None:
        for packet in self._astream.encode(frame):
            self._mux(packet)

    def close(self) -> None:
        """Flush the encoders and finish the file; keeps what was written whatever fails."""
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

    def _mux(self, packet: Packet[Stream]) -> None:
        assert self._container is not None, "the file is closed"
        self._container.mux(packet)
