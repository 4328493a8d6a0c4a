"""A `MediaSession`'s own sound: the microphone with its processing (echo cancellation, noise
suppression, gain; client/engine/media/audio_processing.py), the speakers' taps (the echo
canceller's far-end reference, ``--speaker-out``) and this participant's voice activity, which
the call screen uses to say "You are muted". No Qt here.

`LocalAudio` is a part of `MediaSession` (client/engine/media/session.py).
"""

from __future__ import annotations

import asyncio
import logging
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from client.engine import events as ev
from client.engine.media.audio_processing import FarEndReference, MicProcessor, ProcessingChoice
from client.engine.media.microphone import FileMicrophoneTrack, MicrophoneTrack
from client.engine.media.sources import AUDIO_RATE, DeviceUnavailable, ToneAudioTrack

if TYPE_CHECKING:
    from aiortc import MediaStreamTrack

log = logging.getLogger("parley.media")

SOUND_FILE_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3"}
VoiceCallback = Callable[[float, bool], None]


def is_sound_file(mic: str) -> bool:
    """``--mic`` names a sound file (played as the microphone) rather than a device."""
    path = Path(mic)
    return path.suffix.lower() in SOUND_FILE_SUFFIXES or path.is_file()


class SpeakerFile:
    """Writes what this participant hears, exactly as the speakers are handed it, to a WAV file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        handle = wave.open(str(path), "wb")  # closed by close()
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(AUDIO_RATE)
        self._wave: wave.Wave_write | None = handle
        self.samples = 0

    def write(self, block: np.ndarray[Any, Any]) -> None:
        handle = self._wave
        if handle is not None:
            handle.writeframes(np.ascontiguousarray(block, dtype="<i2").tobytes())
            self.samples += block.size

    def close(self) -> None:
        handle, self._wave = self._wave, None
        if handle is not None:
            handle.close()


class LocalAudio:
    """The microphone's processing and the speakers' taps of a `MediaSession`."""

    mic: str
    local_tracks: dict[str, Any]
    _emit: Callable[[ev.EngineEvent], None]
    _fail: Callable[[str], None]

    def _init_local_audio(self, choice: ProcessingChoice | None, speaker_out: Path | None) -> None:
        self.audio_processing = choice if choice is not None else ProcessingChoice()
        self.far_end = FarEndReference()
        self.speaker_out = speaker_out
        self._speaker_file: SpeakerFile | None = None
        self._voice_listeners: list[VoiceCallback] = []
        self._local_audio_loop: asyncio.AbstractEventLoop | None = None
        self.speaking = False

    def add_local_voice_listener(self, callback: VoiceCallback) -> None:
        """Called on the event loop about ten times a second with (processed microphone level
        0..1, speaking): voice activity of the processed sound, measured while muted too."""
        self._voice_listeners.append(callback)

    def set_audio_processing(self, choice: ProcessingChoice) -> None:
        """Change the microphone's processing during the call (from the next 10 ms frame)."""
        self.audio_processing = choice
        processor = self.mic_processor
        if processor is not None:
            processor.configure(choice)

    @property
    def mic_processor(self) -> MicProcessor | None:
        track = self.local_tracks.get("mic")
        processor = getattr(track, "processor", None)
        return processor if isinstance(processor, MicProcessor) else None

    def _playback_taps(self) -> list[Callable[[np.ndarray[Any, Any]], None]]:
        taps: list[Callable[[np.ndarray[Any, Any]], None]] = [self.far_end.played]
        if self.speaker_out is not None and self._speaker_file is None:
            self._speaker_file = SpeakerFile(self.speaker_out)
        if self._speaker_file is not None:
            taps.append(self._speaker_file.write)
        return taps

    def audio_report(self) -> dict[str, Any]:
        """The ``audio_processing`` entry of ``--stats``: the choice, frames, CPU per frame."""
        processor = self.mic_processor
        report: dict[str, Any] = {
            "active": self.audio_processing.active,
            "noise_suppression": self.audio_processing.noise_suppression,
            "echo_cancellation": self.audio_processing.echo_cancellation,
            "auto_gain": self.audio_processing.auto_gain,
            "far_end_resyncs": self.far_end.resyncs,
            "far_end_stalls": self.far_end.stalls,
            "far_end_missing": self.far_end.missing,
        }
        track = self.local_tracks.get("mic")
        if isinstance(track, MicrophoneTrack):
            report["mic_reopened"] = track.reopened
        if processor is not None:
            report["frames"] = processor.frames
            frames = max(1, processor.frames)
            report["cpu_ms_per_frame"] = round(processor.cpu_s * 1000 / frames, 4)
        if self._speaker_file is not None:
            report["speaker_out_s"] = round(self._speaker_file.samples / AUDIO_RATE, 2)
        return report

    def _close_local_audio(self) -> None:
        if self._speaker_file is not None:
            self._speaker_file.close()

    def _open_microphone(self) -> MediaStreamTrack:
        """The microphone named by ``mic``: synthetic, a sound file, or a device (a tone and a
        sentence when it cannot be opened)."""
        if self.mic == "synthetic":
            return ToneAudioTrack()
        self._local_audio_loop = asyncio.get_running_loop()
        processor = MicProcessor(
            self.audio_processing, self.far_end, on_voice=self._voice_from_thread, on_notice=self._notice_from_thread
        )
        try:
            if is_sound_file(self.mic):
                return FileMicrophoneTrack(Path(self.mic), processor)
            return MicrophoneTrack(None if self.mic == "default" else self.mic, processor)
        except DeviceUnavailable as exc:
            self._fail(f"{exc} Sending a test tone instead.")
            return ToneAudioTrack()

    # --- from the capture thread -----------------------------------------------------------------

    def _voice_from_thread(self, level: float, speaking: bool) -> None:
        loop = self._local_audio_loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._voice_changed, level, speaking)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def _notice_from_thread(self, sentence: str) -> None:
        loop = self._local_audio_loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._emit, ev.MediaFailed(message=sentence))
            except RuntimeError:
                pass

    def _voice_changed(self, level: float, speaking: bool) -> None:
        self.speaking = speaking
        for listener in list(self._voice_listeners):
            try:
                listener(level, speaking)
            except Exception:
                log.exception("voice listener failed")
