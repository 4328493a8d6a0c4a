"""What a participant sends: its sources (microphone, camera, screen, or test signals when a
device fails) on the publish connection, with the data channel, and the self view. No Qt here.

`Publishing` is a part of `MediaSession` (client/engine/media/session.py), which holds the state
named below.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiortc import RTCDataChannel, RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from client.engine import events as ev
from client.engine import peer
from client.engine.explain import CAMERA_LOST, MIC_LOST, SCREEN_LOST, explain_media
from client.engine.media.sources import (
    CameraTrack,
    DeviceUnavailable,
    ScreenTrack,
    SyntheticVideoTrack,
)
from client.engine.media.switch import SwitchableVideoTrack
from shared.protocol import messages as m

if TYPE_CHECKING:
    import av

    from client.engine.call import ParleyClient

log = logging.getLogger("parley.media")


class Publishing:
    """Mutes, screen sharing and the publish connection of a `MediaSession`."""

    client: ParleyClient
    camera: str
    mic: str
    screen: bool
    screen_monitor: int
    video_size: tuple[int, int]
    fps: float
    screen_size: tuple[int, int]
    screen_fps: float
    publish_pc: RTCPeerConnection | None
    channel: RTCDataChannel | None
    channel_listeners: list[Callable[[RTCDataChannel], None]]
    local_tracks: dict[str, Any]
    _transceivers: dict[str, RTCRtpTransceiver]
    _local_sinks: list[Callable[[str, av.VideoFrame], None]]
    _local_audio_sinks: list[Callable[[str, av.AudioFrame], None]]
    _lost_sources: set[str]
    _publish_lock: asyncio.Lock
    _emit: Callable[[ev.EngineEvent], None]
    _open_microphone: Callable[[], Any]

    async def set_muted(self, source: str, muted: bool) -> None:
        """Mute or unmute ``"mic"`` or ``"camera"``: silence/black leaves this machine, and the
        relay stops forwarding it and tells everyone."""
        track = self.local_tracks.get(source)
        if track is not None:
            track.muted = muted
        try:
            await self.client.request(m.SetMuted(id=0, source=source, muted=muted))  # type: ignore[arg-type]
        except BaseException:
            if track is not None and not muted:
                track.muted = True  # unmuting was refused (or not heard): stay muted here too
            raise

    async def start_screen_share(self, monitor: int = 1) -> None:
        self.screen, self.screen_monitor = True, monitor
        if "screen" in self.local_tracks:
            return
        track = self._open_screen()
        if track is None:
            return
        # The screen's m-line outlives a share: its sender keeps one track (switch.py) whose
        # source comes and goes, so sharing again works on the same m-line.
        transceiver = self._transceivers.get("screen")
        current = transceiver.sender.track if transceiver is not None else None
        if transceiver is not None and isinstance(current, SwitchableVideoTrack) and current.readyState == "live":
            current.switch(track)
            transceiver.direction = "sendonly"
            self.local_tracks["screen"] = current
        else:
            self.local_tracks["screen"] = SwitchableVideoTrack(track)
        await self._publish()

    async def stop_screen_share(self) -> None:
        self.screen = False
        track = self.local_tracks.pop("screen", None)
        if track is None:
            return
        transceiver = self._transceivers.get("screen")
        if isinstance(track, SwitchableVideoTrack) and transceiver is not None:
            track.switch(None)  # the sender waits for the next share; aiortc's loop lives on
        else:
            track.stop()
            if transceiver is not None:
                transceiver.sender.replaceTrack(None)
        if transceiver is not None:
            transceiver.direction = "inactive"
        await self._publish()

    # --- sources ---------------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        log.warning(message)
        self._emit(ev.MediaFailed(message=message))

    def _open_sources(self) -> None:
        if self.mic not in ("none", ""):
            self.local_tracks["mic"] = self._open_microphone()  # with its processing (local_audio.py)
        if self.camera not in ("none", ""):
            w, h = self.video_size
            if self.camera == "synthetic":
                self.local_tracks["camera"] = SyntheticVideoTrack(w, h, self.fps)
            else:
                try:
                    self.local_tracks["camera"] = CameraTrack(self.camera, w, h, self.fps)
                except DeviceUnavailable as exc:
                    self._fail(f"{exc} Sending a test pattern instead.")
                    self.local_tracks["camera"] = SyntheticVideoTrack(w, h, self.fps)
        if self.screen:
            track = self._open_screen()
            if track is not None:
                self.local_tracks["screen"] = SwitchableVideoTrack(track)

    def _open_screen(self) -> Any:
        w, h = self.screen_size
        if self.screen_monitor == 0:  # 0: a synthetic screen, for tests and demos
            return SyntheticVideoTrack(w, h, self.screen_fps, hue=60)
        try:
            return ScreenTrack(self.screen_monitor, self.screen_fps, (w, h))
        except DeviceUnavailable as exc:
            self._fail(f"{exc} Sharing a test pattern instead.")
            return SyntheticVideoTrack(w, h, self.screen_fps, hue=60)

    # --- the publish connection ------------------------------------------------------------------

    async def _publish(self) -> None:
        async with self._publish_lock:
            if self.publish_pc is None:
                self.publish_pc = peer.new_peer_connection()
            pc = self.publish_pc
            for source, track in self.local_tracks.items():
                transceiver = self._transceivers.get(source)
                if transceiver is None:
                    transceiver = pc.addTransceiver(track, direction="sendonly")
                    if track.kind == "video":
                        transceiver.setCodecPreferences(peer.video_codec_preferences())
                    self._transceivers[source] = transceiver
                    self._local_preview(source, track)
                elif transceiver.sender.track is not track:
                    transceiver.sender.replaceTrack(track)
                    transceiver.direction = "sendonly"
                    self._local_preview(source, track)
            if self.channel is None:
                # After the media m-lines: aiortc 1.16 does not start ICE under MAX_BUNDLE when
                # the data channel's m-line is the first one.
                self.channel = pc.createDataChannel("parley")
                for listener in list(self.channel_listeners):
                    listener(self.channel)
            offer = await pc.createOffer()
            await pc.setLocalDescription(offer)
            sdp = pc.localDescription.sdp
            sources = {
                t.mid: source
                for source, t in self._transceivers.items()
                if t.mid is not None and source in self.local_tracks
            }
            reply = await self.client.request(
                m.PublishOffer(id=0, sdp=sdp, fingerprint=peer.sdp_fingerprint(sdp), sources=sources)  # type: ignore[arg-type]
            )
            assert isinstance(reply, m.PublishAnswer)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=reply.sdp, type="answer"))

    def _local_preview(self, source: str, track: Any) -> None:
        """Self view: aiortc's sender reads the track; a wrapper shows each frame it takes."""
        sinks: list[Any] = self._local_sinks if track.kind == "video" else self._local_audio_sinks
        original = track.recv
        self._lost_sources.discard(source)  # a new track for this source: its failure is news again

        async def recv() -> Any:
            try:
                frame = await original()
            except MediaStreamError:
                if track.readyState == "live":  # the device ended by itself; we did not stop it
                    self._source_lost(source, None)
                raise
            except Exception as exc:  # a driver error: aiortc's sender only ends quietly on this one
                self._source_lost(source, exc)
                raise MediaStreamError(str(exc)) from exc
            for sink in list(sinks):
                try:
                    sink(source, frame)
                except Exception:
                    log.exception("local video sink failed")
            return frame

        track.recv = recv

    def _source_lost(self, source: str, exc: BaseException | None) -> None:
        """A camera, microphone or screen that stopped mid-call: say so once; the call goes on."""
        if source in self._lost_sources:
            return
        self._lost_sources.add(source)
        log.warning("local %s source stopped: %r", source, exc)
        sentences = {"camera": CAMERA_LOST, "mic": MIC_LOST, "screen": SCREEN_LOST}  # the cause is in the log
        explained = explain_media(sentences.get(source, SCREEN_LOST), exc)
        self._emit(ev.MediaFailed(message=str(explained.sentence), explanation=explained))

    # --- rebuilding (client/engine/media/watchdog.py asks) ---------------------------------------

    async def rebuild_publish(self) -> None:
        """Replace the publish connection with a new one (it died or was closed): the same sources,
        reopened (aiortc stops a sender's track with its connection), mutes kept. The relay takes
        the new connection for the same seat (its new ICE username fragment tells it)."""
        async with self._publish_lock:
            old, self.publish_pc, self.channel = self.publish_pc, None, None
            self._transceivers.clear()
            muted = {source: bool(getattr(track, "muted", False)) for source, track in self.local_tracks.items()}
            for track in self.local_tracks.values():
                track.stop()
            self.local_tracks.clear()
            if old is not None:
                try:
                    await asyncio.wait_for(old.close(), 5.0)
                except Exception as exc:
                    log.info("closing the old publish connection: %r", exc)
            self._open_sources()
            for source, track in self.local_tracks.items():
                track.muted = muted.get(source, False)
        await self._publish()
