"""Opus that survives loss: in-band FEC on the way out, FEC and concealment on the way in.

aiortc decodes Opus through FFmpeg, which can neither read the redundancy Opus carries for the
previous frame (in-band FEC, "LBRR") nor conceal a lost one: a lost packet was a hole of 20 ms
(more for a burst) in what is played. `ConcealingOpusDecoder` calls libopus itself (ctypes, the
copy PyAV ships or the system's): when packets are missing before the one at hand, it decodes
the last missing frame from that packet's FEC data and conceals any earlier ones (libopus'
packet-loss concealment), so the decoded audio has no holes. `opus_encoder_options` makes the
encoder put that FEC data in (and favour the speech modes that carry it).

Both are installed process-wide by `use_loss_resilient_opus` (shared/webrtc/codecs.py holds the
aiortc hooks). Without a loadable libopus, aiortc's decoder stays and a sentence is logged.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fractions
import logging
from pathlib import Path

import av
import numpy as np
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame

from shared.webrtc.codecs import use_opus_decoder, use_opus_encoder_options

log = logging.getLogger("parley.media")

RATE = 48000
CHANNELS = 2
FRAME = 960  # 20 ms, what aiortc sends
MAX_SAMPLES = 5760  # 120 ms: the longest Opus packet
MAX_CONCEAL = 10 * FRAME  # a longer hole is a pause (mute, a restarted stream), not a loss
TIME_BASE = fractions.Fraction(1, RATE)
EXPECTED_LOSS_PERCENT = 10  # what the encoder plans its redundancy for

# Frames of remote audio this process rebuilt from FEC data or concealed (all streams), for the
# --stats report and tests.
REPAIRED = {"fec": 0, "concealed": 0}


def opus_encoder_options() -> dict[str, str]:
    """FFmpeg libopus options: voice, in-band FEC, planned for some loss."""
    return {"application": "voip", "fec": "1", "packet_loss": str(EXPECTED_LOSS_PERCENT)}


def _candidates() -> list[str]:
    found: list[str] = []
    libs = Path(av.__file__).resolve().parent.parent / "av.libs"
    if libs.is_dir():
        found += sorted(str(p) for p in libs.iterdir() if "opus" in p.name.lower())
    system = ctypes.util.find_library("opus")
    if system:
        found.append(system)
    return found


def load_libopus() -> ctypes.CDLL | None:
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
            lib.opus_decoder_create.restype = ctypes.c_void_p
            lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
            lib.opus_decode.restype = ctypes.c_int
            lib.opus_decode.argtypes = [
                ctypes.c_void_p,
                ctypes.c_char_p,
                ctypes.c_int32,
                ctypes.POINTER(ctypes.c_int16),
                ctypes.c_int,
                ctypes.c_int,
            ]
            lib.opus_decoder_destroy.restype = None
            lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
            return lib
        except (OSError, AttributeError):
            continue
    return None


class ConcealingOpusDecoder(Decoder):
    """One remote Opus stream, decoded with FEC and loss concealment (on aiortc's decoder thread)."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib
        error = ctypes.c_int(0)
        self.handle = lib.opus_decoder_create(RATE, CHANNELS, ctypes.byref(error))
        if error.value != 0 or not self.handle:
            raise OSError(f"opus_decoder_create failed ({error.value})")
        self._pcm = (ctypes.c_int16 * (MAX_SAMPLES * CHANNELS))()
        self.next_timestamp: int | None = None
        self.concealed = 0  # frames made up by concealment
        self.recovered = 0  # frames decoded from the next packet's FEC data
        self.bad = 0  # packets libopus refused

    def __del__(self) -> None:
        state, self.handle = vars(self).get("handle"), None
        if state:
            self._lib.opus_decoder_destroy(state)

    def _run(self, data: bytes | None, samples: int, fec: bool) -> int:
        size = len(data) if data is not None else 0
        return int(self._lib.opus_decode(self.handle, data, size, self._pcm, samples, int(fec)))

    def _frame(self, samples: int, pts: int) -> av.AudioFrame:
        pcm = np.ctypeslib.as_array(self._pcm)[: samples * CHANNELS].copy().reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
        frame.sample_rate = RATE
        frame.pts = pts
        frame.time_base = TIME_BASE
        return frame

    def decode(self, encoded_frame: JitterFrame) -> list[av.AudioFrame]:  # type: ignore[override]
        data, timestamp = encoded_frame.data, encoded_frame.timestamp
        frames: list[av.AudioFrame] = []
        hole = timestamp - self.next_timestamp if self.next_timestamp is not None else 0
        if 0 < hole <= MAX_CONCEAL:
            at = self.next_timestamp or 0
            while hole > FRAME:  # all but the last missing frame: concealed
                if self._run(None, FRAME, False) > 0:
                    frames.append(self._frame(FRAME, at))
                    self.concealed += 1
                    REPAIRED["concealed"] += 1
                at, hole = at + FRAME, hole - FRAME
            # the last one from this packet's FEC data (libopus conceals when there is none)
            got = self._run(data, hole - hole % 120 or FRAME, True)
            if got > 0:
                frames.append(self._frame(got, at))
                self.recovered += 1
                REPAIRED["fec"] += 1
        got = self._run(data, MAX_SAMPLES, False)
        if got <= 0:
            self.bad += 1
            return frames
        frames.append(self._frame(got, timestamp))
        self.next_timestamp = timestamp + got
        return frames


_LIB: list[ctypes.CDLL | None] = []


def _decoder() -> Decoder | None:
    if not _LIB:
        _LIB.append(load_libopus())
        if _LIB[0] is None:
            log.warning("libopus was not found: lost audio packets are not concealed")
    lib = _LIB[0]
    if lib is None:
        return None
    try:
        return ConcealingOpusDecoder(lib)
    except OSError as exc:
        log.warning("Opus decoder with concealment unavailable: %s", exc)
        return None


def use_loss_resilient_opus() -> None:
    """Send Opus with in-band FEC and decode it with FEC and concealment, in this process."""
    use_opus_encoder_options(opus_encoder_options())
    use_opus_decoder(_decoder)
