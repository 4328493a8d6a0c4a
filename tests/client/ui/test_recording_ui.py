"""The call screen's record button, recording indicator and notices (engine faked at the client)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.errors import Forbidden
from shared.protocol import messages as m


class FakeClient:
    """What RecordingService needs of a ParleyClient; the relay's answers are scripted."""

    def __init__(self, role: str) -> None:
        self.push_handlers: list[Any] = []
        self._listeners: list[Any] = []
        self.meeting = m.MeetingInfo(meeting_id="M1", title="Design review", host_user_id="u1", link="")
        self.participant_id = "me"
        self.participants = {
            "me": m.ParticipantInfo(participant_id="me", user_id="u1", display_name="Me", role=role),  # type: ignore[arg-type]
        }
        self.requests: list[Any] = []
        self.refuse = False

    def add_listener(self, cb: Any) -> None:
        self._listeners.append(cb)

    def remove_listener(self, cb: Any) -> None:
        self._listeners.remove(cb)

    def emit(self, event: Any) -> None:
        for cb in list(self._listeners):
            cb(event)

    def push(self, event: Any) -> None:
        for handler in list(self.push_handlers):
            handler(event)

    async def request(self, req: Any) -> Any:
        self.requests.append(req)
        if self.refuse:
            raise Forbidden("Only the host can record this meeting.")
        if isinstance(req, m.AllowCohostRecording):
            state = m.RecordingState(meeting_id="M1", cohosts_allowed=req.allowed)
            who = "Co-hosts may now" if req.allowed else "Only the host may now"
            self.push(m.RecordingChanged(state=state, message=f"{who} start and stop recording."))
            return m.RecordingStatus(id=0, state=state)
        recording = isinstance(req, m.StartRecording)
        state = m.RecordingState(meeting_id="M1", recording=recording, by_participant_id="me", by_name="Me")
        self.push(m.RecordingChanged(state=state, message="Me started recording." if recording else "Me stopped."))
        return m.RecordingStatus(id=0, state=state)


class FakeMedia:
    def __init__(self) -> None:
        self.local_tracks: dict[str, Any] = {}
        self.sinks: list[str] = []

    def add_video_sink(self, cb: Any) -> None:
        self.sinks.append("video")

    def add_audio_sink(self, cb: Any) -> None:
        self.sinks.append("audio")

    def add_local_video_sink(self, cb: Any) -> None:
        self.sinks.append("local video")

    def add_local_audio_sink(self, cb: Any) -> None:
        self.sinks.append("local audio")


def _controls(qloop: Any, tmp_path: Path, role: str) -> tuple[Any, FakeClient]:
    from client.engine.settings import ClientSettings
    from client.ui.media import MediaService
    from client.ui.recording import RecordingControls
    from client.ui.services import SessionService

    class Ctx:
        session = SessionService()
        media = MediaService()
        settings = ClientSettings(recordings_dir=str(tmp_path / "recordings"))

    ctx = Ctx()
    client = FakeClient(role)
    controls = RecordingControls(ctx)
    controls.bind(client)
    ctx.media.session = FakeMedia()  # type: ignore[assignment]
    return controls, client


def test_late_joiner_sees_the_indicator_and_notices(qloop: Any, drive: Any, tmp_path: Path) -> None:
    controls, client = _controls(qloop, tmp_path, "participant")
    assert controls.button.isHidden() and controls.indicator.isHidden()
    state = m.RecordingState(meeting_id="M1", recording=True, by_participant_id="h", by_name="Hannah")
    client.push(m.RecordingChanged(state=state, message="Hannah is recording this meeting."))
    assert not controls.indicator.isHidden()
    assert "Hannah" in controls.indicator.text()
    assert controls.notice.text() == "Hannah is recording this meeting."
    assert controls.button.isHidden()  # not the host: no record button
    client.push(m.RecordingChanged(state=m.RecordingState(meeting_id="M1"), message="Hannah stopped recording."))
    assert controls.indicator.isHidden()
    assert controls.notice.text() == "Hannah stopped recording."


