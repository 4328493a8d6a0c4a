"""A sound device microphone whose device misbehaves (issue #18, "Bad input"): a device that only
opens at 44.1 kHz stereo, one that changes its sample rate mid-call, one that disappears. The
device is a stand-in for sounddevice (PortAudio) that opens only the formats it is told and ends
its stream as PortAudio does (the finished callback, from a thread of its own)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from client.engine.media import microphone
from client.engine.media.audio_processing import RATE, FarEndReference, MicProcessor, ProcessingChoice
from client.engine.media.microphone import MicrophoneTrack
from tests.client.media.audio_live import level_db
from tests.media_fixtures import wait_until


class Stream:
    def __init__(self, rate: int, channels: int, callback: Callable[..., None], finished: Callable[[], None]) -> None:
        self.rate, self.channels = rate, channels
        self.callback, self.finished = callback, finished
        self.started = self.closed = False
        self._t = 0

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def block(self) -> None:
        """20 ms of a 440 Hz tone at -16 dBFS in every channel, as PortAudio calls back."""
        block = self.rate // 50
        t = (self._t + np.arange(block)) / self.rate
        self._t += block
        tone = (np.sin(2 * np.pi * 440 * t) * 6000).astype(np.int16)
        self.callback(np.repeat(tone[:, None], self.channels, axis=1), block, None, None)

    def end(self) -> None:
        """The device went away or changed: PortAudio ends the stream from its own thread."""
        thread = threading.Thread(target=self.finished)
        thread.start()
        thread.join()


class Device:
    """What sounddevice would say about device 3; it opens only the formats in ``takes``. Its
    listed default rate stays 48 kHz (PortAudio lists devices once)."""

    def __init__(self) -> None:
        self.takes = {(48000, 1)}
        self.streams: list[Stream] = []

    def query_devices(self, target: Any, kind: str) -> dict[str, Any]:
        return {"default_samplerate": 48000.0, "max_input_channels": 2}

    def InputStream(self, **kw: Any) -> Stream:  # sounddevice's name
        if (kw["samplerate"], kw["channels"]) not in self.takes:
            raise RuntimeError("Invalid sample rate [PaErrorCode -9997]")
        stream = Stream(kw["samplerate"], kw["channels"], kw["callback"], kw["finished_callback"])
        self.streams.append(stream)
        return stream


@pytest.fixture
def device(monkeypatch: pytest.MonkeyPatch) -> Device:
    fake = Device()
    monkeypatch.setitem(sys.modules, "sounddevice", SimpleNamespace(query_devices=fake.query_devices,
                                                                    InputStream=fake.InputStream))  # fmt: skip
    monkeypatch.setattr(microphone, "REOPEN_INTERVAL_S", 0.01)
    return fake


async def heard(track: MicrophoneTrack, stream: Stream, seconds: float) -> np.ndarray[Any, Any]:
    """What the track sends while ``stream`` captures ``seconds`` of the tone."""
    frames = []
    for _ in range(int(seconds * 50)):
        stream.block()
        frames.append(await asyncio.wait_for(track.recv(), 5))
    assert all(f.sample_rate == RATE and len(f.layout.channels) == 1 for f in frames)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames])


async def test_a_44_1_khz_stereo_device_is_heard_as_48_khz_mono(device: Device) -> None:
    device.takes = {(44100, 2)}
    track = MicrophoneTrack("3", MicProcessor(ProcessingChoice.off()))
    try:
        sound = await heard(track, device.streams[-1], 1.0)
        assert abs(level_db(sound[4800:]) - level_db(np.full(1, 6000 / np.sqrt(2)))) < 1
    finally:
        track.stop()


async def test_a_device_that_changes_its_rate_mid_call_is_opened_again(device: Device) -> None:
    reference = FarEndReference()
    processor = MicProcessor(ProcessingChoice(), reference)
    track = MicrophoneTrack("3", processor)
    try:
        await heard(track, device.streams[-1], 1.0)
        device.takes = {(44100, 2)}  # the device now runs at 44.1 kHz stereo
        device.streams[-1].end()
        await wait_until(lambda: track.reopened == 1, 10, "the microphone opened again")
        assert device.streams[0].closed and (device.streams[-1].rate, device.streams[-1].channels) == (44100, 2)
        assert reference.stalls == 1  # the echo canceller pairs its reference again
        sound = await heard(track, device.streams[-1], 2.0)  # the call goes on, converted, through new filters
        assert level_db(sound[RATE:]) > -40
    finally:
        track.stop()


async def test_a_device_that_disappears_ends_the_track(device: Device) -> None:
    track = MicrophoneTrack("3", MicProcessor(ProcessingChoice()))
    try:
        await heard(track, device.streams[-1], 0.2)
        device.takes = set()  # unplugged
        device.streams[-1].end()
        with pytest.raises(MediaStreamError):  # the session says "Your microphone stopped working"
            while True:
                await asyncio.wait_for(track.recv(), 5)
        assert track.reopened == 0 and len(device.streams) == 1
    finally:
        track.stop()
