"""What the directory part needs from the configuration beyond `relay.config.LdapConfig`: the
service account's password, which is never in the TOML file."""

from __future__ import annotations

import os
from pathlib import Path

from relay.config import ConfigError, LdapConfig


def service_password(ldap: LdapConfig) -> str:
    """The service account's password from ``bind_password_file`` or ``bind_password_env``.

    Raises ConfigError with a sentence when it cannot be read; empty when no service account is
    configured (the directory then allows anonymous searches)."""
    if not ldap.bind_dn:
        return ""
    if ldap.bind_password_file:
        path = Path(ldap.bind_password_file)
        try:
            secret = path.read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise ConfigError(
                f"The directory service account's password file {path} cannot be read ({exc.strerror})."
            ) from None
        if not secret:
            raise ConfigError(f"The directory service account's password file {path} is empty.")
        return secret
    secret = os.environ.get(ldap.bind_password_env, "")
    if not secret:
        raise ConfigError(
            f"The environment variable {ldap.bind_password_env} that should hold the directory service "
            "account's password is not set."
        )
    return secret
