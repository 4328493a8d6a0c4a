"""Recording a meeting on the host's machine: an MP4 (H.264 + AAC) that survives a crash.

`RecordingService` is the part a UI or the headless participant drives: it asks the relay for
permission (the relay tells everyone, late joiners included), feeds a `MeetingRecorder`
(client/engine/recorder.py: compositing, mixing and encoding in a worker thread) from a
`MediaSession`, and stops cleanly with a warning before the disk fills.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from client.engine import events as ev
from client.engine.recorder import MIN_FREE_TO_START, RESERVE_BYTES, MeetingRecorder, RecordingError
from shared.errors import Conflict, ParleyError
from shared.protocol import messages as m

if TYPE_CHECKING:
    from client.engine.call import ParleyClient
    from client.engine.media.session import MediaSession

log = logging.getLogger("parley.recording")

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


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

    def _remote_video(self, participant_id: str, source: str, frame: av.VideoFrame) -> None:
        if self.recorder is not None:
            self.recorder.video(participant_id, source, frame)

    def _remote_audio(self, participant_id: str, source: str, frame: av.AudioFrame) -> None:
        if self.recorder is not None:
            self.recorder.audio(participant_id, frame)

    def _local_video(self, source: str, frame: av.VideoFrame) -> None:
        if self.recorder is not None and self.client.participant_id:
            self.recorder.video(self.client.participant_id, source, frame)

    def _local_audio(self, source: str, frame: av.AudioFrame) -> None:
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
