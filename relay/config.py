"""The relay's configuration: one TOML file, every limit named in one place.

Unknown keys and wrong types are refused with a sentence naming the key, so a typo in a limit
never silently leaves the default in force. ``docs/admin-guide.md`` documents every key.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.limits import DEFAULT_MAX_FRAME_BYTES


class ConfigError(Exception):
    """The configuration file cannot be used; the message says why in a sentence."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8443
    # Host name put into join links; defaults to `host` (or the machine name when host is 0.0.0.0).
    public_host: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    # Seconds the relay waits for in-flight work on SIGTERM before it exits regardless.
    shutdown_timeout: float = 10.0
    # A separate plain-HTTP listener for GET /metrics ("127.0.0.1:9464"). When set, /metrics is
    # served only there and the client port answers it with 404. Empty: /metrics on the client port.
    metrics_listen: str = ""


@dataclass
class DatabaseConfig:
    # Empty means embedded SQLite in the data folder: sqlite+aiosqlite:///DATA/parley.db.
    # PostgreSQL: postgresql+asyncpg://user:password@host/dbname
    url: str = ""


@dataclass
class LimitsConfig:
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    # Token bucket for signalling requests, per connection and per account.
    connection_requests_per_second: float = 20.0
    connection_request_burst: int = 60
    account_requests_per_second: float = 40.0
    account_request_burst: int = 120
    # Protocol violations in a row before the relay drops the connection.
    max_violations: int = 20
    # A connection that keeps sending past its bucket: refused requests (refilling at the
    # connection rate) before the relay closes it.
    connection_refusals_before_close: int = 600
    # Open signalling connections: in total and from one client address (an office NAT is one).
    max_connections: int = 2000
    max_connections_per_address: int = 100
    # File descriptors kept free for /healthz, the database and media however many connect.
    fd_reserve: int = 128
    # Seconds a connection may stay open without a sign-in attempt.
    sign_in_timeout_seconds: float = 10.0
    # Password attempts one address may make (token bucket); 0 turns the pace off.
    login_attempts_per_address_per_second: float = 3.0
    login_address_burst: int = 10
    # Passwords checked at once (argon2 threads; 0: half the cores) and attempts waiting for one;
    # beyond these the relay answers rate_limited at once.
    login_hash_workers: int = 0
    login_hash_queue: int = 8
    # An address the owner signed in from within this many days gets its own failure counter, so
    # guesses from elsewhere (or a locked address) do not lock the owner out. 0 turns it off.
    login_usual_address_days: float = 30.0
    # Failed logins: each one after the first `login_free_failures` doubles a delay (capped), and
    # `login_lock_after` failures within `login_window_seconds` lock the account (or address).
    login_free_failures: int = 3
    login_max_delay_seconds: float = 8.0
    login_lock_after: int = 10
    # An address (an office behind NAT) is shared by many people: lock it later than an account.
    login_address_lock_after: int = 50
    login_address_free_failures: int = 20
    login_window_seconds: float = 900.0
    login_lock_seconds: float = 900.0
    session_ttl_hours: float = 72.0
    # How long a participant whose connection dropped keeps their seat.
    reconnect_grace_seconds: float = 30.0
    participants_per_meeting: int = 100
    participants_per_server: int = 1000
    meetings_per_server: int = 200
    # Meetings end this many minutes after they start (warnings 10 and 1 minute before).
    meeting_length_minutes: float = 240.0
    # Upcoming (not yet ended, not cancelled) bookings one account may hold.
    bookings_per_user: int = 50
    # How far ahead a booking may start, and how many weekly occurrences it may have.
    booking_horizon_days: int = 365
    max_weekly_occurrences: int = 52
    # Maintenance must be announced at least this long ahead unless marked an emergency.
    maintenance_notice_hours: float = 48.0


