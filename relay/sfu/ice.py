"""Which local addresses ICE gathers host candidates on.

aioice leaves out 127.0.0.1 and offers no option to choose addresses, so a relay on a multi-homed
host (or a meeting on loopback) could not be reached. `use_host_addresses` replaces aioice's
gathering with a configured list, or with its own list plus loopback when the list is empty.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import aioice.ice

_original: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses
_configured: list[str] = []


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _configured:
        chosen = []
        for address in _configured:
            version = ipaddress.ip_address(address).version
            if (version == 4 and use_ipv4) or (version == 6 and use_ipv6):
                chosen.append(address)
        return chosen
    addresses = _original(use_ipv4, use_ipv6)
    if use_ipv4 and "127.0.0.1" not in addresses:
        addresses.append("127.0.0.1")
    return addresses


def use_host_addresses(addresses: list[str]) -> None:
    """Gather ICE host candidates on ``addresses`` only (empty: every interface plus 127.0.0.1)."""
    for address in addresses:
        ipaddress.ip_address(address)  # a typo fails here, with the address in the message
    _configured[:] = addresses
    aioice.ice.get_host_addresses = _host_addresses
