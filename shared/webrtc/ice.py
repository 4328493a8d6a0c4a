"""Which local addresses ICE gathers host candidates on, and the sockets under an ICE transport.

aioice leaves out 127.0.0.1 and offers no option to choose addresses, so a relay on a multi-homed
host (or a meeting on loopback) could not be reached. `use_host_addresses` replaces aioice's
module-level ``get_host_addresses`` (one choice per process, shared by every connection in it)
with a configured list, or with aioice's own list plus loopback when the list is empty. The relay
passes its configuration; the client passes nothing and gets ``PARLEY_ICE_ADDRESSES``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Sequence

import aioice.ice
from aiortc.rtcicetransport import RTCIceTransport

ENVIRONMENT = "PARLEY_ICE_ADDRESSES"

_aioice_choice: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
_configured: list[str] = []


def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """The addresses ICE gathers on now: the configured ones of the asked-for IP versions, or
    (none configured) every interface address aioice finds plus 127.0.0.1."""
    if _configured:
        chosen = []
        for address in _configured:
            version = ipaddress.ip_address(address).version
            if (version == 4 and use_ipv4) or (version == 6 and use_ipv6):
                chosen.append(address)
        return chosen
    addresses = _aioice_choice(use_ipv4, use_ipv6)
    if use_ipv4 and "127.0.0.1" not in addresses:
        addresses.append("127.0.0.1")  # aioice leaves loopback out; a relay on this machine needs it
    return addresses


def addresses_from_environment() -> list[str]:
    """``PARLEY_ICE_ADDRESSES``, a comma list (the client's setting; empty when unset)."""
    return [a.strip() for a in os.environ.get(ENVIRONMENT, "").split(",") if a.strip()]


def use_host_addresses(addresses: Sequence[str] | None = None) -> None:
    """Gather ICE host candidates on ``addresses`` from now on, in this whole process (empty:
    every interface plus 127.0.0.1; None: `addresses_from_environment`)."""
    chosen = addresses_from_environment() if addresses is None else list(addresses)
    for address in chosen:
        ipaddress.ip_address(address)  # a typo fails here, with the address in the message
    _configured[:] = chosen
    aioice.ice.get_host_addresses = host_addresses


def host_addresses_chosen() -> bool:
    """Whether `use_host_addresses` has replaced aioice's choice in this process."""
    return aioice.ice.get_host_addresses is host_addresses


def udp_protocols(transport: RTCIceTransport) -> list[aioice.ice.StunProtocol]:
    """The protocols of the sockets ICE gathered for ``transport`` (one per local candidate; its
    ``transport.get_extra_info("socket")`` is the socket)."""
    return list(transport._connection._protocols)
