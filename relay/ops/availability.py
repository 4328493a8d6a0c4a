"""The quarterly availability report: outages from the relay's own heartbeats, and the credit owed.

Pure computation (no database, no clock): `compute` takes the runs, listener faults and
maintenance windows of a period and returns a `Report`. `relay.ops.uptime` records the inputs;
`relay.ops_cli` reads them and prints the report.

Rules (docs/admin-guide.md, "Availability report"):
- A run is up from its start to its clean stop, or to its last heartbeat when it ended without one
  (crash, SIGKILL, power loss); a run still beating is up until now.
- A listener fault (the relay's self-check could not connect to its own port) is downtime.
- Every gap is an outage, with the cause of the stop that opened it: ``crash``, ``clean_stop``,
  ``listener``; ``not_started`` before the first run of the quarter when runs exist before it.
- Planned maintenance announced at least 48 hours ahead is excluded from the period (neither
  measured time nor downtime); maintenance announced later (or an emergency) counts as downtime.
- Availability = 1 - downtime / measured time. Below the target, the service credit is the fee
  times the shortfall: ``fee * (target - availability)``, pro rata to the time below target.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

PLANNED_NOTICE_SECONDS = 48 * 3600.0


@dataclass(frozen=True)
class Run:
    started_at: float
    last_beat_at: float
    stopped_at: float | None
    stop_reason: str
    heartbeat_seconds: float


@dataclass(frozen=True)
class Fault:
    started_at: float
    ended_at: float | None
    detail: str = ""


@dataclass(frozen=True)
class Window:
    """A maintenance window as announced: ``announced_at`` is when it was scheduled."""

    starts_at: float
    ends_at: float
    announced_at: float
    emergency: bool = False
    message: str = ""

    @property
    def planned(self) -> bool:
        return not self.emergency and self.starts_at - self.announced_at >= PLANNED_NOTICE_SECONDS


@dataclass
class Outage:
    start: float
    end: float
    cause: str  # crash | clean_stop | listener | maintenance | maintenance_short_notice
    counted: bool = True

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Report:
    period: str
    period_start: float
    period_end: float
    measured_from: float
    measured_to: float
    measured_seconds: float
    excluded_seconds: float
    downtime_seconds: float
    availability: float | None
    target: float
    met: bool
    credit_fraction: float
    fee: float | None
    credit: float | None
    outages: list[Outage] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outages"] = [{**asdict(o), "seconds": round(o.seconds, 3)} for o in self.outages]
        for key in ("period_start", "period_end", "measured_from", "measured_to"):
            data[key + "_iso"] = _iso(data[key])
        for outage in data["outages"]:
            outage["start_iso"], outage["end_iso"] = _iso(outage["start"]), _iso(outage["end"])
        return data

    def to_text(self) -> str:
        lines = [f"Availability {self.period} ({_iso(self.period_start)} to {_iso(self.period_end)})"]
        if self.availability is None:
            lines.append("No uptime records for this period: the relay did not run in it.")
            return "\n".join(lines)
        lines.append(f"measured        {_iso(self.measured_from)} to {_iso(self.measured_to)}")
        lines.append(f"availability    {self.availability * 100:.3f}% (target {self.target * 100:.1f}%)")
        lines.append(f"downtime        {_duration(self.downtime_seconds)}")
        lines.append(f"maintenance     {_duration(self.excluded_seconds)} planned, excluded")
        if self.met:
            lines.append("service credit  none: the target was met")
        elif self.credit is not None:
            share = f"{self.credit_fraction * 100:.3f}% of the fee {self.fee:.2f}"
            lines.append(f"service credit  {self.credit:.2f} ({share})")
        else:
            lines.append(f"service credit  {self.credit_fraction * 100:.3f}% of the fee (give --fee for the amount)")
        lines.append(f"outages         {len(self.outages)}")
        for o in self.outages:
            note = "" if o.counted else "  (excluded)"
            lines.append(f"  {_iso(o.start)}  {_iso(o.end)}  {_duration(o.seconds):>10}  {o.cause}{note}")
        return "\n".join(lines)


def quarter_bounds(quarter: str) -> tuple[float, float]:
    """``2026Q4`` -> (start, end) in UTC epoch seconds."""
    found = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*", quarter)
    if not found:
        raise ValueError(f"{quarter!r} is not a quarter; write it like 2026Q4.")
    year, q = int(found.group(1)), int(found.group(2))
    start = datetime(year, 3 * q - 2, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) if q == 4 else datetime(year, 3 * q + 1, 1, tzinfo=UTC)
    return start.timestamp(), end.timestamp()


def current_quarter(now: float) -> str:
    when = datetime.fromtimestamp(now, UTC)
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _duration(seconds: float) -> str:
    whole = round(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s"


def _subtract(spans: list[tuple[float, float]], cut: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for start, end in spans:
        pieces = [(start, end)]
        for c0, c1 in cut:
            nxt = []
            for p0, p1 in pieces:
                if c1 <= p0 or c0 >= p1:
                    nxt.append((p0, p1))
                    continue
                if p0 < c0:
                    nxt.append((p0, c0))
                if c1 < p1:
                    nxt.append((c1, p1))
            pieces = nxt
        out += pieces
    return [(a, b) for a, b in out if b > a]


def compute(
    runs: list[Run],
    faults: list[Fault],
    windows: list[Window],
    period: str,
    period_start: float,
    period_end: float,
    now: float,
    *,
    target: float = 0.995,
    fee: float | None = None,
) -> Report:
    """The availability of [period_start, period_end) as far as it has happened by ``now``."""
    runs = sorted(runs, key=lambda r: r.started_at)
    to = min(period_end, now)
    # Up intervals, each with how it ended.
    ups: list[tuple[float, float, str]] = []
    for run in runs:
        if run.stopped_at is not None:
            end, cause = run.stopped_at, "clean_stop" if run.stop_reason == "clean" else "crash"
        elif now - run.last_beat_at <= 2.5 * run.heartbeat_seconds and run is runs[-1]:
            end, cause = now, "running"  # still beating: up until now
        else:
            end, cause = run.last_beat_at, "crash"
        ups.append((run.started_at, max(end, run.started_at), cause))
    before = [u for u in ups if u[0] < to]
    if not before:
        return _empty(period, period_start, period_end, target, fee)
    measured_from = max(period_start, before[0][0])
    if measured_from >= to:
        return _empty(period, period_start, period_end, target, fee)

    # Downtime: gaps between up intervals (cause: how the previous one ended), then listener faults.
    outages: list[Outage] = []
    cursor, cause = measured_from, "not_started"
    ended_before = [u for u in before if u[1] <= measured_from]
    if ended_before:
        cause = max(ended_before, key=lambda u: u[1])[2]
    for start, end, how in before:
        if start > cursor:
            outages.append(Outage(cursor, min(start, to), cause))
        if end > cursor:
            cursor, cause = end, how
    if cursor < to:
        outages.append(Outage(cursor, to, cause))
    outages = [o for o in outages if o.end > max(o.start, measured_from)]
    for o in outages:
        o.start = max(o.start, measured_from)
    for fault in faults:
        f0 = max(fault.started_at, measured_from)
        f1 = min(fault.ended_at if fault.ended_at is not None else to, to)
        down_spans = [(o.start, o.end) for o in outages]
        for a, b in _subtract([(f0, f1)], down_spans):
            outages.append(Outage(a, b, "listener"))

    # Maintenance: planned windows are taken out of the period; short-notice ones are labelled.
    planned = [(max(w.starts_at, measured_from), min(w.ends_at, to)) for w in windows if w.planned]
    planned = [(a, b) for a, b in planned if b > a]
    short = [(w.starts_at, w.ends_at) for w in windows if not w.planned]
    final: list[Outage] = []
    for o in outages:
        inside = _subtract([(o.start, o.end)], _subtract([(o.start, o.end)], planned))
        for a, b in inside:
            final.append(Outage(a, b, "maintenance", counted=False))
        for a, b in _subtract([(o.start, o.end)], planned):
            for c, d in _subtract([(a, b)], _subtract([(a, b)], short)):
                final.append(Outage(c, d, "maintenance_short_notice"))
            for c, d in _subtract([(a, b)], short):
                final.append(Outage(c, d, o.cause))
    final.sort(key=lambda o: o.start)
    # Merge the planned windows so overlapping ones are excluded once.
    merged: list[tuple[float, float]] = []
    for a, b in sorted(planned):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    excluded = sum(b - a for a, b in merged)
    measured = (to - measured_from) - excluded
    downtime = sum(o.seconds for o in final if o.counted)
    availability = 1.0 - downtime / measured if measured > 0 else 1.0
    shortfall = max(0.0, target - availability)
    return Report(
        period=period,
        period_start=period_start,
        period_end=period_end,
        measured_from=measured_from,
        measured_to=to,
        measured_seconds=measured,
        excluded_seconds=excluded,
        downtime_seconds=downtime,
        availability=availability,
        target=target,
        met=shortfall == 0.0,
        credit_fraction=shortfall,
        fee=fee,
        credit=None if fee is None else round(fee * shortfall, 2),
        outages=final,
    )


def _empty(period: str, start: float, end: float, target: float, fee: float | None) -> Report:
    credit = None if fee is None else 0.0
    return Report(period, start, end, start, start, 0.0, 0.0, 0.0, None, target, True, 0.0, fee, credit)