@dataclass
class MediaConfig:
    # One video codec per meeting, forwarded as published: "vp8" (default) or "h264"
    # (constrained baseline, packetization-mode 1).
    codec: str = "vp8"
    # Tracks (m-lines) one publish offer may carry: mic + camera + screen by default.
    max_tracks_per_publisher: int = 3
    # Addresses the relay gathers ICE host candidates on. Empty: every interface address plus
    # 127.0.0.1. Give the address clients reach (e.g. ["192.0.2.10"]) on multi-homed hosts.
    ice_addresses: list[str] = field(default_factory=list)
    # Picture-loss requests (PLI) the relay sends one publisher's stream at most, per second.
    pli_per_second: float = 2.0
    # Bitrate the relay allows each published video stream (REMB), in kbit/s.
    max_video_kbps: int = 2500
    min_video_kbps: int = 150
    # Seconds the relay waits for a subscribe answer before it logs and retries.
    negotiation_timeout: float = 10.0
    # ICE candidates a client names are addresses the relay sends STUN checks to. Only those in
    # these networks are used (an IP version with no network listed is refused; multicast,
    # broadcast, unspecified and reserved addresses never are): narrow it to the ranges your
    # clients are in. At most `max_ice_candidates` per offer or answer, and at most
    # `max_ice_pairs` candidate pairs (the client's candidates times the relay's own addresses of
    # that IP version), RFC 8445 section 6.1.2.5's 100 by default; the rest are dropped.
    # Hard ceilings per published stream in kbit/s (0: none), enforced on the packet path: over
    # it packets are dropped (subscribers restart at a keyframe, which is asked for); a stream
    # still over it after `ceiling_cutoff_seconds` of dropping is cut off, and its publisher told.
    video_ceiling_kbps: int = 6000
    audio_ceiling_kbps: int = 512
    ceiling_cutoff_seconds: float = 10.0
    # What one subscriber may receive over all its streams, in kbit/s (0: no budget). Video over
    # it is dropped for that subscriber alone (it restarts at a keyframe); audio goes first.
    subscriber_egress_kbps: int = 50000
    ice_allowed_networks: list[str] = field(default_factory=lambda: ["0.0.0.0/0", "::/0"])
    max_ice_candidates: int = 100
    max_ice_pairs: int = 100


@dataclass
class ChatConfig:
    # Off by default: the relay forwards chat and forgets it. On: messages are kept in the
    # database for `retention_days` and shown to people who join the meeting later.
    retention: bool = False
    retention_days: float = 30.0
    max_message_chars: int = 4000


@dataclass
class FilesConfig:
    # Largest file one offer may carry (default 2 GiB).
    max_file_bytes: int = 2 * 1024**3
    # Offers one person may have in progress at once.
    transfers_per_user: int = 4
    # File bytes one person may send through the relay per minute (default 1 GiB, ~17 MB/s).
    bytes_per_minute_per_user: int = 1024**3
    # Share of the relay's event loop file forwarding may take: at most this many bytes forwarded
    # per loop turn before media gets its turn, and at most this many bytes per second overall.
    bytes_per_loop_turn: int = 256 * 1024
    relay_bytes_per_second: int = 64 * 1024**2
    # Seconds a transfer whose sender or recipients all vanished is kept for them to resume.
    resume_seconds: float = 120.0
    # Data channel frames that belong to no transfer of the sender (junk: malformed, unknown or
    # someone else's transfer) a participant may send, per second and in a burst; beyond that the
    # relay closes their data channel (its SCTP association) for the rest of the seat.
    junk_frames_per_second: float = 20.0
    junk_frame_burst: int = 200


@dataclass
class BackupConfig:
    # Scheduled online backups of the database while the relay serves: every `interval_hours`
    # (0 turns them off), keeping the newest `keep` scheduled ones. Empty `folder`: DATA/backups.
    interval_hours: float = 24.0
    keep: int = 14
    folder: str = ""


@dataclass
class OpsConfig:
    # Seconds between uptime heartbeats (and listener self-checks) written to the database; the
    # availability report resolves outages to about this precision.
    heartbeat_seconds: float = 10.0
    # The availability the service agreement promises per quarter, in percent.
    availability_target_percent: float = 99.5
    # /healthz answers 503 "degraded" when the data folder has less free space than this (MiB),
    # or when the database's last write failed for a full disk.
    min_free_disk_mb: float = 16.0


