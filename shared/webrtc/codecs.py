"""Which Opus encoder options and decoder aiortc uses in this process.

aiortc creates a sender's encoder and a receiver's decoder through ``get_encoder``/``get_decoder``
(aiortc.codecs), looked up in ``aiortc.rtcrtpsender`` and ``aiortc.rtcrtpreceiver``. These
replace those lookups for Opus only, process-wide (the client calls them once; the relay, which
never encodes or decodes, does not): client/engine/media/opus.py adds in-band FEC on the way out
and FEC + loss concealment on the way in.
"""

from __future__ import annotations

from collections.abc import Callable

import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
from aiortc.codecs import get_decoder, get_encoder
from aiortc.codecs.base import Decoder, Encoder
from aiortc.codecs.opus import OpusEncoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters


def _is_opus(codec: RTCRtpCodecParameters) -> bool:
    return codec.mimeType.lower() == "audio/opus"


def use_opus_encoder_options(options: dict[str, str]) -> None:
    """Every Opus encoder created from now on opens with these FFmpeg libopus ``options``."""

    def encoder(codec: RTCRtpCodecParameters) -> Encoder:
        created = get_encoder(codec)
        if isinstance(created, OpusEncoder):
            created.codec.options = dict(options)
        return created

    setattr(aiortc.rtcrtpsender, "get_encoder", encoder)  # noqa: B010  # the module's lookup, on purpose


def use_opus_decoder(factory: Callable[[], Decoder | None]) -> None:
    """Every Opus stream received from now on is decoded by ``factory()`` (None: aiortc's own)."""

    def decoder(codec: RTCRtpCodecParameters) -> Decoder:
        if _is_opus(codec):
            made = factory()
            if made is not None:
                return made
        return get_decoder(codec)

    setattr(aiortc.rtcrtpreceiver, "get_decoder", decoder)  # noqa: B010  # the module's lookup, on purpose
