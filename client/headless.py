"""The headless participant: joins a meeting with no window, for demos, tests, load and scripts.

Prints what happens as plain lines (or JSON lines with ``--json-events``) and, with ``--stats``,
writes a JSON report on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.cli_support import print_error, sign_in
from client.engine import events as ev
from client.engine.call import ParleyClient, describe_error
from client.engine.media.audio_processing import ProcessingChoice
from client.engine.media.session import MediaSession
from client.engine.recording import RecordingService
from client.headless_files import HeadlessFiles, describe_event
from shared.errors import ParleyError
from shared.links import MeetingLink


@dataclass
class HeadlessOptions:
    link: MeetingLink
    username: str | None = None
    password: str | None = None
    fingerprint: str | None = None
    duration: float | None = None
    stats_path: Path | None = None
    camera: str = "synthetic"
    mic: str = "synthetic"
    speaker_out: Path | None = None
    audio_processing: bool = True
    screen: bool = False
    record: Path | None = None
    send_file: Path | None = None
    send_to: str | None = None
    download_dir: Path | None = None
    json_events: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _describe(event: ev.EngineEvent) -> dict[str, Any] | None:
    if (files_or_chat := describe_event(event)) is not None:
        return files_or_chat
    if isinstance(event, ev.ParticipantChanged):
        p = event.participant
        return {
            "event": f"participant_{event.change}",
            "name": p.display_name,
            "id": p.participant_id,
            "connected": p.connected,
        }
    if isinstance(event, ev.ParticipantDeparted):
        return {"event": "participant_left", "name": event.participant.display_name, "reason": event.reason}
    if isinstance(event, ev.MeetingEntered):
        return {"event": "joined", "meeting": event.meeting.title, "resumed": event.resumed}
    if isinstance(event, ev.MeetingLeft):
        return {"event": "left", "reason": event.reason, "message": event.message}
    if isinstance(event, ev.SignedOut):
        return {"event": "signed_out", "reason": event.reason, "message": event.message}
    if isinstance(event, ev.ServerShutdownAnnounced):
        return {"event": "server_going_away", "message": event.message}
    if isinstance(event, ev.Disconnected):
        return {"event": "disconnected", "message": event.message}
    if isinstance(event, ev.Reconnecting):
        return {"event": "reconnecting", "attempt": event.attempt, "message": event.message}
    if isinstance(event, ev.Reconnected):
        return {"event": "reconnected", "resumed": event.resumed, "after_s": event.seconds}
    if isinstance(event, (ev.RemoteTrackAdded, ev.RemoteTrackRemoved)):
        name = "track_added" if isinstance(event, ev.RemoteTrackAdded) else "track_removed"
        return {"event": name, "participant": event.participant_id, "source": event.source}
    if isinstance(event, ev.MediaFailed):
        return {"event": "media_failed", "message": event.message}
    if isinstance(event, (ev.RemoteTrackStalled, ev.RemoteTrackResumed)):
        name = "track_stalled" if isinstance(event, ev.RemoteTrackStalled) else "track_resumed"
        return {"event": name, "participant": event.participant_id, "source": event.source}
    if isinstance(event, ev.MediaInterrupted):
        return {"event": "media_interrupted", "connection": event.connection, "reason": event.reason}
    if isinstance(event, ev.MediaRestarted):
        return {"event": "media_restarted", "connection": event.connection, "after_s": event.seconds}
    if isinstance(event, ev.RecordingStateChanged):
        return {"event": "recording" if event.state.recording else "not_recording", "message": event.message}
    if isinstance(event, ev.ActiveSpeakerChanged):
        return {"event": "speaker_changed", "participant": event.participant_id}
    if isinstance(event, ev.RecordingFinished):
        return {"event": "recording_saved", "path": event.path, "message": event.message}
    return None


def _size(value: str, default: tuple[int, int, float]) -> tuple[int, int, float]:
    """``WIDTHxHEIGHT[@FPS]`` (from the environment, for tests and benchmarks)."""
    if not value:
        return default
    size, _, fps = value.partition("@")
    width, _, height = size.partition("x")
    return int(width), int(height), float(fps or default[2])


def _media_session(client: ParleyClient, options: HeadlessOptions) -> MediaSession:
    # PARLEY_VIDEO=640x360@15 and PARLEY_SCREEN_VIDEO=... shrink synthetic media for tests and
    # load generation; PARLEY_SCREEN_MONITOR=0 shares a synthetic screen where there is none.
    w, h, fps = _size(os.environ.get("PARLEY_VIDEO", ""), (1280, 720, 30.0))
    sw, sh, sfps = _size(os.environ.get("PARLEY_SCREEN_VIDEO", ""), (1920, 1080, 15.0))
    return MediaSession(
        client,
        camera=options.camera,
        mic=options.mic,
        screen=options.screen,
        screen_monitor=int(os.environ.get("PARLEY_SCREEN_MONITOR", "1")),
        playback=os.environ.get("PARLEY_PLAYBACK", "1") != "0",
        video_size=(w, h),
        fps=fps,
        screen_size=(sw, sh),
        screen_fps=sfps,
        audio_processing=ProcessingChoice() if options.audio_processing else ProcessingChoice.off(),
        speaker_out=options.speaker_out,
    )


async def _finish_recording(recording: RecordingService) -> dict[str, Any]:
    recorder = recording.recorder
    await recording.stop()
    if recorder is None:
        return {}
    seconds = (recorder.stopped_at or 0.0) - (recorder.started_at or 0.0)
    return {"path": str(recorder.path), "seconds": round(seconds, 3), **recorder.stats.report()}


async def run_participant(options: HeadlessOptions) -> int:
    link = options.link
    client = ParleyClient(link.server, fingerprint=options.fingerprint)
    name = options.username or "?"
    stop = asyncio.Event()

    def show(event: ev.EngineEvent) -> None:
        info = _describe(event)
        if info is None:
            return
        if options.json_events:
            print(json.dumps(info), flush=True)
        else:
            details = " ".join(f"{k}={v}" for k, v in info.items() if k != "event")
            print(f"[{name}] {info['event']} {details}".rstrip(), flush=True)
        if isinstance(event, (ev.SignedOut, ev.Disconnected)) or (
            isinstance(event, ev.MeetingLeft) and event.reason != "left"
        ):
            stop.set()

    client.add_listener(show)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    started = time.monotonic()
    media: MediaSession | None = None
    recording: RecordingService | None = None
    stats: dict[str, Any] = {"participant": name, "join_to_first_frame_s": None, "remote_tracks": []}
    # Each active-speaker change the relay announced: who (id and name) and when, from the start.
    speaker_changes: list[dict[str, Any]] = []
    stats["speaker_changes"] = speaker_changes

    def note_speaker(event: ev.EngineEvent) -> None:
        if isinstance(event, ev.ActiveSpeakerChanged):
            known = client.participants.get(event.participant_id or "")
            speaker_changes.append(
                {
                    "participant_id": event.participant_id,
                    "participant": known.display_name if known is not None else None,
                    "at_s": round(time.monotonic() - started, 3),
                }
            )

    client.add_listener(note_speaker)
    try:
        await client.connect()
        if options.username is None:
            raise ParleyError("Give --user (and --password-stdin, unless a sign-in is remembered).")
        user = await sign_in(client, options.username, options.password)
        name = user.display_name
        stats["participant"] = name
        join_started = time.monotonic()
        await client.join(link)
        stats["join_s"] = round(time.monotonic() - join_started, 3)
        media = _media_session(client, options)
        media.joined_at = join_started
        await media.start()
        files = HeadlessFiles(client, media, options, stop)  # --send-file, --download-dir, chat
        await files.start()
        if options.record is not None:
            # PARLEY_RECORD_VIDEO=640x360@15 makes test recordings cheaper (default 1280x720@30).
            rw, rh, rfps = _size(os.environ.get("PARLEY_RECORD_VIDEO", ""), (1280, 720, 30.0))
            recording = RecordingService(client, media, size=(rw, rh), fps=int(rfps))
            path = await recording.start(options.record)
            print(f"[{name}] recording_started path={path}", flush=True)
        if options.duration is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), options.duration)
        else:
            await stop.wait()
        stats["participants_seen"] = sorted(p.display_name for p in client.participants.values())
        if recording is not None:
            stats["recording"] = await _finish_recording(recording)
        stats.update(media.stats())
        await files.stop()
        stats["reconnects"] = client.reconnects
        await media.stop()
        media = None
        await client.leave()
        return 1 if files.failed else 0
    except ParleyError as exc:
        print_error(exc.message)
        return 1
    except OSError as exc:
        print_error(describe_error(exc))
        return 1
    finally:
        if recording is not None and recording.recorder is not None:
            with contextlib.suppress(Exception):
                stats["recording"] = await _finish_recording(recording)
        if media is not None:
            with contextlib.suppress(Exception):
                stats.update(media.stats())
                await media.stop()
        stats["reconnects"] = client.reconnects
        stats["duration_s"] = round(time.monotonic() - started, 3)
        if options.stats_path is not None:
            options.stats_path.write_text(json.dumps(stats, indent=2))
        await client.close()