def test_host_records_with_the_button(qloop: Any, drive: Any, tmp_path: Path) -> None:
    controls, client = _controls(qloop, tmp_path, "host")
    assert not controls.button.isHidden() and controls.button.text() == "Record"
    controls.service.min_free = controls.service.reserve = 0
    controls.service.size = (320, 180)
    drive.call(controls.button.click)
    drive.until(lambda: controls.service.recording_here, what="the recording to start")
    assert isinstance(client.requests[0], m.StartRecording)
    assert controls.button.text() == "Stop recording" and controls.button.isChecked()
    assert "you" in controls.indicator.text()
    assert controls.service.media.sinks == ["video", "audio", "local video", "local audio"]
    drive.call(controls.button.click)
    drive.until(lambda: "saved to" in controls.notice.text(), what="the saved notice")
    saved = list((tmp_path / "recordings").glob("Design review *.mp4"))
    assert len(saved) == 1 and str(saved[0]) in controls.notice.text()
    assert controls.indicator.isHidden() and controls.button.text() == "Record"


def test_refusal_is_a_sentence(qloop: Any, drive: Any, tmp_path: Path) -> None:
    controls, client = _controls(qloop, tmp_path, "host")
    client.refuse = True
    errors: list[str] = []
    controls.failed.connect(errors.append)
    drive.call(controls.button.click)
    drive.until(lambda: errors, what="the refusal")
    assert errors == ["Only the host can record this meeting."]
    assert not controls.service.recording_here and controls.indicator.isHidden()


def test_host_switch_lets_cohosts_record(qloop: Any, drive: Any, tmp_path: Path) -> None:
    controls, client = _controls(qloop, tmp_path, "host")
    assert not controls.cohosts.isHidden() and not controls.cohosts.isChecked()
    drive.call(controls.cohosts.click)
    drive.until(lambda: client.requests, what="the switch's request")
    assert client.requests == [m.AllowCohostRecording(id=0, allowed=True)]
    drive.until(lambda: controls.notice.text() == "Co-hosts may now start and stop recording.", what="the notice")
    assert controls.cohosts.isChecked() and controls.service.state.cohosts_allowed
    drive.call(controls.cohosts.click)
    drive.until(lambda: len(client.requests) == 2, what="the second request")
    assert client.requests[1] == m.AllowCohostRecording(id=0, allowed=False)
    drive.until(lambda: not controls.cohosts.isChecked(), what="the switch to follow the relay")


def test_cohost_gets_the_record_button_only_when_allowed(qloop: Any, drive: Any, tmp_path: Path) -> None:
    controls, client = _controls(qloop, tmp_path, "cohost")
    assert controls.button.isHidden() and controls.cohosts.isHidden()  # the switch is the host's
    allowed = m.RecordingState(meeting_id="M1", cohosts_allowed=True)
    client.push(m.RecordingChanged(state=allowed, message="Co-hosts may now start and stop recording."))
    assert not controls.button.isHidden() and controls.cohosts.isHidden()
    # The relay's state changing the switch is not the co-host asking for anything.
    assert client.requests == []
    client.push(m.RecordingChanged(state=m.RecordingState(meeting_id="M1"), message="Only the host may now ..."))
    assert controls.button.isHidden()


def test_1080p_video_quality_records_at_1920x1080(qloop: Any, tmp_path: Path) -> None:
    from client.engine.settings import ClientSettings
    from client.ui.media import MediaService
    from client.ui.recording import RecordingControls
    from client.ui.services import SessionService

    class Ctx:
        session = SessionService()
        media = MediaService()
        settings = ClientSettings(recordings_dir=str(tmp_path), video_quality="1080p")

    controls = RecordingControls(Ctx())
    controls.bind(FakeClient("host"))
    assert controls.service.size == (1920, 1080)


def test_host_stops_a_cohosts_recording_with_the_button(qloop: Any, drive: Any, tmp_path: Path) -> None:
    controls, client = _controls(qloop, tmp_path, "host")
    state = m.RecordingState(
        meeting_id="M1", recording=True, by_participant_id="c", by_name="Cora", cohosts_allowed=True
    )
    client.push(m.RecordingChanged(state=state, message="Cora started recording this meeting."))
    assert "Cora" in controls.indicator.text()
    assert controls.button.text() == "Stop recording" and controls.button.isChecked()
    drive.call(controls.button.click)
    drive.until(lambda: client.requests, what="the stop request")
    assert isinstance(client.requests[0], m.StopRecording)  # not a second recording here
    drive.until(lambda: controls.indicator.isHidden(), what="the indicator to go")
    assert controls.button.text() == "Record" and not controls.service.recording_here
