"""Parley's signalling protocol: messages (`messages`) and the sans-I/O session (`session`)."""

from shared.protocol.messages import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION"]
