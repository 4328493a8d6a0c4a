"""When the directory is down, slow, or shows a certificate that does not match: each gets its own
sentence, nothing about the directory reaches the client, and local accounts keep working.
Also ``parley-relay directory check`` and the configuration's refusals."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ldap3 import MODIFY_REPLACE

from client.engine.meetings import MeetingDesk
from relay.config import ConfigError, LdapConfig, LdapGroupsConfig, load_config
from relay.directory.client import DirectoryClient, DirectoryError, classify_bind_refusal
from relay.directory.config import service_password
from relay.directory.mapping import GroupMapping
from shared.errors import Unavailable
from tests.conftest import RunningRelay, unique_name
from tests.relay.directory.test_signin_live import directory_config
from tests.slapd import ADMINS_GROUP, BASE, HOSTS_GROUP, SERVICE_DN, SERVICE_PW, USERS_GROUP, Slapd


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never says a word: a hung directory."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for conn in held:
        conn.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("fault", "sentence"),
    [
        ("down", "company directory cannot be reached"),
        ("slow", "company directory is answering too slowly"),
        ("certificate", "company directory's certificate could not be verified"),
    ],
)
async def test_directory_faults_have_their_own_sentence_and_local_accounts_still_sign_in(
    fault: str, sentence: str, slapd: Slapd, silent_port: int, tmp_path: Path, make_client: Any
) -> None:
    url = {
        "down": f"ldaps://127.0.0.1:{closed_port()}",
        "slow": f"ldaps://127.0.0.1:{silent_port}",
        # The same server, reached by an address its certificate does not name.
        "certificate": f"ldaps://127.0.0.2:{slapd.port}",
    }[fault]
    relay = RunningRelay(tmp_path / "data", directory_config(slapd, tmp_path / "secret", url=url)).start()
    try:
        admin = relay.add_user(unique_name("admin"))
        name = unique_name("ivy")
        slapd.add_person(name, "ivy's directory pw")
        client = make_client(relay)
        await client.connect()
        with pytest.raises(Unavailable) as refused:
            await client.sign_in(name, "ivy's directory pw")
        assert sentence in refused.value.message
        for leak in ("ldap", "127.0.0", "dc=", str(slapd.port)):
            assert leak not in refused.value.message.lower()
        reason = {"down": "unreachable", "slow": "timeout", "certificate": "certificate"}[fault]
        _status, metrics = relay.http_get("/metrics")  # what the administrator's alert sees
        assert f'parley_directory_errors_total{{reason="{reason}"}} 1.0' in metrics
        assert 'parley_directory_signins_total{outcome="unavailable"} 1.0' in metrics
        await client.sign_in(admin, "correct horse")  # the local administrator still gets in
        assert client.user.username == admin
        colleague = relay.add_user(f"{admin}col", display="Adam Colleague")
        found = await MeetingDesk(client).find_people("adam")  # local accounts are still found
        assert [p.username for p in found.people] == [colleague]
        assert found.note == "The company directory is not answering, so only people who have used Parley are listed."
    finally:
        relay.stop()


def test_directory_check_reports_a_wrong_base_dn_in_a_sentence(slapd: Slapd, tmp_path: Path) -> None:
    good = RunningRelay(tmp_path / "good", directory_config(slapd, tmp_path / "secret"))
    name = unique_name("jo")
    slapd.add_person(name, "jo's directory pw", display="Jo Check", groups=(USERS_GROUP, HOSTS_GROUP))
    result = good.cli("directory", "check", name)
    assert "the service account cn=parley-svc" in result.stdout
    assert f"{name} is uid={name},ou=people,{BASE}" in result.stdout
    assert "may sign in, create and book meetings." in result.stdout
    missing = good.cli("directory", "check", unique_name("nobody"), check=False)
    assert missing.returncode == 1 and "that person cannot sign in" in missing.stdout

    text = directory_config(slapd, tmp_path / "secret").replace(f"ou=people,{BASE}", f"ou=peeple,{BASE}")
    wrong = RunningRelay(tmp_path / "wrong", text).cli("directory", "check", name, check=False)
    assert wrong.returncode == 1
    assert wrong.stdout.strip() == (
        f"The directory check failed: the search base ou=peeple,{BASE} does not exist in the directory. "
        "Check user_base (and group_base): the directory has no such entry."
    )
    assert "Traceback" not in wrong.stderr


def test_configuration_refuses_plain_ldap_and_passwords_in_the_file(tmp_path: Path) -> None:
    def load(ldap: str) -> None:
        path = tmp_path / "relay.toml"
        path.write_text(f'[auth]\nmode = "ldap"\n[auth.ldap]\nuser_base = "dc=example,dc=com"\n{ldap}\n')
        load_config(path)

    with pytest.raises(ConfigError, match="would send passwords unencrypted"):
        load('urls = ["ldap://dc1.example.com"]')
    load('urls = ["ldap://dc1.example.com"]\nstart_tls = true')
    load('urls = ["ldap://dc1.example.com"]\nallow_plain = true')
    with pytest.raises(ConfigError, match="bind_password is not read from this file"):
        load('urls = ["ldaps://dc1"]\nbind_dn = "cn=svc"\nbind_password = "secret"')
    with pytest.raises(ConfigError, match="must say where the service account's password is"):
        load('urls = ["ldaps://dc1"]\nbind_dn = "cn=svc"')
    with pytest.raises(ConfigError, match=r"ca_file .* does not exist"):
        DirectoryClient(LdapConfig(urls=["ldaps://dc1"], ca_file=str(tmp_path / "no-ca.pem")), "")
    with pytest.raises(ConfigError, match="port must be an integer"):
        DirectoryClient(LdapConfig(urls=["ldaps://dc1:ldaps"]), "")
    with pytest.raises(ConfigError, match='mode must be "local", "ldap" or "both"'):
        (tmp_path / "m.toml").write_text('[auth]\nmode = "sso"\n')
        load_config(tmp_path / "m.toml")


def test_service_password_comes_from_a_file_or_the_environment(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "pw").write_text("from-a-file\n")
    assert service_password(LdapConfig(bind_dn="cn=svc", bind_password_file=str(tmp_path / "pw"))) == "from-a-file"
    monkeypatch.setenv("PARLEY_TEST_LDAP_PW", "from-the-env")
    assert service_password(LdapConfig(bind_dn="cn=svc", bind_password_env="PARLEY_TEST_LDAP_PW")) == "from-the-env"
    with pytest.raises(ConfigError, match=r"PARLEY_TEST_UNSET that should hold .* is not set"):
        service_password(LdapConfig(bind_dn="cn=svc", bind_password_env="PARLEY_TEST_UNSET"))
    with pytest.raises(ConfigError, match="cannot be read"):
        service_password(LdapConfig(bind_dn="cn=svc", bind_password_file=str(tmp_path / "missing")))


async def test_active_directory_shape_memberof_and_the_disabled_bit(slapd: Slapd) -> None:
    """sAMAccountName, memberOf and userAccountControl as Active Directory has them."""
    sam = unique_name("kim")
    dn = slapd.add_ad_user(sam, "kim's pw", display="Kim AD", member_of=(USERS_GROUP, ADMINS_GROUP))
    ldap = LdapConfig(
        urls=[slapd.url], ca_file=str(slapd.ca_file), bind_dn=SERVICE_DN, user_base=f"ou=staff,{BASE}"
    )  # the defaults are Active Directory's: (&(objectClass=user)(sAMAccountName={username})), memberOf
    directory = DirectoryClient(ldap, SERVICE_PW)
    try:
        entry = await directory.find_user(sam)
        assert entry is not None and entry.username == sam and not entry.disabled
        perms = GroupMapping(LdapGroupsConfig(sign_in=[USERS_GROUP], admin=[ADMINS_GROUP.upper()])).permissions(
            entry.groups
        )
        assert perms.may_sign_in and perms.is_admin and perms.may_host
        assert await directory.verify_password(entry.dn, "kim's pw") == "ok"
        slapd.modify(dn, {"userAccountControl": [(MODIFY_REPLACE, ["514"])]})  # 512 | ACCOUNTDISABLE
        entry = await directory.find_user(sam)
        assert entry is not None and entry.disabled
    finally:
        directory.close()
    # Active Directory's reasons for refusing a bind, from its diagnostic text.
    assert (
        classify_bind_refusal("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 533, v4563")
        == "disabled"
    )
    assert (
        classify_bind_refusal("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v4563")
        == "locked"
    )
    assert (
        classify_bind_refusal("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v4563")
        == "wrong_password"
    )
    assert classify_bind_refusal("Invalid credentials") == "wrong_password"


async def test_start_tls_is_verified_and_plain_ldap_only_when_allowed(slapd: Slapd) -> None:
    name = unique_name("sam")
    slapd.add_person(name, "sam's pw")
    base = {
        "ca_file": str(slapd.ca_file),
        "bind_dn": SERVICE_DN,
        "user_base": f"ou=people,{BASE}",
        "user_filter": "(uid={username})",
        "username_attribute": "uid",
    }
    start_tls = DirectoryClient(
        LdapConfig(urls=[f"ldap://127.0.0.1:{slapd.plain_port}"], start_tls=True, **base), SERVICE_PW
    )
    untrusted = DirectoryClient(
        LdapConfig(
            urls=[f"ldap://127.0.0.1:{slapd.plain_port}"],
            start_tls=True,
            **{**base, "ca_file": str(slapd.other_ca_file)},
        ),
        SERVICE_PW,
    )
    try:
        entry = await start_tls.find_user(name)
        assert entry is not None and await start_tls.verify_password(entry.dn, "sam's pw") == "ok"
        with pytest.raises(DirectoryError) as refused:
            await untrusted.find_user(name)
        assert refused.value.reason == "certificate"
    finally:
        start_tls.close()
        untrusted.close()


async def test_sign_in_by_e_mail_keeps_the_user_name_for_the_sync(slapd: Slapd) -> None:
    """A user_filter that accepts the e-mail address: the account is still named and synced by uid."""
    name = unique_name("una")
    slapd.add_person(name, "una's pw")
    ldap = LdapConfig(
        urls=[slapd.url],
        ca_file=str(slapd.ca_file),
        bind_dn=SERVICE_DN,
        user_base=f"ou=people,{BASE}",
        user_filter="(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))",
        username_attribute="uid",
    )
    directory = DirectoryClient(ldap, SERVICE_PW)
    try:
        typed = await directory.find_user(f"{name}@example.com")
        assert typed is not None and typed.username == name
        assert (await directory.find_users([name]))[name] == typed
        assert (await directory.find_users([f"{name}@example.com"]))[f"{name}@example.com"] is None
    finally:
        directory.close()
