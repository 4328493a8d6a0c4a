"""Files and chat for the headless participant: ``--send-file PATH [--to NAME]`` and
``--download-dir DIR`` (every offered file is accepted into DIR)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from client.engine import events as ev
from client.engine.chat import ChatService
from client.engine.files import FileService
from shared.errors import ParleyError

if TYPE_CHECKING:
    from client.engine.call import ParleyClient
    from client.engine.media.session import MediaSession

WAIT_FOR_RECIPIENT = 60.0


def describe(event: ev.FileTransferChanged) -> dict[str, Any]:
    """A headless/JSON line for a transfer event."""
    info: dict[str, Any] = {
        "event": f"file_{event.state}",
        "direction": event.direction,
        "name": event.name,
        "size": event.size,
        "peer": event.peer,
    }
    if event.state == "transferring":
        info["done"] = event.done_bytes
        info["speed_mb_s"] = round(event.speed / 1e6, 2)
        if event.seconds_left is not None:
            info["seconds_left"] = round(event.seconds_left, 1)
    if event.path and event.direction == "incoming":
        info["path"] = event.path
    if event.message:
        info["message"] = event.message
    return info


def describe_event(event: ev.EngineEvent) -> dict[str, Any] | None:
    if isinstance(event, ev.FileTransferChanged):
        return describe(event)
    if isinstance(event, ev.ChatMessageReceived):
        msg = event.message
        return {"event": "chat", "from": msg.from_name, "to": msg.to_name or "everyone", "text": msg.text}
    return None


class HeadlessFiles:
    """Starts the file and chat services; sends ``--send-file`` once its recipient is there."""

    def __init__(self, client: ParleyClient, media: MediaSession, options: Any, stop: asyncio.Event) -> None:
        self.client = client
        self.options = options
        self.stop_event = stop
        self.failed = False
        self.files = FileService(
            client, media, download_dir=options.download_dir, auto_accept=options.download_dir is not None
        )
        self.chat = ChatService(client)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.files.start()
        await self.chat.start()
        if self.options.send_file is not None:
            self._task = asyncio.get_running_loop().create_task(self._send())

    def _recipients(self) -> list[str] | None:
        to = self.options.send_to
        if not to:
            others = [p for p in self.client.participants if p != self.client.participant_id]
            return others if others and all(p in self.files.keys for p in others) else None
        wanted = to.strip().casefold()
        for pid, p in self.client.participants.items():
            if pid != self.client.participant_id and p.display_name.casefold() == wanted and pid in self.files.keys:
                return [pid]
        return None

    async def _send(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT_FOR_RECIPIENT
            while (targets := self._recipients()) is None:
                if loop.time() > deadline:
                    who = self.options.send_to or "anyone"
                    raise ParleyError(f"{who} did not join the meeting; the file was not sent.")
                self.files.keys_changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.files.keys_changed.wait(), 1.0)
            transfer = await self.files.send_file(self.options.send_file, targets)
            await transfer.done.wait()
            self.failed = transfer.state != "complete"
        except ParleyError as exc:
            print(f"parley: {exc.message}", file=sys.stderr, flush=True)
            self.failed = True
        if self.options.duration is None:
            self.stop_event.set()

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.files.stop()
        self.chat.close()
