"""The one home of Parley's private aiortc / aioice / pylibsrtp access, used by client and relay.

The rule: nothing outside this package imports aioice or pylibsrtp, imports a private aiortc
module or name, or spells a private name of those libraries (``receiver._RTCRtpReceiver__codecs``,
``dtls._send_rtp``, ...); it calls a function of this package instead. This is also the only part
of ``shared/`` that imports aiortc (the rest: stdlib, msgspec, cryptography). tests/
test_structure_webrtc.py enforces both, with the private names read from the installed sources.

The pin: aiortc is pinned to ``AIORTC_SERIES`` (pyproject.toml); tests/shared/webrtc/
test_pinned_names.py checks every private name used here against the installed aiortc, aioice and
pylibsrtp, name by name, so an upgrade that moves one fails there first, with the name.

- `ice`: which local addresses ICE gathers host candidates on (aioice's process-wide choice),
  the ICE transport's sockets.
- `peerconnection`: connections as Parley makes them (MAX_BUNDLE, no STUN), transceiver codecs.
- `receiver`, `sender`: typed access to an RTP receiver's and sender's private state and hooks.
- `extensions`: the header-extension id table behind aiortc's ``HeaderExtensionsMap``.
- `ingress`, `egress`: the relay's forwarding hooks (decrypted RTP in, SRTP + ``sendto`` out).
- `sctp`: cheaper SCTP for file transfer.
- `fakes`: stand-ins with the private attributes this package reads, for benchmarks.

Typing: name-mangled attributes (``_RTCRtpReceiver__codecs``), invisible to mypy, are read through
``vars()`` into annotated names. Replacing an aiortc method on one instance (or, in the watchers
for tests, on the class) carries ``type: ignore[method-assign]``: mypy still checks that the
replacement's signature matches the method's.
"""

from __future__ import annotations

AIORTC_SERIES = "1.16."