@dataclass
class LdapGroupsConfig:
    # Group DNs (compared without regard to case or spaces). Empty `sign_in`: everyone the user
    # search finds may sign in; empty `host`: every directory user may create and book meetings.
    sign_in: list[str] = field(default_factory=list)
    host: list[str] = field(default_factory=list)
    admin: list[str] = field(default_factory=list)


@dataclass
class LdapConfig:
    # ldaps://host:636 (or ldap://host:389 with start_tls = true); several are tried in order.
    urls: list[str] = field(default_factory=list)
    start_tls: bool = False
    # PEM file of the CA that signed the directory's certificate (empty: the system's CAs).
    ca_file: str = ""
    # ldap:// without StartTLS sends passwords in the clear: refused unless this is true.
    allow_plain: bool = False
    # The service account that searches the directory. Its password comes from a file or an
    # environment variable, never from this file.
    bind_dn: str = ""
    bind_password_file: str = ""
    bind_password_env: str = ""
    user_base: str = ""
    # {username} is replaced by the name typed at sign-in, escaped for LDAP filters.
    user_filter: str = "(&(objectClass=user)(sAMAccountName={username}))"
    username_attribute: str = "sAMAccountName"
    display_name_attribute: str = "displayName"
    email_attribute: str = "mail"
    # An account is disabled when Active Directory's userAccountControl has the disabled bit, or
    # when `disabled_attribute` holds one of `disabled_values` (any value when that list is empty).
    disabled_attribute: str = ""
    disabled_values: list[str] = field(default_factory=list)
    # Groups: the user entry's memberOf (Active Directory, OpenLDAP's memberof overlay), or with
    # `group_base` set, a search there for groups whose member/uniqueMember is the user's DN.
    group_base: str = ""
    group_filter: str = "(|(member={dn})(uniqueMember={dn}))"
    groups: LdapGroupsConfig = field(default_factory=LdapGroupsConfig)
    timeout_seconds: float = 5.0
    # Seconds between checks of every directory account (disabled or gone: signed out everywhere).
    sync_interval_seconds: float = 300.0
    # People search when booking: the shortest query sent to the directory, and the most answers.
    search_min_chars: int = 2
    search_limit: int = 20


@dataclass
class AuthConfig:
    # "local" (passwords kept by the relay), "ldap" (the company directory only) or "both".
    mode: str = "local"
    ldap: LdapConfig = field(default_factory=LdapConfig)


@dataclass
class Config:
    data_dir: Path = field(default_factory=lambda: Path(".parley-data"))
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    files: FilesConfig = field(default_factory=FilesConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    ops: OpsConfig = field(default_factory=OpsConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{(self.data_dir / 'parley.db').resolve()}"

    @property
    def link_host(self) -> str:
        if self.server.public_host:
            return self.server.public_host
        if self.server.host in ("0.0.0.0", "::", ""):
            import socket

            return socket.gethostname()
        return self.server.host


_SECTIONS: dict[str, type[Any]] = {
    "server": ServerConfig,
    "database": DatabaseConfig,
    "limits": LimitsConfig,
    "media": MediaConfig,
    "chat": ChatConfig,
    "files": FilesConfig,
    "backup": BackupConfig,
    "ops": OpsConfig,
    "auth": AuthConfig,
}


def _coerce(section: str, key: str, value: Any, expected: Any) -> Any:
    if str(expected) == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[{section}] {key} must be a list of strings, not {value!r}.")
        return list(value)
    expected_type = {"int": int, "float": float, "str": str, "bool": bool}.get(str(expected), expected)
    if expected_type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected_type) or (expected_type is int and isinstance(value, bool)):
        raise ConfigError(
            f"[{section}] {key} must be {getattr(expected_type, '__name__', expected_type)}, not {value!r}."
        )
    if expected_type in (int, float) and value < 0:
        raise ConfigError(f"[{section}] {key} must not be negative (got {value}).")
    return value


def load_config(path: Path | None = None, *, data_dir: Path | None = None) -> Config:
    """Read a TOML config (or the defaults when ``path`` is None) and apply a data-dir override."""
    config = Config()
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"The configuration file {path} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}.") from None
    for key, value in raw.items():
        if key == "data_dir":
            config.data_dir = Path(str(value))
            continue
        section_type = _SECTIONS.get(key)
        if section_type is None or not isinstance(value, dict):
            raise ConfigError(f"Unknown configuration section or key {key!r}.")
        _load_section(key, getattr(config, key), value)
    if data_dir is not None:
        config.data_dir = Path(data_dir)
    if config.server.metrics_listen:
        host, _, port = config.server.metrics_listen.rpartition(":")
        if not host or not port.isdigit() or int(port) > 65535:
            raise ConfigError(f'[server] metrics_listen must be "HOST:PORT", not {config.server.metrics_listen!r}.')
    if config.media.codec not in ("vp8", "h264"):
        raise ConfigError(f'[media] codec must be "vp8" or "h264", not {config.media.codec!r}.')
    for network in config.media.ice_allowed_networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(
                f"[media] ice_allowed_networks: {network!r} is not a network such as 10.0.0.0/8."
            ) from None
    media = config.media
    if 0 < media.video_ceiling_kbps < media.max_video_kbps:
        raise ConfigError(
            f"[media] video_ceiling_kbps ({media.video_ceiling_kbps}) is below max_video_kbps "
            f"({media.max_video_kbps}): publishers that do as the relay asks would be cut off."
        )
    _check_auth(config.auth)
    return config


