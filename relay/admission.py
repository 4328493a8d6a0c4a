"""Who may open a signalling connection: caps in total and per client address, with file
descriptors kept in reserve so /healthz, the database and media still work when the caps are
reached (issue #15 item 3). Sans-I/O: relay.server asks and tells; nothing here touches sockets.
"""

from __future__ import annotations

import logging
import time

from relay.config import LimitsConfig
from relay.ops.metrics import RelayMetrics

log = logging.getLogger("parley.relay")

# At most one log line per reason this often, however many connections are refused.
LOG_EVERY_SECONDS = 60.0


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard one; return the soft limit now in force
    (0 where the platform has none)."""
    try:
        import resource
    except ImportError:  # pragma: no cover (Windows)
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return 0 if soft == resource.RLIM_INFINITY else int(soft)


class Admission:
    """Counts open connections per address and says whether one more may open."""

    def __init__(self, limits: LimitsConfig, metrics: RelayMetrics, fd_limit: int) -> None:
        self.limits = limits
        self.metrics = metrics
        self.max_total = limits.max_connections
        if fd_limit:
            by_fds = max(1, fd_limit - limits.fd_reserve)
            if by_fds < self.max_total:
                log.warning(
                    "only %d open files are allowed: at most %d connections (not max_connections = %d); "
                    "raise LimitNOFILE to allow more",
                    fd_limit,
                    by_fds,
                    self.max_total,
                )
                self.max_total = by_fds
        self.open = 0
        self.by_address: dict[str, int] = {}
        self._logged: dict[str, float] = {}

    def refusal(self, address: str) -> str | None:
        """Why a new connection from ``address`` is refused now, or None to accept it."""
        reason: str | None = None
        if self.open >= self.max_total:
            reason = "total"
        elif self.by_address.get(address, 0) >= self.limits.max_connections_per_address:
            reason = "per_address"
        if reason is not None:
            self.metrics.connections_refused.labels(reason).inc()
            now = time.monotonic()
            if now - self._logged.get(reason, -LOG_EVERY_SECONDS) >= LOG_EVERY_SECONDS:
                self._logged[reason] = now
                if reason == "total":
                    log.warning("refusing new connections: %d are open (the most allowed)", self.open)
                else:
                    log.warning(
                        "refusing new connections from %s: %d are open from there (max_connections_per_address)",
                        address,
                        self.by_address.get(address, 0),
                    )
        return reason

    def opened(self, address: str) -> None:
        self.open += 1
        self.by_address[address] = self.by_address.get(address, 0) + 1

    def closed(self, address: str) -> None:
        self.open -= 1
        left = self.by_address.get(address, 0) - 1
        if left > 0:
            self.by_address[address] = left
        else:
            self.by_address.pop(address, None)
