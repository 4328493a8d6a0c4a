"""File transfer through a real relay: E2E encrypted chunks over data channels, limits, bad input."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.client.files_helpers import file_participant, final, random_file, sha256, wait_keys
from tests.media_fixtures import leave, start_media_relay

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def files_relay(tmp_path_factory: pytest.TempPathFactory):
    relay = start_media_relay(tmp_path_factory.mktemp("files"), "[files]\ntransfers_per_user = 2\n")
    yield relay
    relay.stop()


async def _pair(relay, tmp_path: Path, **kw):
    a, b = relay.add_user(display="Ann"), relay.add_user(display="Bob")
    meeting = relay.create_meeting(a)
    ann = await file_participant(relay, a, meeting)
    bob = await file_participant(relay, b, meeting, download_dir=tmp_path / "down", **kw)
    await wait_keys(ann[2], 1)
    return ann, bob


async def _close(*parts) -> None:
    for client, session, files in parts:
        await files.stop()
        await leave(client, session)


async def test_small_file_arrives_with_matching_hash(files_relay, tmp_path: Path) -> None:
    ann, bob = await _pair(files_relay, tmp_path)
    try:
        src = tmp_path / "report.bin"
        digest = random_file(src, 300_000)
        done = asyncio.ensure_future(bob[0].wait_for(lambda e: final(e, "incoming"), timeout=30))
        sent = asyncio.ensure_future(ann[0].wait_for(lambda e: final(e, "outgoing"), timeout=30))
        await ann[2].send_file(src)
        got = await done
        assert got.state == "complete", got.message
        assert Path(got.path).name == "report.bin" and sha256(Path(got.path)) == digest
        assert (await sent).state == "complete"
        assert not list((tmp_path / "down").glob(".*parley-part"))
    finally:
        await _close(ann, bob)