def _load_section(name: str, section: Any, values: dict[str, Any]) -> None:
    """Set a section's keys; a key whose value is itself a section (``[auth.ldap]``) recurses."""
    fields = {f.name: f.type for f in dataclasses.fields(section)}
    for sub, sub_value in values.items():
        if sub not in fields:
            if sub == "bind_password":
                raise ConfigError(
                    f"[{name}] bind_password is not read from this file: put the service account's password "
                    "in a file (bind_password_file) or an environment variable (bind_password_env)."
                )
            raise ConfigError(f"Unknown configuration key [{name}] {sub}.")
        current = getattr(section, sub)
        if dataclasses.is_dataclass(current):
            if not isinstance(sub_value, dict):
                raise ConfigError(f"[{name}.{sub}] must be a section.")
            _load_section(f"{name}.{sub}", current, sub_value)
        else:
            setattr(section, sub, _coerce(name, sub, sub_value, fields[sub]))


def _check_auth(auth: AuthConfig) -> None:
    if auth.mode not in ("local", "ldap", "both"):
        raise ConfigError(f'[auth] mode must be "local", "ldap" or "both", not {auth.mode!r}.')
    if auth.mode == "local":
        return
    ldap = auth.ldap
    if not ldap.urls:
        raise ConfigError("[auth.ldap] urls must name at least one directory server (ldaps://host:636).")
    for url in ldap.urls:
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in ("ldaps", "ldap"):
            raise ConfigError(f"[auth.ldap] urls: {url!r} is not an ldaps:// or ldap:// address.")
        if scheme == "ldap" and not ldap.start_tls and not ldap.allow_plain:
            raise ConfigError(
                f"[auth.ldap] urls: {url} would send passwords unencrypted. Use ldaps://, or set "
                "start_tls = true; allow_plain = true allows it (for a test directory only)."
            )
    if not ldap.user_base:
        raise ConfigError("[auth.ldap] user_base must name where the user accounts are (e.g. DC=example,DC=com).")
    if "{username}" not in ldap.user_filter:
        raise ConfigError("[auth.ldap] user_filter must contain {username}.")
    if ldap.bind_dn and not (ldap.bind_password_file or ldap.bind_password_env):
        raise ConfigError(
            "[auth.ldap] bind_password_file or bind_password_env must say where the service account's "
            "password is (it is never written in this file)."
        )
    if ldap.timeout_seconds <= 0 or ldap.sync_interval_seconds <= 0:
        raise ConfigError("[auth.ldap] timeout_seconds and sync_interval_seconds must be more than 0.")
    if ldap.search_limit < 1:
        raise ConfigError("[auth.ldap] search_limit must be at least 1.")
