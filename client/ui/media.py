"""The call's audio and video as Qt signals, over the engine's `MediaSession`.

The media engine is imported lazily: when it is missing or fails, the call still works (names,
participants, controls) and a sentence says why there is no audio or video.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from client.engine.media.audio_processing import ProcessingChoice
from client.ui.error_text import error_sentence
from client.ui.frames import FrameConverter

log = logging.getLogger("parley.ui")

LOCAL = "local"


def default_session_factory(client: Any, **options: Any) -> Any:
    from client.engine.media.session import MediaSession

    return MediaSession(client, **options)


def list_devices() -> dict[str, list[Any]]:
    """Cameras, microphones, speakers and monitors; empty lists when the media engine is missing."""
    empty: dict[str, list[Any]] = {"cameras": [], "microphones": [], "speakers": [], "monitors": []}
    try:
        from client.engine.media.devices import list_devices as engine_list_devices
    except ImportError:
        return empty
    try:
        found = engine_list_devices()
    except Exception:
        log.exception("listing devices failed")
        return empty
    return {k: list(found.get(k, [])) for k in empty}


def device_label(device: Any) -> str:
    if isinstance(device, dict):
        return str(device.get("name") or device.get("label") or device.get("id") or device)
    return str(getattr(device, "name", device))


def device_id(device: Any) -> str:
    if isinstance(device, dict):
        return str(device.get("id", device.get("name", device)))
    return str(getattr(device, "id", getattr(device, "name", device)))


def screen_share_available() -> str:
    """'' when a screen can be captured here, else a sentence saying why not."""
    if os.name != "nt" and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return QObject.tr("There is no display to share on this computer.")
    return ""


class MediaService(QObject):
    frame_ready = Signal(str, str, QImage)  # participant_id, source, image
    local_frame_ready = Signal(str, QImage)  # source, image
    audio_level_changed = Signal(str, float)
    media_failed = Signal(str)
    mute_changed = Signal(str, bool)  # source, muted
    screen_share_changed = Signal(bool)
    voice_activity = Signal(float, bool)  # our processed microphone level 0..1, speaking (muted too)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        self.session_factory: Callable[..., Any] = default_session_factory
        self.converter: FrameConverter | None = None
        self.muted: dict[str, bool] = {"mic": False, "camera": False}
        self.sharing = False
        self.painted: dict[Hashable, int] = {}

    @property
    def active(self) -> bool:
        return self.session is not None

    async def start(
        self,
        client: Any,
        *,
        camera: str = "synthetic",
        mic: str = "synthetic",
        camera_on: bool,
        mic_on: bool,
        audio_processing: ProcessingChoice | None = None,
    ) -> bool:
        """Publish and subscribe; on failure emit a sentence and return False (the call goes on)."""
        self.muted = {"mic": not mic_on, "camera": not camera_on}
        if self.converter is None:
            self.converter = FrameConverter(self._converted, asyncio.get_running_loop())
        options: dict[str, Any] = {"camera": camera or "synthetic", "mic": mic or "synthetic"}
        if audio_processing is not None:
            options["audio_processing"] = audio_processing
        try:
            session = self.session_factory(client, **options)
        except ImportError:
            self.media_failed.emit(self.tr("Audio and video are not available in this version of Parley."))
            return False
        except Exception as exc:
            self.media_failed.emit(self.tr("Audio and video could not start: {0}").format(error_sentence(exc)))
            return False
        session.add_video_sink(self._remote_frame)
        session.add_local_video_sink(self._local_frame)
        session.add_audio_level_listener(self._level)
        session.add_local_voice_listener(self._voice)
        try:
            await session.start()
            for source, muted in self.muted.items():
                if muted:
                    await session.set_muted(source, True)
        except Exception as exc:
            log.exception("media start failed")
            self.media_failed.emit(self.tr("Audio and video could not start: {0}").format(error_sentence(exc)))
            with contextlib.suppress(Exception):
                await session.stop()
            return False
        self.session = session
        for source, muted in self.muted.items():
            self.mute_changed.emit(source, muted)
        return True

    async def stop(self) -> None:
        session, self.session = self.session, None
        self.sharing = False
        if session is not None:
            with contextlib.suppress(Exception):
                await session.stop()
        if self.converter is not None:
            self.converter.stop()
            self.converter = None

    async def set_muted(self, source: str, muted: bool) -> None:
        if self.session is not None:
            try:
                await self.session.set_muted(source, muted)
            except Exception as exc:
                self.media_failed.emit(error_sentence(exc))
                # Muting takes effect here even if the relay did not hear it; a refused unmute
                # (the host forbids it) leaves the source muted: show it so.
                muted = True
        self.muted[source] = muted
        self.mute_changed.emit(source, muted)

    def set_audio_processing(self, choice: ProcessingChoice) -> None:
        """The microphone's processing changed in the settings: applies from the next 10 ms."""
        if self.session is not None:
            try:
                self.session.set_audio_processing(choice)
            except Exception:
                log.exception("changing the sound processing failed")

    async def start_screen_share(self, monitor: int = 1) -> None:
        reason = screen_share_available()
        if reason:
            self.media_failed.emit(reason)
            return
        if self.session is None:
            self.media_failed.emit(self.tr("Screen sharing needs audio and video, which are not running."))
            return
        try:
            await self.session.start_screen_share(monitor)
        except Exception as exc:
            self.media_failed.emit(self.tr("Screen sharing could not start: {0}").format(error_sentence(exc)))
            return
        self.sharing = True
        self.screen_share_changed.emit(True)

    async def stop_screen_share(self) -> None:
        if self.session is not None and self.sharing:
            with contextlib.suppress(Exception):
                await self.session.stop_screen_share()
        self.sharing = False
        self.screen_share_changed.emit(False)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = {}
        if self.session is not None:
            with contextlib.suppress(Exception):
                stats = dict(self.session.stats())
        if self.converter is not None:
            stats["ui_frames_received"] = self.converter.received
            stats["ui_frames_dropped"] = self.converter.dropped
            stats["ui_frames_converted"] = self.converter.converted
        return stats

    # --- sizes, frames ---------------------------------------------------------------------

    def set_target_size(self, participant_id: str, source: str, width: int, height: int) -> None:
        if self.converter is not None:
            self.converter.set_size((participant_id, source), width, height)

    def _remote_frame(self, participant_id: str, source: str, frame: Any) -> None:
        if self.converter is not None:
            self.converter.submit((participant_id, source), frame)

    def _local_frame(self, source: str, frame: Any) -> None:
        if self.converter is not None:
            self.converter.submit((LOCAL, source), frame)

    def _level(self, participant_id: str, level: float) -> None:
        self.audio_level_changed.emit(participant_id, float(level))

    def _voice(self, level: float, speaking: bool) -> None:
        self.voice_activity.emit(float(level), bool(speaking))

    def _converted(self, key: Hashable, image: QImage) -> None:
        participant_id, source = key  # type: ignore[misc]
        if participant_id == LOCAL:
            self.local_frame_ready.emit(source, image)
        else:
            self.frame_ready.emit(participant_id, source, image)
